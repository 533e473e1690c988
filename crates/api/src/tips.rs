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
    fn an_absent_goal_keeps_it_and_a_null_goal_removes_it() {
        let absent: CreatorSettings = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
        assert_eq!(absent.goal, None);
        let null: CreatorSettings = serde_json::from_str(r#"{"enabled":true,"goal":null}"#).unwrap();
        assert_eq!(null.goal, Some(None));
    }
}
