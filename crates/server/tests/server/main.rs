//! The server's integration tests, one binary: the HTTP surface through `app().oneshot` (no
//! socket), and the `purse-server` binary itself (start-up errors, graceful shutdown, audit).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit_log;
mod checkout;
mod cli;
mod funding;
mod hardening;
mod http;
mod interest;
mod layers;
mod limits;
mod payments;
mod people;
mod pin_rules;
mod requests;
mod review;
mod sandbox_clock;
mod sign_in;
mod statements;
mod support;
mod tips;
mod verification;
mod wallet;
