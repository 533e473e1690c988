//! The compliance audit log (`audit_log`): an append-only, hash-chained record of every
//! operator action and every case opened. This module owns its SQL and its hash rule: each
//! entry's `hash` is the lowercase hex SHA-256 of the UTF-8 bytes of `prev_hash` followed by
//! the entry's canonical JSON (the entry without `hash`, keys sorted, no whitespace, non-ASCII
//! as itself: what `serde_json` writes for a `BTreeMap`); the first entry's `prev_hash` is
//! [`GENESIS`].
//!
//! Rows are only appended, by [`append`] inside a batch of the [`super::batcher`]; nothing here
//! updates or deletes one (and the tables' triggers refuse both). Appenders take turns: on
//! SQLite the batch is the file's one writer; on PostgreSQL [`append`] first locks the table
//! in `SHARE ROW EXCLUSIVE` mode (which conflicts with itself, not with readers), so two
//! instances never both read the same last row.

use std::collections::BTreeMap;

use purse_api::ops::AuditEntry;
use sha2::{Digest, Sha256};

use crate::store::batcher::{BatchError, Params, Tx};
use crate::store::{Columns, Db, Row, Statement, StoreError, values};
use crate::time::Time;

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Rows in one `INSERT` at most (eight values each: well within both backends' limits).
const ROWS_PER_INSERT: usize = 1000;

/// An entry to append: what happened, by whom, to what. Its `seq`, `prev_hash` and `hash` are
/// the appender's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub at: Time,
    /// The officer's handle, or `system`.
    pub actor: String,
    /// `case.opened`, `case.approved`, `person.frozen`…
    pub action: String,
    /// `case:cs_…`, `person:@handle`.
    pub subject: String,
    pub note: String,
}

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Time,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub note: String,
    pub prev_hash: String,
    pub hash: String,
}

const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, note, prev_hash, hash";

impl Row for AuditRow {
    fn read(columns: &mut Columns<'_>) -> Result<Self, StoreError> {
        Ok(AuditRow {
            seq: columns.take()?,
            at: columns.take()?,
            actor: columns.take()?,
            action: columns.take()?,
            subject: columns.take()?,
            note: columns.take()?,
            prev_hash: columns.take()?,
            hash: columns.take()?,
        })
    }
}

impl AuditRow {
    /// As the API lists it (`at` in RFC 3339, as hashed).
    pub fn entry(&self) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            at: self.at.rfc3339(),
            actor: self.actor.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            note: self.note.clone(),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// The entry's canonical JSON: every field but `hash`, keys sorted, no whitespace, non-ASCII
/// written as itself.
pub fn canonical_json(entry: &AuditEntry) -> String {
    let fields: BTreeMap<&str, serde_json::Value> = BTreeMap::from([
        ("seq", serde_json::Value::from(entry.seq)),
        ("at", serde_json::Value::from(entry.at.as_str())),
        ("actor", serde_json::Value::from(entry.actor.as_str())),
        ("action", serde_json::Value::from(entry.action.as_str())),
        ("subject", serde_json::Value::from(entry.subject.as_str())),
        ("note", serde_json::Value::from(entry.note.as_str())),
        ("prev_hash", serde_json::Value::from(entry.prev_hash.as_str())),
    ]);
    // A map of strings and a number always serializes.
    serde_json::to_string(&fields).unwrap_or_default()
}

/// `entry`'s hash after `prev_hash` (its own `hash` is not read): lowercase hex SHA-256 of
/// `prev_hash` followed by the canonical JSON.
pub fn entry_hash(prev_hash: &str, entry: &AuditEntry) -> String {
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_bytes());
    digest.update(canonical_json(entry).as_bytes());
    data_encoding::HEXLOWER.encode(&digest.finalize())
}

/// Appends `entries`, in order, after the log's last row, inside a batch's transaction: their
/// rows as written. On PostgreSQL the table is locked first (until the batch commits), so
/// appenders on every instance take turns; on SQLite the batch holds the file's write lock.
/// Call it once per batch, after the batch's other writes, so this lock is its last.
pub(crate) async fn append(tx: &mut Tx<'_>, entries: &[NewEntry]) -> Result<Vec<AuditRow>, BatchError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    if tx.is_postgres() {
        tx.execute(&Statement::new("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE", vec![])).await?;
    }
    let head: Vec<(i64, String)> = tx
        .fetch(&Statement::new("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", vec![]))
        .await?;
    let (mut seq, mut prev_hash) = head.into_iter().next().unwrap_or((0, GENESIS.to_string()));
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let mut row = AuditRow {
            seq,
            at: entry.at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            note: entry.note.clone(),
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        row.hash = entry_hash(&prev_hash, &row.entry());
        prev_hash.clone_from(&row.hash);
        rows.push(row);
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut params = Params::new(tx);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| {
                let marks = [
                    params.plain(row.seq),
                    params.plain(row.at),
                    params.plain(&row.actor),
                    params.plain(&row.action),
                    params.plain(&row.subject),
                    params.plain(&row.note),
                    params.plain(&row.prev_hash),
                    params.plain(&row.hash),
                ];
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES {}", tuples.join(", "));
        let written = tx.execute(&params.statement(sql)).await?;
        if written != chunk.len() as u64 {
            return Err(BatchError::of_write(format!(
                "the audit log took {written} of {} entries",
                chunk.len()
            )));
        }
    }
    Ok(rows)
}

impl Db {
    /// Entries with `seq` below `before_seq` (all, when `None`), newest first, at most `limit`.
    pub async fn audit_page(&self, limit: i64, before_seq: Option<i64>) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2");
        self.all(&Statement::new(sql, values![before_seq.unwrap_or(i64::MAX), limit])).await
    }

    /// Entries with `seq` above `after_seq`, oldest first, at most `limit`: the log in order, a
    /// page at a time, for checking the chain.
    pub async fn audit_in_order(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        self.all(&Statement::new(sql, values![after_seq, limit])).await
    }

    /// The last entry, if any.
    pub async fn audit_head(&self) -> Result<Option<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1");
        self.optional(&Statement::new(sql, vec![])).await
    }

    /// Whether the database has the audit log's table (a database the server has not migrated
    /// since 1015 has none), and whether its migration ran (if it did, a missing table was
    /// dropped). For the read-only audit, which cannot migrate.
    pub async fn audit_log_exists(&self) -> Result<(bool, bool), StoreError> {
        let table = match self {
            Db::Sqlite(..) => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
            }
            Db::Postgres(_) => {
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_log'"
            }
        };
        let (tables,): (i64,) = self.one(&Statement::new(table, vec![])).await?;
        let migrated = "SELECT COUNT(*) FROM _sqlx_migrations WHERE version = 1015 AND success";
        let (migrations,): (i64,) = self.one(&Statement::new(migrated, vec![])).await?;
        Ok((tables > 0, migrations > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, note: &str) -> AuditEntry {
        AuditEntry {
            seq,
            at: "2027-01-15T08:00:00Z".into(),
            actor: "cora".into(),
            action: "case.approved".into(),
            subject: "case:cs_1".into(),
            note: note.into(),
            prev_hash: GENESIS.into(),
            hash: "ignored".into(),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_leaves_out_the_hash_and_writes_non_ascii_as_itself() {
        assert_eq!(
            canonical_json(&entry(1, "تمت المراجعة \"ok\"")),
            format!(
                r#"{{"action":"case.approved","actor":"cora","at":"2027-01-15T08:00:00Z","note":"تمت المراجعة \"ok\"","prev_hash":"{GENESIS}","seq":1,"subject":"case:cs_1"}}"#
            )
        );
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_every_field_but_its_own() {
        let base = entry(1, "fine");
        let hash = entry_hash(GENESIS, &base);
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{hash}");
        assert_eq!(entry_hash(GENESIS, &AuditEntry { hash: "other".into(), ..base.clone() }), hash);
        let changed = [
            AuditEntry { seq: 2, ..base.clone() },
            AuditEntry { note: "fine ".into(), ..base.clone() },
            AuditEntry { actor: "kemal".into(), ..base.clone() },
            AuditEntry { at: "2027-01-15T08:00:01Z".into(), ..base.clone() },
            AuditEntry { prev_hash: "1".repeat(64), ..base.clone() },
        ];
        for other in changed {
            assert_ne!(entry_hash(GENESIS, &other), hash, "{other:?}");
        }
        assert_ne!(entry_hash(&"1".repeat(64), &base), hash, "the prefix counts");
    }
}
