//! Failures of the ledger as a system (storage, shutdown, broken invariants), as opposed to
//! a request's rejection, which is a [`crate::CreateTransferError`] result.

/// Why the ledger could not answer. Cloneable, because one failed batch answers every caller
/// in it with the same error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The database URL is neither `sqlite:` nor `postgres://`/`postgresql://`, or is malformed.
    #[error("{0}")]
    InvalidUrl(String),
    /// The database refused or failed. The batch was rolled back, unless the failure hit the
    /// commit itself, when its fate is unknown: retry with the same ids, which is always safe.
    #[error("database error: {0}")]
    Database(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    /// Stored data that the ledger cannot have written (an unknown currency, a negative
    /// balance): reported, never repaired silently.
    #[error("stored ledger data is invalid: {0}")]
    Corrupt(String),
    /// A batch would have broken an invariant; it was rolled back and nothing was written.
    #[error("ledger invariant violated: {0}")]
    InvariantViolated(String),
    /// A submission with more requests than one batch may hold.
    #[error("a submission may hold at most {max} requests")]
    SubmissionTooLarge { max: usize },
    /// The ledger was shut down; nothing more is accepted.
    #[error("the ledger is shut down")]
    ShutDown,
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> LedgerError {
        LedgerError::Database(one_line(&error.to_string()))
    }
}

impl From<sqlx::migrate::MigrateError> for LedgerError {
    fn from(error: sqlx::migrate::MigrateError) -> LedgerError {
        LedgerError::Migration(one_line(&error.to_string()))
    }
}

/// Database messages sometimes span lines; errors here are read in one-line logs.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
