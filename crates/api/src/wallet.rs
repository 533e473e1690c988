//! The wallet and its activity on the wire.

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::handle::Handle;

/// One currency's balance. Amounts are decimal strings at the currency's scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub currency: Currency,
    /// What can be spent now: settled money less outgoing holds.
    pub available: String,
    /// Incoming money not settled yet.
    pub pending_in: String,
    /// Outgoing money held, not settled yet.
    pub pending_out: String,
}

/// `GET /wallet`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    pub balances: Vec<Balance>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Transfer,
    Tip,
    Request,
    Checkout,
    Refund,
    Deposit,
    Withdrawal,
    Fee,
    Interest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Pending,
    Completed,
    Canceled,
    Failed,
    Returned,
}

/// The other side of an activity, when it is a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterparty {
    pub handle: Handle,
    pub display_name: String,
}

/// One item of a person's activity: a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    pub direction: Direction,
    pub status: ActivityStatus,
    pub amount: String,
    pub currency: Currency,
    pub fee: String,
    pub counterparty: Option<Counterparty>,
    pub note: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// On a request that closed without money moving (`kind: request`, `status: canceled`):
    /// whether the payer declined it or the requester canceled it. Absent on everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_status: Option<crate::payments::RequestStatus>,
    /// On a movement held for review (pending until an officer decides): the generic review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::ops::Review>,
}

/// `GET /activity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    pub next_cursor: Option<String>,
}

/// `GET /activity/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityResponse {
    pub activity: Activity,
}
