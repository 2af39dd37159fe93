//! End-to-end tests: each test starts the real `verity` binary on a fresh database and talks to
//! it over HTTP, on SQLite and on PostgreSQL. One test binary keeps link time low.

mod helpers;
mod receiver;
mod s3;
mod smtp;

mod auth;
mod browser;
mod console;
mod engine;
mod first_hour;
mod hardening;
mod hosted;
mod idv_sessions;
mod kyc;
mod lifecycle;
mod metrics;
mod openapi_conformance;
mod packaging;
mod readiness;
mod readme;
mod scale;
mod scale_out;
mod sdk;
mod ubo;
mod users;
mod webhooks;
mod wire;
