//! `health_probe`: the one row health rewrites to learn whether the database takes writes, and
//! what a failed write says about why.

use crate::store::values;
use crate::store::{Db, Statement, StoreError};
use crate::time::Time;

/// Why the database takes no writes, as far as its error tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFailure {
    /// The disk (or the database's space) is full.
    Full,
    /// The database, its file or its file system is read-only.
    ReadOnly,
    /// The disk failed the write.
    Io,
    /// Anything else.
    Other,
}

impl WriteFailure {
    /// Reads a database error: SQLite's and PostgreSQL's words for each kind.
    pub fn of(error: &StoreError) -> WriteFailure {
        let message = error.message().to_ascii_lowercase();
        let says = |words: &[&str]| words.iter().any(|word| message.contains(word));
        if says(&["disk is full", "no space left", "could not extend file", "disk full"]) {
            WriteFailure::Full
        } else if says(&["readonly", "read-only", "read only"]) {
            WriteFailure::ReadOnly
        } else if says(&["i/o error", "input/output error"]) {
            WriteFailure::Io
        } else {
            WriteFailure::Other
        }
    }

    /// The reason, for a person: no internals.
    pub fn reason(self) -> &'static str {
        match self {
            WriteFailure::Full => "the disk is full",
            WriteFailure::ReadOnly => "the database is read-only",
            WriteFailure::Io => "the disk failed a write",
            WriteFailure::Other => "a write failed",
        }
    }
}

impl Db {
    /// Rewrites the probe row: `Ok` when the database takes a write.
    pub async fn probe_write(&self, at: Time) -> Result<(), StoreError> {
        self.execute(&Db::probe(at)).await.map(drop)
    }

    /// The statement that rewrites the probe row.
    pub fn probe(at: Time) -> Statement {
        Statement::new(
            "INSERT INTO health_probe (id, probed_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
            values![at],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_failures_are_read_from_both_databases_words() {
        let cases = [
            ("(code: 13) database or disk is full", WriteFailure::Full),
            ("could not extend file \"base/1/2\": No space left on device", WriteFailure::Full),
            ("(code: 8) attempt to write a readonly database", WriteFailure::ReadOnly),
            ("cannot execute INSERT in a read-only transaction", WriteFailure::ReadOnly),
            ("(code: 778) disk I/O error", WriteFailure::Io),
            ("pool timed out", WriteFailure::Other),
        ];
        for (message, expected) in cases {
            assert_eq!(WriteFailure::of(&StoreError::Database(message.into())), expected, "{message}");
        }
    }
}
