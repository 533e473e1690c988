//! Tips to creators on the wire, and the rules the browser and the server share: presets,
//! goals, and the platform fee.

use serde::{Deserialize, Serialize};

use crate::handle::Handle;
use crate::money::Amount;
use crate::payments::AmountText;
use crate::wallet::Counterparty;

/// A creator offers 1 to this many preset amounts.
pub const MAX_PRESETS: usize = 6;
/// What a creator offers until they choose.
pub const DEFAULT_PRESETS: [&str; 3] = ["1.00", "5.00", "10.00"];
/// A goal's title: 1 to this many characters.
pub const GOAL_TITLE_MAX_CHARS: usize = 80;
/// A post id, as the host page names its posts: 1 to this many printable ASCII characters.
pub const POST_ID_MAX_CHARS: usize = 64;
/// Basis points in a whole.
const BPS: i128 = 10_000;

/// The platform's fee on `amount` at `fee_bps` basis points, in minor units, rounded down (the
/// creator never pays a fraction of a cent more than the rate says).
pub fn fee_minor(amount: Amount, fee_bps: u32) -> i64 {
    let fee = i128::from(amount.to_minor()) * i128::from(fee_bps) / BPS;
    i64::try_from(fee).unwrap_or(i64::MAX)
}

/// Whether `post_id` is one a host may send: 1–64 printable ASCII characters.
pub fn is_valid_post_id(post_id: &str) -> bool {
    (1..=POST_ID_MAX_CHARS).contains(&post_id.len()) && post_id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// `PUT /me/creator`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatorSettings {
    pub enabled: bool,
    /// Kept as they are when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_presets: Option<Vec<AmountText>>,
    /// Kept as it is when absent; `null` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub goal: Option<Option<GoalSettings>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalSettings {
    pub title: String,
    pub target: AmountText,
}

/// A creator's goal and how much tips have raised towards it since it was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub title: String,
    pub target: String,
    pub raised: String,
}

/// `GET /creators/{handle}`: what anyone may see of a creator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Creator {
    pub handle: Handle,
    pub display_name: String,
    pub enabled: bool,
    pub tip_presets: Vec<String>,
    pub goal: Option<Goal>,
    /// How many people have tipped (anonymous ones included, never named).
    pub supporters: u64,
}

/// `{"creator": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatorResponse {
    pub creator: Creator,
}

/// `POST /tips`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTip {
    pub creator: Handle,
    pub amount: AmountText,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// A tip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tip {
    pub id: String,
    pub creator: Handle,
    pub amount: String,
    pub currency: crate::Currency,
    pub post_id: Option<String>,
    pub message: Option<String>,
    pub anonymous: bool,
    /// The platform's part of it, paid by the creator (`"0.00"` without a fee).
    pub fee: String,
    pub created_at: String,
    /// Held for review (pending until an officer decides): the generic review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::ops::Review>,
}

/// `{"tip": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipResponse {
    pub tip: Tip,
}

/// A tip in a list, with who sent it: `null` when it was anonymous and the viewer is the
/// creator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipItem {
    #[serde(flatten)]
    pub tip: Tip,
    pub supporter: Option<Counterparty>,
}

/// `GET /me/tips`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipPage {
    pub items: Vec<TipItem>,
    pub next_cursor: Option<String>,
    /// All tips received, all time (`direction=received` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_received: Option<String>,
}

/// `GET /me/creator`: a creator's own dashboard (Purse's addition to API.md): their settings
/// and page as anyone sees it, totals, and who supports them. Anonymous tips are counted in
/// every total and in [`AnonymousTotal`], never under a name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatorDashboard {
    pub creator: Creator,
    pub totals: TipTotals,
    /// Up to five people who tipped openly, most given first.
    pub top_supporters: Vec<SupporterTotal>,
    pub anonymous: AnonymousTotal,
}

/// Tips received before fees, at the currency's scale. "Today" and "this week" (from Monday)
/// are in the reader's time zone, given as `?utc_offset_minutes=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipTotals {
    pub currency: crate::Currency,
    pub today: String,
    pub this_week: String,
    pub all_time: String,
    pub tips: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupporterTotal {
    pub supporter: Counterparty,
    pub total: String,
    pub tips: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnonymousTotal {
    pub total: String,
    pub tips: u64,
}

/// The bounds of `?utc_offset_minutes=`: every time zone in use (UTC−12:00 to UTC+14:00).
pub const UTC_OFFSET_MINUTES: std::ops::RangeInclusive<i32> = -720..=840;

/// When "today" and "this week" (weeks start on Monday) began, in nanoseconds since the Unix
/// epoch, for a reader whose clock is `utc_offset_minutes` ahead of UTC.
pub fn period_starts(now_ns: i64, utc_offset_minutes: i32) -> (i64, i64) {
    const DAY_NS: i64 = 86_400 * 1_000_000_000;
    let offset_ns = i64::from(utc_offset_minutes) * 60 * 1_000_000_000;
    let local_days = (now_ns + offset_ns).div_euclid(DAY_NS);
    let today = local_days * DAY_NS - offset_ns;
    // 1970-01-01 was a Thursday: three days after a Monday.
    let since_monday = (local_days + 3).rem_euclid(7);
    (today, today - since_monday * DAY_NS)
}

/// `Option<Option<T>>` that tells an absent field (`None`) from `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_are_basis_points_rounded_down() {
        let amount = |text: &str| Amount::parse(text, "USD").unwrap();
        assert_eq!(fee_minor(amount("5.00"), 0), 0);
        assert_eq!(fee_minor(amount("5.00"), 500), 25);
        assert_eq!(fee_minor(amount("0.19"), 500), 0, "0.95 of a cent rounds down");
        assert_eq!(fee_minor(amount("10000.00"), 10_000), 1_000_000);
    }

    #[test]
    fn post_ids_are_short_printable_ascii() {
        assert!(is_valid_post_id("42"));
        assert!(is_valid_post_id(&"p".repeat(64)));
        assert!(!is_valid_post_id(""));
        assert!(!is_valid_post_id(&"p".repeat(65)));
        assert!(!is_valid_post_id("with space"));
        assert!(!is_valid_post_id("caf\u{e9}"));
    }

    #[test]
    fn today_and_this_week_start_at_the_readers_midnight_and_monday() {
        const S: i64 = 1_000_000_000;
        // Wednesday 2026-11-25 01:30 UTC.
        let now = 1_795_570_200 * S;
        let (today, week) = period_starts(now, 0);
        assert_eq!(today, 1_795_564_800 * S, "2026-11-25 00:00 UTC");
        assert_eq!(week, 1_795_392_000 * S, "Monday 2026-11-23 00:00 UTC");
        // In New York (UTC−5) it is still Tuesday evening.
        let (today, week) = period_starts(now, -300);
        assert_eq!(today, (1_795_478_400 + 5 * 3600) * S, "2026-11-24 00:00 in New York");
        assert_eq!(week, (1_795_392_000 + 5 * 3600) * S, "Monday 2026-11-23 00:00 in New York");
        // On a Monday, the week began today.
        let monday_noon = (1_795_392_000 + 12 * 3600) * S;
        let (today, week) = period_starts(monday_noon, 0);
        assert_eq!(today, week);
        // Before 1970 the arithmetic still floors.
        let (today, _) = period_starts(-S, 0);
        assert_eq!(today, -86_400 * S);
    }

    #[test]
    fn an_absent_goal_keeps_it_and_a_null_goal_removes_it() {
        let absent: CreatorSettings = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
        assert_eq!(absent.goal, None);
        let null: CreatorSettings = serde_json::from_str(r#"{"enabled":true,"goal":null}"#).unwrap();
        assert_eq!(null.goal, Some(None));
    }
}
