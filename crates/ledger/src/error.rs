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
    /// The connection to the database was lost (a socket error, a terminated PostgreSQL
    /// backend). Before a commit nothing was written, and the batch is made again on another
    /// connection; at a commit its fate is unknown, as for [`LedgerError::Database`].
    #[error("database connection lost: {0}")]
    ConnectionLost(String),
    /// The database refused a row (a `CHECK`, `UNIQUE` or foreign key): the engine let through
    /// something its constraints forbid. The batch was rolled back.
    #[error("database constraint violated: {0}")]
    Constraint(String),
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
    /// The ledger was opened read-only (for an audit): it moves no money.
    #[error("the ledger is open read-only")]
    ReadOnly,
}

impl LedgerError {
    /// Whether the failure may belong to one submission of a batch rather than to the
    /// database as a whole, so that running each submission alone can spare the others.
    pub fn may_be_one_submissions_fault(&self) -> bool {
        matches!(self, LedgerError::Constraint(_) | LedgerError::InvariantViolated(_))
    }
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> LedgerError {
        use sqlx::error::ErrorKind;
        let text = one_line(&error.to_string());
        match &error {
            sqlx::Error::Database(database)
                if matches!(
                    database.kind(),
                    ErrorKind::UniqueViolation
                        | ErrorKind::ForeignKeyViolation
                        | ErrorKind::NotNullViolation
                        | ErrorKind::CheckViolation
                ) =>
            {
                LedgerError::Constraint(text)
            }
            sqlx::Error::Io(_) => LedgerError::ConnectionLost(text),
            sqlx::Error::Database(database)
                if database.code().is_some_and(|code| {
                    code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
                }) =>
            {
                LedgerError::ConnectionLost(text)
            }
            _ => LedgerError::Database(text),
        }
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
