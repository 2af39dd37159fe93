//! Verity's domain core: the objects of the Mangopay-compatible API and the rules that govern
//! them. Everything here is pure: no I/O, no clock, no randomness except through arguments, so
//! every rule can be tested in isolation and every layer above shares one definition of it.

pub mod client;
pub mod company;
pub mod engine;
pub mod event;
pub mod explain;
pub mod hook;
pub mod hosted;
pub mod ids;
pub mod kyc;
pub mod lifecycle;
pub mod matching;
pub mod mrz;
pub mod psc;
pub mod sandbox;
pub mod search;
pub mod session;
pub mod ubo;
pub mod user;
pub mod validation;

pub use client::{Branding, Client, Environment};
pub use ids::{ClientId, SessionId, UserId};
pub use session::{IdvSession, SessionStatus};
pub use user::User;
pub use validation::FieldErrors;

/// Seconds since the Unix epoch, UTC: the only time representation on the wire.
pub type UnixTime = i64;
