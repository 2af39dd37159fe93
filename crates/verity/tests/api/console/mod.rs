//! The back-office console over HTTP: sign-in with lockout and TOTP, pages and images only with a
//! staff session, CSRF, roles, review claims and racing decisions, the platform's webhooks, the
//! audit log (every image view recorded, append-only, exportable).
//!
//! `setup` holds the browser-like client and the platform with sessions waiting for review.

mod setup;

mod chromium;
mod documents;
mod faces;
mod lockout;
mod platforms;
mod pscs;
mod redaction;
mod restored;
mod review;
mod rotation;
mod workspace;
