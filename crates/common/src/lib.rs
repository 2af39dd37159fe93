//! Helpers every Verity crate may use, so that none borrows them from another layer: the clock,
//! hashing, secrets and passwords, and the staff's one-time codes.

pub mod clock;
pub mod hashing;
pub mod secrets;
pub mod totp;
