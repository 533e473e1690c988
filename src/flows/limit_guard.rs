//! Limits on the money forms, decided before anything is sent: every form that moves money
//! (send, paying a request, the tip sheet, checkout, withdraw, add money) reads
//! `GET /me/compliance` once (`components::limit_note::use_headroom`) and refuses an amount over
//! what is left of its limit with one sentence ("You can send $212.40 more until Thursday.") and
//! a link to the limits page; a person whose status stops movements (restricted: everything but
//! withdrawals; frozen: everything) is told so before typing anything. When the server still
//! refuses (a race: `422 limit_exceeded` with its `details`; `403 region_unavailable`,
//! `403 account_frozen`), the same sentence is built from its answer ([`LimitRefusal::from_error`]).
//!
//! The arithmetic is `purse_api::compliance`'s: each limit on the wire becomes the server's own
//! [`Meter`], and [`Meter::allows`] says whether an amount fits, so the browser refuses exactly
//! what the server would.

use purse_api::compliance::{AccountStatus, Compliance, LimitItem, LimitKind, Meter};
use purse_api::{Currency, ErrorCode, Money};

use crate::api_client::ApiError;
use crate::flows::checkout_flow::rfc3339_ms;
use crate::format;
use crate::text::{Limits, US_STATE_NAMES, t};

/// Where the limits page is.
pub const LIMITS_PATH: &str = "/settings/limits";

/// A wire amount (`"212.40"`, USD) in cents.
fn minor(written: &str) -> Option<i64> {
    Money::parse_written(written, Currency::Usd).ok().map(|money| money.to_minor())
}

/// A limit on the wire as the server's [`Meter`] (`None` when the server wrote it unreadably: then
/// the server alone decides). `resets_at` is kept to the millisecond.
pub fn meter_of(item: &LimitItem) -> Option<Meter> {
    Some(Meter {
        kind: item.kind,
        window: item.window,
        limit_minor: minor(&item.limit)?,
        used_minor: minor(&item.used)?,
        remaining_minor: minor(&item.remaining)?,
        resets_at_ns: item.resets_at.as_deref().and_then(rfc3339_ms).map(|ms| ms * 1_000_000),
    })
}

/// The full name of a state by its postal code (`NY` → `New York`).
pub fn state_name(code: &str) -> Option<&'static str> {
    let at = purse_api::compliance::US_STATES.iter().position(|s| s.eq_ignore_ascii_case(code.trim()))?;
    US_STATE_NAMES.get(at).copied()
}

/// One kind of limit as a form checks it, and where the person stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headroom {
    pub kind: LimitKind,
    pub status: AccountStatus,
    /// The verified address's state (postal code), for "Purse isn't licensed in New York yet".
    pub state: Option<String>,
    /// The limit of this kind at the person's tier: `None` when there is none (or it could not
    /// be read: the server decides).
    pub meter: Option<Meter>,
    /// When room comes back, as the server wrote it.
    pub resets_at: Option<String>,
}

impl Headroom {
    /// `kind`'s limit in what `GET /me/compliance` answered.
    pub fn of(compliance: &Compliance, kind: LimitKind) -> Headroom {
        let item = compliance.limits.iter().find(|item| item.kind == kind);
        Headroom {
            kind,
            status: compliance.status,
            state: compliance.region.state.clone(),
            meter: item.and_then(meter_of),
            resets_at: item.and_then(|item| item.resets_at.clone()),
        }
    }

    /// Whether the person's status stops this kind of movement whatever the amount: restricted
    /// stops everything but withdrawals, frozen everything.
    pub fn blocked(&self) -> Option<LimitRefusal> {
        match self.status {
            AccountStatus::Frozen => Some(LimitRefusal::Frozen),
            AccountStatus::Restricted if self.kind != LimitKind::Withdraw => {
                Some(LimitRefusal::Restricted { state: self.state.clone() })
            }
            _ => None,
        }
    }

    /// Why `amount_minor` cannot be sent, before sending it: the status, or the limit (by
    /// [`Meter::allows`]). `None` when it may go (the server still has the last word).
    pub fn check(&self, amount_minor: i64) -> Option<LimitRefusal> {
        if let Some(blocked) = self.blocked() {
            return Some(blocked);
        }
        let meter = self.meter.as_ref()?;
        (!meter.allows(amount_minor)).then(|| LimitRefusal::Over {
            kind: self.kind,
            remaining_minor: meter.remaining_minor,
            resets_at: self.resets_at.clone(),
        })
    }
}

/// Why a movement cannot go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitRefusal {
    /// More than is left of the limit of `kind`; room comes back at `resets_at` (when known).
    Over { kind: LimitKind, remaining_minor: i64, resets_at: Option<String> },
    /// The person lives where Purse is not licensed (`state`, when known): withdrawals only.
    Restricted { state: Option<String> },
    /// Nothing moves.
    Frozen,
}

impl LimitRefusal {
    /// The server's refusal of a movement of `kind`, when it is about limits or status:
    /// `422 limit_exceeded` (its `details` say what is left), `403 region_unavailable` (the state
    /// from `state`, what the form knew), `403 account_frozen`. `None` for anything else, and
    /// for a `limit_exceeded` without readable details (then its message is shown as it came).
    pub fn from_error(error: &ApiError, kind: LimitKind, state: Option<&str>) -> Option<LimitRefusal> {
        match error.code? {
            ErrorCode::LimitExceeded => {
                let details = error.details.as_ref()?;
                Some(LimitRefusal::Over {
                    kind,
                    remaining_minor: minor(&details.remaining)?,
                    resets_at: details.resets_at.clone(),
                })
            }
            ErrorCode::RegionUnavailable => {
                Some(LimitRefusal::Restricted { state: state.map(str::to_string) })
            }
            ErrorCode::AccountFrozen => Some(LimitRefusal::Frozen),
            _ => None,
        }
    }

    /// What the form says, from `now_ms` (for "until Thursday"): "You can send $212.40 more until
    /// Thursday.", "You've reached your sending limit until tomorrow.", "Purse isn't licensed in
    /// New York yet, so you can't send or add money. Withdrawing still works."
    pub fn sentence(&self, now_ms: i64) -> String {
        match self {
            LimitRefusal::Over { kind, remaining_minor, resets_at } => {
                let when = resets_at.as_deref().map(|at| format::until(at, now_ms));
                let none = *remaining_minor <= 0;
                let key = match (kind, none, when.is_some()) {
                    (LimitKind::Withdraw, false, true) => Limits::WithdrawLeftUntil,
                    (LimitKind::Withdraw, false, false) => Limits::WithdrawLeft,
                    (LimitKind::Withdraw, true, true) => Limits::WithdrawNoneUntil,
                    (LimitKind::Withdraw, true, false) => Limits::WithdrawNone,
                    (LimitKind::Deposit, false, true) => Limits::DepositLeftUntil,
                    (LimitKind::Deposit, false, false) => Limits::DepositLeft,
                    (LimitKind::Deposit, true, true) => Limits::DepositNoneUntil,
                    (LimitKind::Deposit, true, false) => Limits::DepositNone,
                    (_, false, true) => Limits::SendLeftUntil,
                    (_, false, false) => Limits::SendLeft,
                    (_, true, true) => Limits::SendNoneUntil,
                    (_, true, false) => Limits::SendNone,
                };
                t(key)
                    .replace("{amount}", &format::usd_minor((*remaining_minor).max(0)))
                    .replace("{when}", &when.unwrap_or_default())
            }
            LimitRefusal::Restricted { state } => match state.as_deref().and_then(state_name) {
                Some(name) => t(Limits::RestrictedMove).replace("{state}", name),
                None => t(Limits::RestrictedMoveSomewhere).to_string(),
            },
            LimitRefusal::Frozen => t(Limits::FrozenMove).to_string(),
        }
    }

    /// Whether to offer withdrawing instead (a restricted person can still withdraw).
    pub fn offers_withdraw(&self) -> bool {
        matches!(self, LimitRefusal::Restricted { .. })
    }

    /// The `data-refusal` a view carries, for styles and tests.
    pub fn name(&self) -> &'static str {
        match self {
            LimitRefusal::Over { .. } => "over",
            LimitRefusal::Restricted { .. } => "restricted",
            LimitRefusal::Frozen => "frozen",
        }
    }
}

/// What a payment to `name` refused with `422 recipient_unavailable` says: never why (over their
/// limit, restricted or frozen are theirs to know).
pub fn recipient_unavailable(name: &str) -> String {
    t(Limits::RecipientUnavailable).replace("{name}", name)
}

/// Whether `error` is the recipient's refusal ([`recipient_unavailable`]).
pub fn is_recipient_unavailable(error: &ApiError) -> bool {
    error.code == Some(ErrorCode::RecipientUnavailable)
}

#[cfg(test)]
pub(crate) mod test_compliance {
    use purse_api::Currency;
    use purse_api::compliance::{
        AccountStatus, Compliance, LimitItem, LimitKind, NextTier, Region, VerificationState,
        VerificationStatus, Window,
    };

    /// 2026-12-07T14:00:00Z, a Monday.
    pub(crate) const MONDAY_MS: i64 = 1_796_652_000_000;

    pub(crate) fn item(
        kind: LimitKind,
        limit: &str,
        used: &str,
        remaining: &str,
        resets_at: Option<&str>,
    ) -> LimitItem {
        LimitItem {
            kind,
            window: kind.window(),
            limit: limit.into(),
            used: used.into(),
            remaining: remaining.into(),
            currency: Currency::Usd,
            resets_at: resets_at.map(Into::into),
        }
    }

    /// Omar at tier 0: $37.60 sent on Thursday Dec 3 at 10:00 (room back Thursday Dec 10).
    pub(crate) fn tier_0() -> Compliance {
        Compliance {
            tier: 0,
            status: AccountStatus::Active,
            region: Region { state: None, available: true },
            verification: VerificationState { status: VerificationStatus::None, reason_code: None },
            limits: vec![
                item(LimitKind::Send, "250.00", "37.60", "212.40", Some("2026-12-10T10:00:00Z")),
                item(LimitKind::Receive, "1000.00", "0.00", "1000.00", None),
                item(LimitKind::Withdraw, "250.00", "250.00", "0.00", Some("2026-12-08T09:30:00Z")),
                item(LimitKind::Deposit, "500.00", "100.00", "400.00", Some("2026-12-08T00:00:00Z")),
            ],
            next_tier: Some(NextTier {
                tier: 1,
                unlocks: vec![
                    item(LimitKind::Send, "7500.00", "37.60", "7462.40", Some("2026-12-10T10:00:00Z")),
                    item(LimitKind::Withdraw, "7500.00", "250.00", "7250.00", Some("2026-12-08T09:30:00Z")),
                    item(LimitKind::Deposit, "2500.00", "100.00", "2400.00", Some("2026-12-08T00:00:00Z")),
                ],
            }),
            holds: vec![],
        }
    }

    /// [`tier_0`] with `status`, and $50.00 of the week's withdrawals left.
    pub(crate) fn with_status(status: AccountStatus, state: Option<&str>) -> Compliance {
        let mut compliance = Compliance {
            status,
            region: Region { state: state.map(Into::into), available: false },
            ..tier_0()
        };
        compliance.limits[2] =
            item(LimitKind::Withdraw, "250.00", "200.00", "50.00", Some("2026-12-08T09:30:00Z"));
        compliance
    }

    #[test]
    fn monday_is_a_monday() {
        assert_eq!(crate::format::until("2026-12-07T18:30:00Z", MONDAY_MS), "18:30");
        assert_eq!(Window::SevenDays.as_str(), "7d");
    }
}

#[cfg(test)]
mod tests {
    use purse_api::compliance::LimitDetails;

    use super::test_compliance::{MONDAY_MS, tier_0, with_status};
    use super::*;

    fn refused(status: u16, code: ErrorCode, details: Option<Box<LimitDetails>>) -> ApiError {
        ApiError {
            status: Some(status),
            code: Some(code),
            message: "no".into(),
            field: Some("amount".into()),
            details,
        }
    }

    #[test]
    fn an_amount_over_what_is_left_is_refused_before_sending_with_when_room_comes_back() {
        let send = Headroom::of(&tier_0(), LimitKind::Send);
        assert_eq!(send.check(21_240), None, "exactly what is left goes");
        let over = send.check(21_241).expect("a cent more is refused");
        assert_eq!(over.sentence(MONDAY_MS), "You can send $212.40 more until Thursday.");
        assert_eq!(over.name(), "over");
        assert!(!over.offers_withdraw());
        // From Thursday morning itself, the time; the day before, "tomorrow"; further, the date.
        assert_eq!(over.sentence(MONDAY_MS + 2 * 86_400_000), "You can send $212.40 more until tomorrow.");
        assert_eq!(over.sentence(1_796_889_600_000), "You can send $212.40 more until 10:00.");
        assert_eq!(over.sentence(MONDAY_MS - 7 * 86_400_000), "You can send $212.40 more until Dec 10.");

        let withdraw = Headroom::of(&tier_0(), LimitKind::Withdraw);
        assert_eq!(
            withdraw.check(1).map(|r| r.sentence(MONDAY_MS)).as_deref(),
            Some("You've reached your withdrawal limit until tomorrow.")
        );
        let deposit = Headroom::of(&tier_0(), LimitKind::Deposit);
        assert_eq!(
            deposit.check(50_000).map(|r| r.sentence(MONDAY_MS)).as_deref(),
            Some("You can add $400.00 more until tomorrow.")
        );
        // A kind without a limit at this tier (receive at tier 1) refuses nothing.
        let mut tier_1 = tier_0();
        tier_1.limits.retain(|item| item.kind != LimitKind::Receive);
        assert_eq!(Headroom::of(&tier_1, LimitKind::Receive).check(100_000_000), None);
    }

    #[test]
    fn a_restricted_person_may_only_withdraw_and_a_frozen_one_nothing() {
        let restricted = with_status(AccountStatus::Restricted, Some("NY"));
        for kind in [LimitKind::Send, LimitKind::Deposit] {
            let refusal = Headroom::of(&restricted, kind).check(1).expect("refused");
            assert_eq!(
                refusal.sentence(MONDAY_MS),
                "Purse isn't licensed in New York yet, so you can't send or add money. Withdrawing still works."
            );
            assert!(refusal.offers_withdraw());
        }
        assert_eq!(Headroom::of(&restricted, LimitKind::Withdraw).blocked(), None);
        assert_eq!(Headroom::of(&restricted, LimitKind::Withdraw).check(100), None);
        let nowhere = Headroom::of(&with_status(AccountStatus::Restricted, None), LimitKind::Send);
        assert!(
            nowhere.blocked().unwrap().sentence(0).starts_with("Purse isn't licensed where you live yet")
        );
        let frozen = with_status(AccountStatus::Frozen, Some("TX"));
        for kind in LimitKind::ALL {
            assert_eq!(Headroom::of(&frozen, kind).blocked(), Some(LimitRefusal::Frozen), "{kind:?}");
        }
        assert_eq!(
            LimitRefusal::Frozen.sentence(0),
            "Your account is frozen: no money can move, withdrawals included."
        );
        assert_eq!(
            Headroom::of(&with_status(AccountStatus::UnderReview, None), LimitKind::Send).blocked(),
            None
        );
    }

    #[test]
    fn the_servers_refusals_read_as_the_forms_own() {
        let details = LimitDetails {
            limit: "250.00".into(),
            used: "237.60".into(),
            remaining: "12.40".into(),
            window: purse_api::compliance::Window::SevenDays,
            resets_at: Some("2026-12-10T10:00:00Z".into()),
            tier: 0,
            next_tier: Some(1),
        };
        let raced = refused(422, ErrorCode::LimitExceeded, Some(Box::new(details)));
        let refusal = LimitRefusal::from_error(&raced, LimitKind::Send, None).unwrap();
        assert_eq!(refusal.sentence(MONDAY_MS), "You can send $12.40 more until Thursday.");
        assert_eq!(
            LimitRefusal::from_error(&refused(422, ErrorCode::LimitExceeded, None), LimitKind::Send, None),
            None
        );
        let region = refused(403, ErrorCode::RegionUnavailable, None);
        assert_eq!(
            LimitRefusal::from_error(&region, LimitKind::Send, Some("NY")),
            Some(LimitRefusal::Restricted { state: Some("NY".into()) })
        );
        let frozen = refused(403, ErrorCode::AccountFrozen, None);
        assert_eq!(LimitRefusal::from_error(&frozen, LimitKind::Withdraw, None), Some(LimitRefusal::Frozen));
        let declined = refused(422, ErrorCode::InsufficientFunds, None);
        assert_eq!(LimitRefusal::from_error(&declined, LimitKind::Send, None), None);
        let recipient = refused(422, ErrorCode::RecipientUnavailable, None);
        assert!(is_recipient_unavailable(&recipient));
        assert_eq!(recipient_unavailable("Bob Okafor"), "Bob Okafor can't receive this payment right now.");
    }

    #[test]
    fn meters_are_the_servers_and_states_have_names() {
        let meter = meter_of(&tier_0().limits[0]).unwrap();
        assert_eq!((meter.limit_minor, meter.used_minor, meter.remaining_minor), (25_000, 3_760, 21_240));
        assert_eq!(meter.resets_at_ns, Some(1_796_896_800_000 * 1_000_000));
        let mut bad = tier_0().limits[0].clone();
        bad.used = "lots".into();
        assert_eq!(meter_of(&bad), None, "unreadable: the server decides");
        assert_eq!(state_name("ny"), Some("New York"));
        assert_eq!(state_name("DC"), Some("District of Columbia"));
        assert_eq!(state_name("ZZ"), None);
    }
}
