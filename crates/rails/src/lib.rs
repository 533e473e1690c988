//! `purse-rails`: the rails money comes in and goes out by: a card network ([`CardRail`]: charge a linked
//! card for a deposit, push to it for an instant withdrawal) and a bank ([`BankRail`]: link an
//! account, pay out to it, learn whether the payout settled or came back).
//!
//! The server talks to rails only through these traits; [`sandbox`] implements both as
//! the embedded default (as Stripe's test mode behaves like the live networks), and a real
//! processor's adapter would implement them the same way. Every call that moves money carries
//! the caller's `reference` (derived from the operation's idempotency key): a rail asked again
//! with the same reference answers as the first time and moves nothing more, which is what
//! lets a retry or a recovery job finish a movement that was cut off.
//!
//! [`identity`] holds the identity provider (who a person says they are) and the sanctions
//! screening hook, behind traits of their own, with the sandbox provider; [`sanctions`] the
//! screening against an OFAC-format sanctions list.

pub mod identity;
pub mod sanctions;
pub mod sandbox;

use futures_util::future::BoxFuture;
use purse_api::{CardBrand, ErrorCode};

/// A rail could not be reached or failed: nothing is known to have happened, and asking again
/// with the same reference is safe.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rail error: {0}")]
pub struct RailError(pub String);

impl From<sqlx::Error> for RailError {
    fn from(error: sqlx::Error) -> RailError {
        RailError(error.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

pub type RailResult<'a, T> = BoxFuture<'a, Result<T, RailError>>;

/// A card as the network describes a token: never its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardOnFile {
    pub token: String,
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// What a card network said to a charge or a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardOutcome {
    Approved,
    /// Refused, with the code the person is told (`card_declined`, `card_expired`).
    Declined(ErrorCode),
}

/// A card network.
pub trait CardRail: Send + Sync + std::fmt::Debug {
    /// The card `token` stands for, using the token up (a token links once); `None` when the
    /// network does not know it or it was used.
    fn redeem(&self, token: &str) -> RailResult<'_, Option<CardOnFile>>;

    /// Charges `amount` minor units to the card (a deposit), at `now` (ns).
    fn charge(&self, card_token: &str, amount: i64, reference: &str, now: i64)
    -> RailResult<'_, CardOutcome>;

    /// Pushes `amount` minor units to the card (an instant withdrawal), at `now` (ns).
    fn push(&self, card_token: &str, amount: i64, reference: &str, now: i64) -> RailResult<'_, CardOutcome>;
}

/// A bank account as the bank rail describes it: never its full number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankOnFile {
    pub token: String,
    pub bank_name: String,
    pub last4: String,
}

/// Where a bank payout is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayoutStatus {
    /// Sent, not settled yet.
    InFlight,
    /// The money reached the account.
    Settled,
    /// The receiving bank sent it back.
    Returned,
}

/// A bank (ACH-like) rail.
pub trait BankRail: Send + Sync + std::fmt::Debug {
    /// Links an account (the routing number has passed its checksum); the rail keeps the number
    /// and answers a token.
    fn link(
        &self,
        routing_number: &str,
        account_number: &str,
        holder_name: &str,
    ) -> RailResult<'_, BankOnFile>;

    /// Sends `amount` minor units to the account, to settle at `settle_at` (ns).
    fn pay_out(
        &self,
        account_token: &str,
        amount: i64,
        reference: &str,
        settle_at: i64,
        now: i64,
    ) -> RailResult<'_, ()>;

    /// Where the payout `reference` is at `now` (ns).
    fn payout_status(&self, reference: &str, now: i64) -> RailResult<'_, PayoutStatus>;
}
