//! The verification engine end to end: generated specimen documents are photographed, uploaded
//! through the hosted flow of a production client, and the engine's decision arrives by webhook;
//! the session then carries the checks, reasons, data and status the rules give. A fake
//! face-match provider speaks Verity's provider contract; a fake Companies House speaks its API.
//!
//! The shared set-up lives in `setup` (the live platform, the fake face-match provider, the CLI,
//! decisions), `documents` (generated specimens) and `flows` (the hosted flows); other test
//! modules use it through `crate::engine::*`.

mod documents;
mod flows;
mod setup;

mod biometrics;
mod inspect;
mod legal;
mod natural;
mod policies;
pub mod psc;
pub mod psc_timers;
mod restart;
mod sandbox;
mod throughput;

pub use documents::*;
pub use flows::*;
pub use setup::*;
