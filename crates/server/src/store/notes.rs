//! `transfer_notes`: why a ledger transfer happened, as its people call it (the kind of
//! activity, the note, and whether its recipient may learn who sent it). The ledger holds the
//! money; this holds the words.

use purse_api::ActivityKind;
use purse_ledger::TransferId;

use crate::store::{Column, Columns, Db, Row, RowRef, Statement, StoreError, Value};

/// A kind of activity as stored: its wire name (`snake_case`).
pub fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Transfer => "transfer",
        ActivityKind::Tip => "tip",
        ActivityKind::Request => "request",
        ActivityKind::Checkout => "checkout",
        ActivityKind::Refund => "refund",
        ActivityKind::Deposit => "deposit",
        ActivityKind::Withdrawal => "withdrawal",
        ActivityKind::Fee => "fee",
        ActivityKind::Interest => "interest",
    }
}

/// The kind a stored name stands for.
pub fn parse_kind(name: &str) -> Option<ActivityKind> {
    [
        ActivityKind::Transfer,
        ActivityKind::Tip,
        ActivityKind::Request,
        ActivityKind::Checkout,
        ActivityKind::Refund,
        ActivityKind::Deposit,
        ActivityKind::Withdrawal,
        ActivityKind::Fee,
        ActivityKind::Interest,
    ]
    .into_iter()
    .find(|kind| kind_name(*kind) == name)
}

impl From<ActivityKind> for Value {
    fn from(kind: ActivityKind) -> Value {
        Value::from(kind_name(kind))
    }
}

/// A stored kind this server does not know reads as `None` (the activity falls back to the
/// transfer's code).
impl Column for Option<ActivityKind> {
    fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError> {
        Ok(parse_kind(&String::read(row, index)?))
    }
}

/// Why a transfer happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteRow {
    pub transfer_id: TransferId,
    pub kind: Option<ActivityKind>,
    pub note: Option<String>,
    /// Its recipient must not learn who sent it (an anonymous tip).
    pub hide_sender: bool,
}

impl Row for NoteRow {
    fn read(columns: &mut Columns<'_>) -> Result<NoteRow, StoreError> {
        Ok(NoteRow {
            transfer_id: columns.take()?,
            kind: columns.take()?,
            note: columns.take()?,
            hide_sender: columns.take()?,
        })
    }
}

/// Records a transfer's note (kind, text) once; a second write for the same transfer changes
/// nothing. A statement, so a note commits with the row that records its movement.
pub fn put(transfer_id: TransferId, kind: ActivityKind, note: Option<&str>) -> Statement {
    insert(transfer_id, Value::from(kind), note)
}

fn insert(transfer_id: TransferId, kind: Value, note: Option<&str>) -> Statement {
    Statement::new(
        "INSERT INTO transfer_notes (transfer_id, kind, note) VALUES ($1, $2, $3) \
         ON CONFLICT (transfer_id) DO NOTHING",
        vec![Value::from(transfer_id), kind, Value::from(note)],
    )
}

impl Db {
    /// Records why a transfer happened, on its own (idempotent: the first note stands), with
    /// its kind as written: one this server does not know reads as none (the activity falls back
    /// to the transfer's code). For notes made outside the flows (tests, tools).
    pub async fn put_note(&self, transfer_id: i64, kind: &str, note: Option<&str>) -> Result<(), StoreError> {
        self.execute(&insert(TransferId(transfer_id), Value::from(kind), note)).await.map(drop)
    }

    /// The notes of these transfers.
    pub async fn notes(&self, transfers: &[TransferId]) -> Result<Vec<NoteRow>, StoreError> {
        if transfers.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT transfer_id, kind, note, hide_sender FROM transfer_notes WHERE {}",
            self.in_list("transfer_id", 1)
        );
        let ids = transfers.iter().map(|t| t.0).collect();
        self.all(&Statement::new(sql, vec![Value::Ints(ids)])).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [ActivityKind::Transfer, ActivityKind::Deposit, ActivityKind::Tip, ActivityKind::Interest]
        {
            assert_eq!(parse_kind(kind_name(kind)), Some(kind));
        }
        assert_eq!(parse_kind("nonsense"), None);
    }

    #[test]
    fn stored_names_are_the_wire_names() {
        for kind in
            [ActivityKind::Transfer, ActivityKind::Withdrawal, ActivityKind::Fee, ActivityKind::Refund]
        {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind_name(kind));
        }
    }
}
