//! The ledger's integration tests, one binary. Every test runs on SQLite, and again on
//! PostgreSQL when `DATABASE_URL` is set, each in a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

#[path = "../support/mod.rs"]
mod support;

mod changes;
mod concurrency;
mod engine;
mod model;
mod queries;
mod storage;
