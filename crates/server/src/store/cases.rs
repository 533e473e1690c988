//! Cases (`cases`, `case_decisions`) and sanctions screenings (`screenings`): what officers
//! read and decide, and who was screened against which list. Cases are opened by the write
//! batch that holds their movement (`store::monitoring`); decisions are written with their
//! audit entries (`WriteBatcher::audited`).

use std::collections::BTreeMap;

use purse_api::ops::{CaseStatus, ReasonCode};
use serde::{Deserialize, Serialize};

use crate::ids::{OperationId, PersonId};
use crate::store::{Column, Columns, Db, Row, RowRef, Statement, StoreError, values, word};
use crate::time::Time;

/// A case's evidence as stored (`cases.evidence`, JSON): the rule's inputs by name, every rule
/// the movement hit (the case is filed under the first), and the sanctions match if any.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredEvidence {
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    #[serde(default)]
    pub hits: Vec<ReasonCode>,
    #[serde(default)]
    pub sanctions: Option<StoredMatch>,
}

/// A sanctions match: the name screened, the list's version, the entry and the score (three
/// decimals), as a screening records it and a case shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMatch {
    pub name: String,
    pub list_version: String,
    pub entry: String,
    pub score: String,
}

impl StoredMatch {
    pub fn new(name: &str, list_version: &str, entry: &str, score: f64) -> StoredMatch {
        StoredMatch {
            name: name.to_owned(),
            list_version: list_version.to_owned(),
            entry: entry.to_owned(),
            score: format!("{score:.3}"),
        }
    }
}

impl StoredEvidence {
    /// The stored JSON, read back (a row that is not JSON is broken).
    pub fn parse(text: &str) -> Result<StoredEvidence, StoreError> {
        serde_json::from_str(text).map_err(|error| StoreError::Broken(format!("a case's evidence: {error}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A case as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub operation_id: Option<OperationId>,
    /// `payment`, `withdrawal` or `verification`.
    pub movement: String,
    pub reason_code: String,
    pub status: CaseStatus,
    pub subject_id: PersonId,
    pub payer_id: Option<PersonId>,
    pub counterparty_id: Option<PersonId>,
    pub amount: i64,
    pub currency: String,
    /// JSON: `{inputs, hits, sanctions}`.
    pub evidence: String,
    pub approvals_needed: i64,
    pub opened_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
    /// Decided, and its money moved as decided.
    pub settled: bool,
}

const CASE_COLUMNS: &str = "id, operation_id, movement, reason_code, status, subject_id, payer_id, \
     counterparty_id, amount, currency, evidence, approvals_needed, opened_at, updated_at, closed_at, settled";

impl Row for CaseRow {
    fn read(columns: &mut Columns<'_>) -> Result<CaseRow, StoreError> {
        Ok(CaseRow {
            id: columns.take()?,
            operation_id: columns.take()?,
            movement: columns.take()?,
            reason_code: columns.take()?,
            status: columns.take()?,
            subject_id: columns.take()?,
            payer_id: columns.take()?,
            counterparty_id: columns.take()?,
            amount: columns.take()?,
            currency: columns.take()?,
            evidence: columns.take()?,
            approvals_needed: columns.take()?,
            opened_at: columns.take()?,
            updated_at: columns.take()?,
            closed_at: columns.take()?,
            settled: columns.take()?,
        })
    }
}

impl Column for CaseStatus {
    fn read(row: RowRef<'_>, index: usize) -> Result<CaseStatus, StoreError> {
        word(row, index, "case status", |text| match text {
            "open" => Some(CaseStatus::Open),
            "approved" => Some(CaseStatus::Approved),
            "rejected" => Some(CaseStatus::Rejected),
            _ => None,
        })
    }
}

/// An officer's approval or rejection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionRow {
    pub case_id: i64,
    pub operator_id: PersonId,
    /// `approve` or `reject`.
    pub decision: String,
    pub note: String,
    pub at: Time,
}

impl Row for DecisionRow {
    fn read(columns: &mut Columns<'_>) -> Result<DecisionRow, StoreError> {
        Ok(DecisionRow {
            case_id: columns.take()?,
            operator_id: columns.take()?,
            decision: columns.take()?,
            note: columns.take()?,
            at: columns.take()?,
        })
    }
}

/// A screening of a person against one version of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningRow {
    pub user_id: PersonId,
    pub name: String,
    /// The entry matched, if it was a hit.
    pub entry: Option<String>,
    pub score: Option<String>,
    /// An officer found the hit false (approved its case).
    pub cleared: bool,
}

impl ScreeningRow {
    /// A hit no officer has cleared.
    pub fn is_standing_hit(&self) -> bool {
        self.entry.is_some() && !self.cleared
    }

    /// The match, as a case's evidence keeps it (`None`: no hit).
    pub fn matched(&self, list_version: &str) -> Option<StoredMatch> {
        Some(StoredMatch {
            name: self.name.clone(),
            list_version: list_version.to_owned(),
            entry: self.entry.clone()?,
            score: self.score.clone().unwrap_or_default(),
        })
    }
}

impl Row for ScreeningRow {
    fn read(columns: &mut Columns<'_>) -> Result<ScreeningRow, StoreError> {
        Ok(ScreeningRow {
            user_id: columns.take()?,
            name: columns.take()?,
            entry: columns.take()?,
            score: columns.take()?,
            cleared: columns.take::<i64>()? != 0,
        })
    }
}

impl Db {
    /// A page of cases (`open`, or closed: approved or rejected), newest first, before `before`
    /// (a case id).
    pub async fn cases(
        &self,
        open: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let status = if open { "status = 'open'" } else { "status <> 'open'" };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {status} AND id < $1 ORDER BY id DESC LIMIT {limit}"
        );
        self.all(&Statement::new(sql, values![before.unwrap_or(i64::MAX)])).await
    }

    pub async fn case(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
        self.optional(&Statement::new(sql, values![id])).await
    }

    /// The reason code of the case holding `operation`'s movement, if one does.
    pub async fn case_reason(&self, operation: OperationId) -> Result<Option<String>, StoreError> {
        let rows: Vec<(String,)> = self
            .all(&Statement::new("SELECT reason_code FROM cases WHERE operation_id = $1", values![operation]))
            .await?;
        Ok(rows.into_iter().next().map(|(reason,)| reason))
    }

    /// Decided cases whose money has not moved yet.
    pub async fn cases_unsettled(&self) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE settled = 0 AND status <> 'open' ORDER BY id LIMIT 100"
        );
        self.all(&Statement::new(sql, vec![])).await
    }

    /// Open cases whose movement never happened: the ledger refused its held payment for want
    /// of money, or its withdrawal's hold.
    pub async fn cases_of_failed_movements(&self) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.status = 'open' AND ( \
                 (c.movement = 'payment' AND EXISTS (SELECT 1 FROM payments p \
                     WHERE p.operation_id = c.operation_id AND p.state = 'failed')) \
                 OR (c.movement = 'withdrawal' AND EXISTS (SELECT 1 FROM withdrawals w \
                     WHERE w.operation_id = c.operation_id AND w.status = 'failed'))) \
             ORDER BY c.id LIMIT 100"
        );
        self.all(&Statement::new(sql, vec![])).await
    }

    /// A person's cases, newest first.
    pub async fn cases_of(&self, person: PersonId) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE subject_id = $1 OR payer_id = $1 OR counterparty_id = $1 \
             ORDER BY id DESC LIMIT 100"
        );
        self.all(&Statement::new(sql, values![person])).await
    }

    /// Cases changed after `after` (officers' live queues), oldest change first.
    pub async fn cases_changed_after(&self, after: Time) -> Result<Vec<CaseRow>, StoreError> {
        let sql =
            format!("SELECT {CASE_COLUMNS} FROM cases WHERE updated_at > $1 ORDER BY updated_at LIMIT 100");
        self.all(&Statement::new(sql, values![after])).await
    }

    /// The latest change of any case (where an officer's live queue starts).
    pub async fn cases_last_change(&self) -> Result<Time, StoreError> {
        let rows: Vec<(Option<Time>,)> =
            self.all(&Statement::new("SELECT MAX(updated_at) FROM cases", vec![])).await?;
        Ok(rows.first().and_then(|(at,)| *at).unwrap_or(Time::EPOCH))
    }

    /// The open cases of held movements among `operations` (a wallet's pending transfers).
    pub async fn open_case_operations(
        &self,
        operations: &[OperationId],
    ) -> Result<Vec<OperationId>, StoreError> {
        if operations.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = operations.iter().map(|op| op.0).collect();
        let sql = format!(
            "SELECT operation_id FROM cases WHERE status = 'open' AND {}",
            self.in_list("operation_id", 1)
        );
        let rows: Vec<(OperationId,)> =
            self.all(&Statement::new(sql, vec![crate::store::Value::Ints(ids)])).await?;
        Ok(rows.into_iter().map(|(op,)| op).collect())
    }

    /// A person's open cases with a held movement (their holds), newest first.
    pub async fn open_holds_of(&self, person: PersonId) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE status = 'open' AND operation_id IS NOT NULL \
             AND (payer_id = $1 OR counterparty_id = $1) ORDER BY id DESC LIMIT 100"
        );
        self.all(&Statement::new(sql, values![person])).await
    }

    pub async fn decisions(&self, cases: &[i64]) -> Result<Vec<DecisionRow>, StoreError> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT case_id, operator_id, decision, note, at FROM case_decisions WHERE {} ORDER BY at",
            self.in_list("case_id", 1)
        );
        self.all(&Statement::new(sql, vec![crate::store::Value::Ints(cases.to_vec())])).await
    }

    /// The screenings of `people` against `version`.
    pub async fn screenings(
        &self,
        people: &[PersonId],
        version: &str,
    ) -> Result<Vec<ScreeningRow>, StoreError> {
        let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
        let sql = format!(
            "SELECT user_id, name, entry, score, cleared FROM screenings WHERE list_version = $2 AND {}",
            self.in_list("user_id", 1)
        );
        self.all(&Statement::new(sql, vec![crate::store::Value::Ints(ids), version.into()])).await
    }

    /// The name a person is screened by: their latest verified legal name, else their display
    /// name.
    pub async fn screening_name(&self, person: PersonId) -> Result<Option<String>, StoreError> {
        let sql = "SELECT COALESCE((SELECT v.legal_name FROM verifications v WHERE v.user_id = u.id \
                 AND v.legal_name IS NOT NULL ORDER BY v.id DESC LIMIT 1), u.display_name) \
             FROM users u WHERE u.id = $1";
        let rows: Vec<(String,)> = self.all(&Statement::new(sql, values![person])).await?;
        Ok(rows.into_iter().next().map(|(name,)| name))
    }
}

/// Records a screening once per person and list version (a concurrent second one changes
/// nothing); a hit sets an active person `under_review`, unless an officer already found that
/// entry false for them (under an earlier version of the list): then it is recorded cleared.
pub fn record_screening(
    person: PersonId,
    version: &str,
    name: &str,
    hit: Option<&StoredMatch>,
    now: Time,
) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        "INSERT INTO screenings (user_id, list_version, name, entry, score, cleared, at) \
         SELECT $1, $2, $3, $4, $5, CASE WHEN EXISTS (SELECT 1 FROM screenings s WHERE s.user_id = $1 \
             AND s.entry = $4 AND s.cleared = 1) THEN 1 ELSE 0 END, $6 WHERE true \
         ON CONFLICT (user_id, list_version) DO NOTHING",
        values![person, version, name, hit.map(|h| h.entry.as_str()), hit.map(|h| h.score.as_str()), now],
    )];
    if hit.is_some() {
        statements.push(Statement::new(
            "UPDATE users SET status = 'under_review' WHERE id = $1 AND status = 'active' \
             AND EXISTS (SELECT 1 FROM screenings s WHERE s.user_id = $1 AND s.list_version = $2 \
                 AND s.entry IS NOT NULL AND s.cleared = 0)",
            values![person, version],
        ));
    }
    statements
}

/// An officer found a person's sanctions hits false: they no longer hold payments, and a person
/// under review is active again.
pub fn clear_screenings(person: PersonId) -> Vec<Statement> {
    vec![
        Statement::new(
            "UPDATE screenings SET cleared = 1 WHERE user_id = $1 AND entry IS NOT NULL",
            values![person],
        ),
        Statement::new(
            "UPDATE users SET status = 'active' WHERE id = $1 AND status = 'under_review'",
            values![person],
        ),
    ]
}

/// Freezes a person (from any other status): nothing moves for them.
pub fn freeze(person: PersonId) -> Statement {
    set_status(person, &["active", "under_review", "restricted"], "frozen")
}

/// Sets a person's status (freeze: `frozen`; unfreeze: back to `to`), only from `from`.
pub fn set_status(person: PersonId, from: &[&str], to: &str) -> Statement {
    let from = format!(",{},", from.join(","));
    Statement::new(
        "UPDATE users SET status = $3 WHERE id = $1 AND $2 LIKE ('%,' || status || ',%')",
        values![person, from, to],
    )
}

/// An officer's decision on an open case, moving its `updated_at` (so live queues see it).
/// Changes nothing if the officer already made it or the case is closed.
pub fn decide(case: i64, operator: PersonId, decision: &str, note: &str, now: Time) -> Vec<Statement> {
    vec![
        Statement::new(
            "INSERT INTO case_decisions (case_id, operator_id, decision, note, at) \
             SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM cases WHERE id = $1 AND status = 'open') \
             ON CONFLICT (case_id, operator_id, decision) DO NOTHING",
            values![case, operator, decision, note, now],
        )
        .must_change(),
        touch(case, now),
    ]
}

/// Closes an open case as `status`.
pub fn close(case: i64, status: CaseStatus, now: Time) -> Statement {
    Statement::new(
        "UPDATE cases SET status = $2, closed_at = $3, updated_at = $3 WHERE id = $1 AND status = 'open'",
        values![case, status.as_str(), now],
    )
    .must_change()
}

fn touch(case: i64, now: Time) -> Statement {
    Statement::new("UPDATE cases SET updated_at = $2 WHERE id = $1", values![case, now])
}

/// A sanctions hit at verification: a case with no movement (its approval clears the hit, its
/// rejection freezes the person).
pub fn open_verification_case(subject: PersonId, evidence: &StoredEvidence, now: Time) -> Statement {
    Statement::new(
        "INSERT INTO cases (operation_id, movement, reason_code, subject_id, amount, currency, evidence, \
             approvals_needed, opened_at, updated_at) \
         VALUES (NULL, 'verification', 'SANCTIONS_MATCH', $1, 0, 'USD', $2, 1, $3, $3)",
        values![subject, evidence.to_json(), now],
    )
}

/// A request whose held payment an officer rejected is open again (its payer may pay it again,
/// or its requester cancel it); moving `updated_at` tells both people live.
pub fn reopen_request(request: i64, operation: OperationId, now: Time) -> Statement {
    Statement::new(
        "UPDATE money_requests SET status = 'open', paying_operation_id = NULL, claim_until = NULL, updated_at = $3 \
         WHERE id = $1 AND status = 'paid' AND paying_operation_id = $2",
        values![request, operation, now],
    )
}

/// A decided case whose money moved as decided.
pub fn settled(case: i64) -> Statement {
    Statement::new("UPDATE cases SET settled = 1 WHERE id = $1", values![case])
}

/// What the monitoring rules remember of a rejected movement: it did not happen, so it counts
/// towards no rule.
pub fn forget_watch(operation: OperationId) -> Statement {
    Statement::new("DELETE FROM watch_log WHERE operation_id = $1", values![operation])
}
