//! The compliance audit log as flows use it: recording an operator's decision (or a case
//! opened) atomically with the statements that make it, the console's page of the log with
//! the chain checked, and the check itself (which `purse-server audit` runs too). The table,
//! its SQL and the hash rule are [`crate::store::audit`]'s.

use std::fmt;

use purse_api::ops::{AuditEntry, AuditPage, ChainCheck};

use crate::flows::{FlowError, Flows};
use crate::store::audit::{self, GENESIS};
use crate::store::{Db, Statement, StoreError};

pub use crate::store::audit::NewEntry;

/// Entries read at a time while the chain is checked.
const CHECK_PAGE: i64 = 1000;

/// `entry`'s hash after `prev_hash`: lowercase hex SHA-256 of `prev_hash` followed by the
/// entry's canonical JSON (every field but `hash`, keys sorted, no whitespace). Pure.
pub fn entry_hash(prev_hash: &str, entry: &AuditEntry) -> String {
    audit::entry_hash(prev_hash, entry)
}

/// Runs `statements` (as [`crate::store::WriteBatcher::apply`]: a statement marked
/// `must_change` that changes nothing undoes them all) and, when they were made, appends
/// `entries` in the same transaction. Whether they were made, and the entries as written; none
/// when they were not (the case was decided already, say), so a refused decision leaves no
/// trace in the log.
pub async fn record(
    flows: &Flows,
    entries: Vec<NewEntry>,
    statements: Vec<Statement>,
) -> Result<(bool, Vec<AuditEntry>), FlowError> {
    let (applied, rows) = flows.batcher.audited(statements, entries).await?;
    Ok((applied, rows.iter().map(audit::AuditRow::entry).collect()))
}

/// `GET /ops/audit-log`: entries with `seq` below `before` (`i64::MAX` for the first page,
/// else the cursor's position), newest first, at most `limit`, and the whole chain checked.
///
/// The check reads every entry, each time: a log of compliance decisions grows by people's
/// actions (thousands of rows, milliseconds to hash), and a check that remembered an earlier
/// one would not see an old row edited since.
pub async fn page(flows: &Flows, limit: u32, before: i64) -> Result<AuditPage, FlowError> {
    let rows = flows.db.audit_page(i64::from(limit) + 1, Some(before)).await?;
    let (rows, next_cursor) = super::page(flows, rows, limit, |row| row.seq);
    let chain = verify(&flows.db).await?.check();
    Ok(AuditPage { items: rows.iter().map(audit::AuditRow::entry).collect(), next_cursor, chain })
}

/// What the check of the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries read, up to and including the first broken one.
    pub entries: i64,
    pub broken: Option<Break>,
}

/// The first entry whose place in the chain does not hold, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: BreakReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakReason {
    /// No entry has this `seq`; the next one there is has `found`.
    Missing { found: i64 },
    /// Its `hash` is not the hash of its contents (it was edited).
    Hash,
    /// Its `prev_hash` is not the previous entry's `hash`.
    Link,
}

impl ChainReport {
    /// As the API says it.
    pub fn check(&self) -> ChainCheck {
        ChainCheck {
            verified: self.broken.is_none(),
            entries: self.entries,
            first_broken: self.broken.as_ref().map(|b| b.seq),
        }
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match self.reason {
            BreakReason::Missing { found } => {
                write!(f, "broken at seq {seq} (no such entry: the next one is seq {found})")
            }
            BreakReason::Hash => write!(f, "broken at seq {seq} (its hash does not match its contents)"),
            BreakReason::Link => {
                write!(f, "broken at seq {seq} (its prev_hash is not the hash of seq {})", seq - 1)
            }
        }
    }
}

/// Walks the whole log in `seq` order: each `seq` the one before plus one (from 1), each
/// `hash` its contents' and each `prev_hash` the previous entry's ([`GENESIS`] for the first).
/// Stops at the first entry that breaks any of the three.
pub async fn verify(db: &Db) -> Result<ChainReport, StoreError> {
    let mut entries = 0;
    let mut prev_hash = GENESIS.to_string();
    let mut after = 0;
    loop {
        let rows = db.audit_in_order(after, CHECK_PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in &rows {
            entries += 1;
            if let Some(reason) = fault(row, entries, &prev_hash) {
                // A missing entry is named by the `seq` that is not there.
                return Ok(ChainReport {
                    entries,
                    broken: Some(Break { seq: entries.min(row.seq), reason }),
                });
            }
            prev_hash.clone_from(&row.hash);
        }
    }
    Ok(ChainReport { entries, broken: None })
}

/// What is wrong with `row`, read where entry `expected_seq` belongs after `prev_hash`.
fn fault(row: &audit::AuditRow, expected_seq: i64, prev_hash: &str) -> Option<BreakReason> {
    if row.seq != expected_seq {
        Some(BreakReason::Missing { found: row.seq })
    } else if entry_hash(&row.prev_hash, &row.entry()) != row.hash {
        Some(BreakReason::Hash)
    } else if row.prev_hash != prev_hash {
        Some(BreakReason::Link)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(notes: &[&str]) -> Vec<audit::AuditRow> {
        let mut prev_hash = GENESIS.to_string();
        let mut rows = Vec::new();
        for (seq, note) in (1_i64..).zip(notes) {
            let mut row = audit::AuditRow {
                seq,
                at: crate::time::Time::from_nanos(1_800_000_000_000_000_000),
                actor: "cora".into(),
                action: "case.approved".into(),
                subject: "case:cs_1".into(),
                note: (*note).into(),
                prev_hash: prev_hash.clone(),
                hash: String::new(),
            };
            row.hash = entry_hash(&prev_hash, &row.entry());
            prev_hash.clone_from(&row.hash);
            rows.push(row);
        }
        rows
    }

    /// The first fault of `rows` read in order, as `verify` finds it.
    fn first_fault(rows: &[audit::AuditRow]) -> Option<(i64, BreakReason)> {
        let mut prev_hash = GENESIS.to_string();
        for (expected, row) in (1_i64..).zip(rows) {
            if let Some(reason) = fault(row, expected, &prev_hash) {
                return Some((expected.min(row.seq), reason));
            }
            prev_hash.clone_from(&row.hash);
        }
        None
    }

    #[test]
    fn each_kind_of_damage_is_named_at_its_first_entry() {
        let intact = chain(&["a", "b", "c", "d"]);
        assert_eq!(first_fault(&intact), None);
        type Damage = fn(&mut Vec<audit::AuditRow>);
        type Case = (&'static str, Damage, Option<(i64, BreakReason)>);
        let cases: [Case; 5] = [
            ("a note edited", |rows| rows[1].note.push('!'), Some((2, BreakReason::Hash))),
            ("an entry removed", |rows| drop(rows.remove(2)), Some((3, BreakReason::Missing { found: 4 }))),
            (
                "an edited entry re-hashed",
                |rows| {
                    rows[1].note.push('!');
                    let hash = entry_hash(&rows[1].prev_hash, &rows[1].entry());
                    rows[1].hash = hash;
                },
                Some((3, BreakReason::Link)),
            ),
            (
                "the first entry's link",
                |rows| rows[0].prev_hash = "1".repeat(64),
                Some((1, BreakReason::Hash)),
            ),
            ("the last entry removed (a chain cannot tell)", |rows| drop(rows.pop()), None),
        ];
        for (what, damage, expected) in cases {
            let mut rows = intact.clone();
            damage(&mut rows);
            assert_eq!(first_fault(&rows), expected, "{what}");
        }
    }

    #[test]
    fn a_break_says_where_and_why() {
        let cases = [
            (
                Break { seq: 3, reason: BreakReason::Hash },
                "broken at seq 3 (its hash does not match its contents)",
            ),
            (
                Break { seq: 3, reason: BreakReason::Missing { found: 5 } },
                "broken at seq 3 (no such entry: the next one is seq 5)",
            ),
            (
                Break { seq: 4, reason: BreakReason::Link },
                "broken at seq 4 (its prev_hash is not the hash of seq 3)",
            ),
        ];
        for (found, said) in cases {
            assert_eq!(found.to_string(), said);
        }
    }
}
