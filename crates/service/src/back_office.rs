//! The back office's use cases: staff sign-in and console sessions, review claims and decisions
//! with their audit entries, and what the console reads.

use crate::Services;

impl Services {}
