//! End-to-end tests: each test starts the real `verity` binary on a fresh database and talks to
//! it over HTTP, on SQLite and on PostgreSQL. One test binary keeps link time low.

mod helpers;

mod auth;
mod idv_sessions;
mod sdk;
mod users;
mod wire;
