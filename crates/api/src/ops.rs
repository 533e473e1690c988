//! Sanctions, monitoring and review on the wire: what a held movement tells the people in it
//! (one generic [`Review`], whatever the rule), and what compliance officers read and send
//! (`/ops/…`: cases, decisions, freezes, the audit log, a case's report).
//!
//! Nobody but an officer ever sees a [`ReasonCode`]: a held movement carries
//! [`PERSON_REASON_CODE`] and [`REVIEW_MESSAGE`] for every rule, so neither side learns of a
//! sanctions match, a pattern or a report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compliance::AccountStatus;
use crate::currency::Currency;
use crate::wallet::Activity;

/// The reason code a person sees on any held movement.
pub const PERSON_REASON_CODE: &str = "manual_review";
/// The sentence a person sees on any held movement (the SPA has it in its own tables too).
pub const REVIEW_MESSAGE: &str = "This payment is being reviewed. Most reviews finish within one business day, and the money stays safe meanwhile.";

/// Why a movement was held: a monitoring rule or a sanctions hit (officers only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// A sanctions list matched a party (checked first).
    SanctionsMatch,
    /// One movement at or above the large-transfer threshold (2,000.00).
    LargeTransfer,
    /// A third movement within 24 hours between 90% and 100% of that threshold.
    Structuring,
    /// Withdrawing, within 24 hours, 90% or more of 1,000.00 or more received from others.
    PassThrough,
    /// Payments to a tenth new counterparty within one hour.
    VelocityNewCounterparties,
}

impl ReasonCode {
    /// Every code, in the order a movement hitting several is filed under the first.
    pub const ALL: [ReasonCode; 5] = [
        ReasonCode::SanctionsMatch,
        ReasonCode::LargeTransfer,
        ReasonCode::Structuring,
        ReasonCode::PassThrough,
        ReasonCode::VelocityNewCounterparties,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::SanctionsMatch => "SANCTIONS_MATCH",
            ReasonCode::LargeTransfer => "LARGE_TRANSFER",
            ReasonCode::Structuring => "STRUCTURING",
            ReasonCode::PassThrough => "PASS_THROUGH",
            ReasonCode::VelocityNewCounterparties => "VELOCITY_NEW_COUNTERPARTIES",
        }
    }

    pub fn parse(text: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.into_iter().find(|code| code.as_str() == text)
    }
}

/// On a held movement (the sender's transfer, both sides' activity): always
/// [`PERSON_REASON_CODE`] and [`REVIEW_MESSAGE`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub reason_code: String,
    pub message: String,
}

impl Review {
    /// The one review every held movement carries.
    pub fn generic() -> Review {
        Review { reason_code: PERSON_REASON_CODE.to_owned(), message: REVIEW_MESSAGE.to_owned() }
    }
}

/// Where a case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Approved,
    Rejected,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Approved => "approved",
            CaseStatus::Rejected => "rejected",
        }
    }
}

/// The person a case is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePerson {
    pub handle: String,
    pub display_name: String,
    pub tier: u8,
    /// Additive: where they stand now.
    pub status: AccountStatus,
}

/// The movement a case holds (null for a sanctions hit at verification, which holds no money).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMovement {
    pub activity_id: String,
    /// Additive: `transfer`, `request`, `tip` or `withdrawal`.
    pub kind: String,
    pub amount: String,
    pub currency: Currency,
    /// The payer's handle.
    pub from: String,
    /// The recipient's handle; for a withdrawal, the bank or card it goes to (`bank ••6789`).
    pub to: String,
    pub created_at: String,
}

/// A sanctions list's match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SanctionsEvidence {
    /// The name screened, as the person gave it.
    pub name: String,
    /// The handle of the person it belongs to.
    pub handle: String,
    pub list_version: String,
    /// The list's entry (its name as listed, and its number).
    pub entry: String,
    /// Jaro-Winkler similarity, 0 to 1 (formatted with three decimals).
    pub score: String,
}

/// Why the case was opened, and what the officer needs to decide it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The rule the case is filed under, in words.
    pub rule: String,
    /// The rule's inputs when it fired, by name (`threshold`, `amount`, `count_24h`…), as text.
    pub inputs: BTreeMap<String, String>,
    /// Every rule this movement hit (the case is filed under the first).
    pub hits: Vec<ReasonCode>,
    pub sanctions: Option<SanctionsEvidence>,
    /// The person's recent activity as they see it (newest first; on `GET /ops/cases/{id}`
    /// only, empty in lists).
    #[serde(default)]
    pub recent_activity: Vec<Activity>,
}

/// An officer's decision or approval, with their note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub operator: String,
    pub at: String,
    /// Additive: the officer's note.
    pub note: String,
}

/// `case` in every `/ops/cases` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    pub reason_code: ReasonCode,
    pub status: CaseStatus,
    pub person: CasePerson,
    pub movement: Option<CaseMovement>,
    pub evidence: Evidence,
    pub approvals: Vec<Approval>,
    /// Additive: who rejected it, with their note.
    #[serde(default)]
    pub rejection: Option<Approval>,
    /// Additive: how many different officers must approve (2 at or above the two-person
    /// threshold, else 1).
    pub approvals_needed: u8,
    pub opened_at: String,
    /// Additive: when it was approved or rejected.
    #[serde(default)]
    pub closed_at: Option<String>,
}

/// `{"case": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResponse {
    pub case: Case,
}

/// `GET /ops/cases`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CasePage {
    pub items: Vec<Case>,
    pub next_cursor: Option<String>,
}

/// The body of approve, reject, freeze and unfreeze: a required note (1–500 characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionNote {
    pub note: String,
}

/// The longest note an officer may write.
pub const NOTE_MAX_CHARS: usize = 500;

/// `{person: {handle, status}}` from freeze and unfreeze; `GET /ops/people/{handle}` (additive)
/// adds the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsPerson {
    pub handle: String,
    pub status: AccountStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
}

/// `{"person": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsPersonResponse {
    pub person: OpsPerson,
}

/// `GET /ops/people/{handle}` (additive): the person and their cases, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpsPersonPage {
    pub person: OpsPerson,
    pub cases: Vec<Case>,
}

/// One entry of the audit log, as hashed (without `hash`) and listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// The officer's handle, or `system` for what the server did itself (a case opened).
    pub actor: String,
    /// `case.opened`, `case.approved`, `case.approval`, `case.rejected`, `person.frozen`,
    /// `person.unfrozen`, `sanctions.cleared`…
    pub action: String,
    /// What it acted on: `case:cs_…`, `person:@handle`.
    pub subject: String,
    pub note: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Whether the chain holds, as the server checked it for this answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheck {
    pub verified: bool,
    /// How many entries were checked.
    pub entries: i64,
    /// The first entry whose hash or link does not hold.
    pub first_broken: Option<i64>,
}

/// `GET /ops/audit-log`; `chain` is additive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
    pub chain: ChainCheck,
}

/// A movement in a case's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMovement {
    pub activity_id: String,
    pub kind: String,
    pub direction: String,
    pub status: String,
    pub amount: String,
    pub currency: Currency,
    pub counterparty: Option<String>,
    pub at: String,
}

/// The subject of a report: who they are as far as Purse knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSubject {
    pub handle: String,
    pub display_name: String,
    pub tier: u8,
    pub status: AccountStatus,
    pub legal_name: Option<String>,
    pub date_of_birth: Option<String>,
    /// `line1, city, state postal_code`.
    pub address: Option<String>,
    pub ssn_last4: Option<String>,
    pub joined_at: String,
}

/// `GET /ops/cases/{id}/report`: what a SAR needs (cases of 2,000.00 or more).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    pub case_id: String,
    pub generated_at: String,
    pub reason_code: ReasonCode,
    pub rule: String,
    pub status: CaseStatus,
    pub subject: ReportSubject,
    /// The held movement, then the subject's other movements of the 30 days before it.
    pub movements: Vec<ReportMovement>,
    pub total_amount: String,
    pub currency: Currency,
    pub first_movement_at: String,
    pub last_movement_at: String,
    /// Every officer's note on the case, oldest first.
    pub notes: Vec<Approval>,
}

/// `{"report": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseReportResponse {
    pub report: CaseReport,
}

/// The monitoring rules' thresholds (each a server flag), in minor units of USD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// `LARGE_TRANSFER`: one movement at or above this (2,000.00).
    pub large_minor: i64,
    /// `STRUCTURING`: the movement that makes this many in 24 hours between 90% and 100% of
    /// `large_minor` (3).
    pub structuring_count: u32,
    /// `VELOCITY_NEW_COUNTERPARTIES`: the payment to this many new counterparties in one hour (10).
    pub new_counterparties: u32,
    /// `PASS_THROUGH`: at least this much received from others in 24 hours (1,000.00)…
    pub pass_through_min_minor: i64,
    /// …of which this percentage or more is withdrawn within those 24 hours (90).
    pub pass_through_percent: u32,
    /// At or above this, two different officers must approve (10,000.00).
    pub two_person_minor: i64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            large_minor: 200_000,
            structuring_count: 3,
            new_counterparties: 10,
            pass_through_min_minor: 100_000,
            pass_through_percent: 90,
            two_person_minor: 1_000_000,
        }
    }
}

impl Thresholds {
    /// The near-threshold band's floor: 90% of the large-transfer threshold.
    pub fn near_floor_minor(&self) -> i64 {
        self.large_minor * 9 / 10
    }

    /// Whether `amount_minor` is just under the large-transfer threshold (90% to 100%).
    pub fn is_near(&self, amount_minor: i64) -> bool {
        (self.near_floor_minor()..self.large_minor).contains(&amount_minor)
    }

    /// How many officers must approve a case of this amount.
    pub fn approvals_needed(&self, amount_minor: i64) -> u8 {
        if amount_minor >= self.two_person_minor { 2 } else { 1 }
    }
}

/// What the rules see of one movement, with what its payer did before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub amount_minor: i64,
    /// A payment: whether its recipient was never paid by this payer before.
    pub new_counterparty: bool,
    /// Near-threshold movements of the payer in the last 24 hours before this one.
    pub near_before: u32,
    /// Different new counterparties the payer paid in the last hour before this one.
    pub new_counterparties_before: u32,
    /// A withdrawal: received from others in the last 24 hours, and withdrawn before this one.
    pub withdrawal: Option<Withdrawn>,
}

/// A withdrawal's side of `PASS_THROUGH`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Withdrawn {
    pub received_minor: i64,
    pub withdrawn_before_minor: i64,
}

/// Every monitoring rule `movement` hits, in [`ReasonCode::ALL`]'s order (sanctions aside: the
/// screening decides those).
pub fn rule_hits(t: &Thresholds, movement: &Observed) -> Vec<ReasonCode> {
    let mut hits = Vec::new();
    if movement.amount_minor >= t.large_minor {
        hits.push(ReasonCode::LargeTransfer);
    }
    if t.is_near(movement.amount_minor) && movement.near_before + 1 >= t.structuring_count {
        hits.push(ReasonCode::Structuring);
    }
    if let Some(w) = movement.withdrawal {
        let withdrawn = w.withdrawn_before_minor + movement.amount_minor;
        let share = i128::from(withdrawn) * 100;
        if w.received_minor >= t.pass_through_min_minor
            && share >= i128::from(w.received_minor) * i128::from(t.pass_through_percent)
        {
            hits.push(ReasonCode::PassThrough);
        }
    }
    if movement.new_counterparty && movement.new_counterparties_before + 1 >= t.new_counterparties {
        hits.push(ReasonCode::VelocityNewCounterparties);
    }
    hits
}

/// A rule in words, for officers.
pub fn rule_sentence(code: ReasonCode, t: &Thresholds) -> String {
    let usd = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
    match code {
        ReasonCode::SanctionsMatch => "A party's name matched an entry of the sanctions list.".to_owned(),
        ReasonCode::LargeTransfer => format!("One movement of {} or more.", usd(t.large_minor)),
        ReasonCode::Structuring => format!(
            "A movement number {} within 24 hours between {} and {}.",
            t.structuring_count,
            usd(t.near_floor_minor()),
            usd(t.large_minor)
        ),
        ReasonCode::PassThrough => format!(
            "Withdrawing, within 24 hours, {}% or more of {} or more received from others.",
            t.pass_through_percent,
            usd(t.pass_through_min_minor)
        ),
        ReasonCode::VelocityNewCounterparties => {
            format!("Payments to {} new people within one hour.", t.new_counterparties)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(amount: i64, observed: Observed) -> Vec<ReasonCode> {
        rule_hits(&Thresholds::default(), &Observed { amount_minor: amount, ..observed })
    }

    #[test]
    fn each_rule_fires_at_its_edge_and_not_a_cent_before() {
        let none = Observed::default();
        assert_eq!(hits(199_999, none), []);
        assert_eq!(hits(200_000, none), [ReasonCode::LargeTransfer]);
        // Structuring: the third near-threshold movement in the day, not the second.
        let two_before = Observed { near_before: 2, ..none };
        let one_before = Observed { near_before: 1, ..none };
        assert_eq!(hits(180_000, one_before), []);
        assert_eq!(hits(180_000, two_before), [ReasonCode::Structuring]);
        assert_eq!(hits(199_999, two_before), [ReasonCode::Structuring]);
        assert_eq!(hits(179_999, two_before), []);
        // Velocity: the tenth new counterparty in the hour.
        let new = Observed { new_counterparty: true, ..none };
        assert_eq!(hits(100, Observed { new_counterparties_before: 8, ..new }), []);
        assert_eq!(
            hits(100, Observed { new_counterparties_before: 9, ..new }),
            [ReasonCode::VelocityNewCounterparties]
        );
        assert_eq!(hits(100, Observed { new_counterparties_before: 9, ..none }), []);
    }

    #[test]
    fn pass_through_needs_enough_received_and_most_of_it_withdrawn() {
        let withdraw = |received, before| Observed {
            withdrawal: Some(Withdrawn { received_minor: received, withdrawn_before_minor: before }),
            ..Observed::default()
        };
        assert_eq!(hits(90_000, withdraw(100_000, 0)), [ReasonCode::PassThrough]);
        assert_eq!(hits(89_999, withdraw(100_000, 0)), []);
        assert_eq!(hits(40_000, withdraw(100_000, 50_000)), [ReasonCode::PassThrough]);
        assert_eq!(hits(99_000, withdraw(99_999, 0)), []);
        assert_eq!(hits(90_000, withdraw(0, 0)), []);
    }

    #[test]
    fn two_officers_approve_from_ten_thousand() {
        let t = Thresholds::default();
        assert_eq!(t.approvals_needed(999_999), 1);
        assert_eq!(t.approvals_needed(1_000_000), 2);
    }

    #[test]
    fn reason_codes_are_written_as_api_md_names_them() {
        for code in ReasonCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ReasonCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ReasonCode::parse("manual_review"), None);
    }

    #[test]
    fn a_person_never_sees_which_rule_held_their_money() {
        let review = serde_json::to_value(Review::generic()).unwrap();
        assert_eq!(review["reason_code"], PERSON_REASON_CODE);
        for code in ReasonCode::ALL {
            assert!(!REVIEW_MESSAGE.to_lowercase().contains(&code.as_str().to_lowercase()));
        }
        for word in ["sanction", "report", "suspicious", "structur"] {
            assert!(!REVIEW_MESSAGE.to_lowercase().contains(word));
        }
    }
}
