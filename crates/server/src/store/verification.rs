//! `verifications`: each identity verification a provider answered, and what it changed of the
//! person (`users.tier`, `status`, `region_state`). What a row keeps is [`Kept`]: the legal
//! name, date of birth and address, the SSN's last four, a document's type and last four, never
//! more (the full document number stops at the provider).

use std::fmt;

use purse_api::compliance::{AccountStatus, Verification, VerificationStatus};

use crate::ids::PersonId;
use crate::store::{Column, Columns, Db, Row, RowRef, Statement, StoreError, Value, bound, values, word};
use crate::time::Time;

impl Column for VerificationStatus {
    fn read(row: RowRef<'_>, index: usize) -> Result<VerificationStatus, StoreError> {
        word(row, index, "verification status", VerificationStatus::parse)
    }
}

impl From<VerificationStatus> for Value {
    fn from(status: VerificationStatus) -> Value {
        Value::from(status.as_str())
    }
}

/// What a verification row keeps of what was submitted (the columns of one level are set, the
/// other level's are `None`). Its `Debug` shows only the state and the document type.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Kept {
    pub legal_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub address_line1: Option<String>,
    pub address_city: Option<String>,
    pub address_state: Option<String>,
    pub address_postal_code: Option<String>,
    pub ssn_last4: Option<String>,
    pub document_type: Option<String>,
    pub document_last4: Option<String>,
}

impl Kept {
    /// What is kept of a checked verification: never the document's full number.
    pub fn of(verification: &Verification) -> Kept {
        match verification {
            Verification::Identity { legal_name, date_of_birth, address, ssn_last4 } => Kept {
                legal_name: Some(legal_name.clone()),
                date_of_birth: Some(date_of_birth.to_string()),
                address_line1: Some(address.line1.clone()),
                address_city: Some(address.city.clone()),
                address_state: Some(address.state.clone()),
                address_postal_code: Some(address.postal_code.clone()),
                ssn_last4: Some(ssn_last4.clone()),
                ..Kept::default()
            },
            Verification::Document { document_type, document_last4, document_number: _ } => Kept {
                document_type: Some(document_type.as_str().to_string()),
                document_last4: Some(document_last4.clone()),
                ..Kept::default()
            },
        }
    }
}

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kept")
            .field("address_state", &self.address_state)
            .field("document_type", &self.document_type)
            .finish_non_exhaustive()
    }
}

/// A verification as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationRow {
    pub id: i64,
    pub person: PersonId,
    pub level: i64,
    pub status: VerificationStatus,
    pub reason_code: Option<String>,
    pub kept: Kept,
    pub created_at: Time,
}

const COLUMNS: &str = "id, user_id, level, status, reason_code, legal_name, date_of_birth, address_line1, \
     address_city, address_state, address_postal_code, ssn_last4, document_type, document_last4, created_at";

/// In [`COLUMNS`] order.
impl Row for VerificationRow {
    fn read(columns: &mut Columns<'_>) -> Result<VerificationRow, StoreError> {
        Ok(VerificationRow {
            id: columns.take()?,
            person: columns.take()?,
            level: columns.take()?,
            status: columns.take()?,
            reason_code: columns.take()?,
            kept: Kept {
                legal_name: columns.take()?,
                date_of_birth: columns.take()?,
                address_line1: columns.take()?,
                address_city: columns.take()?,
                address_state: columns.take()?,
                address_postal_code: columns.take()?,
                ssn_last4: columns.take()?,
                document_type: columns.take()?,
                document_last4: columns.take()?,
            },
            created_at: columns.take()?,
        })
    }
}

/// A verification to record, and what it changes of the person.
#[derive(Clone, Debug)]
pub struct NewVerification {
    pub person: PersonId,
    pub level: i64,
    pub status: VerificationStatus,
    pub reason_code: Option<String>,
    pub kept: Kept,
    pub created_at: Time,
    /// The tier the person reaches (never lowered).
    pub tier: Option<i64>,
    /// The person's region from now on.
    pub region_state: Option<String>,
    /// The status an `active` person takes (any other status stays: a frozen, restricted or
    /// reviewed person is not set free by verifying).
    pub status_if_active: Option<AccountStatus>,
}

/// The SQL of recording `new`: the row, then the person's change.
fn record_statements(new: &NewVerification) -> [Statement; 2] {
    let k = &new.kept;
    let insert = Statement::new(
        format!(
            "INSERT INTO verifications ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            COLUMNS.trim_start_matches("id, ")
        ),
        values![
            new.person,
            new.level,
            new.status,
            new.reason_code.as_deref(),
            k.legal_name.as_deref(),
            k.date_of_birth.as_deref(),
            k.address_line1.as_deref(),
            k.address_city.as_deref(),
            k.address_state.as_deref(),
            k.address_postal_code.as_deref(),
            k.ssn_last4.as_deref(),
            k.document_type.as_deref(),
            k.document_last4.as_deref(),
            new.created_at,
        ],
    );
    let person = Statement::new(
        "UPDATE users SET \
             tier = CASE WHEN $2 > tier THEN $2 ELSE tier END, \
             region_state = COALESCE($3, region_state), \
             status = CASE WHEN status = 'active' AND $4 IS NOT NULL THEN $4 ELSE status END \
         WHERE id = $1",
        values![
            new.person,
            new.tier,
            new.region_state.as_deref(),
            new.status_if_active.map(AccountStatus::as_str)
        ],
    );
    [insert, person]
}

/// Locks the person (a write first: on SQLite the transaction takes the write lock at once; on
/// PostgreSQL the person's row is locked until the end) and reads their tier.
const LOCK_PERSON: &str = "UPDATE users SET tier = tier WHERE id = $1 RETURNING tier";

/// The id of the person's latest verification at a level.
const LATEST_ID: &str =
    "SELECT id FROM verifications WHERE user_id = $1 AND level = $2 ORDER BY id DESC LIMIT 1";

/// Records `new` in one transaction with the person's change, if nothing changed since the
/// caller looked: the person's latest verification at the level is still `seen` and their tier
/// is still below the level. `false` (nothing written) when something did: look again.
macro_rules! record_in {
    ($backend:ident, $pool:expr, $new:expr, $seen:expr) => {{
        let mut tx = $pool.begin().await?;
        let lock = Statement::new(LOCK_PERSON, values![$new.person]);
        let tier: Option<(i64,)> =
            match bound!($backend, sqlx::query(&lock.sql), &lock.values).fetch_optional(&mut *tx).await? {
                Some(row) => Some(Columns::read(&row)?),
                None => None,
            };
        let latest = Statement::new(LATEST_ID, values![$new.person, $new.level]);
        let latest: Option<(i64,)> = match bound!($backend, sqlx::query(&latest.sql), &latest.values)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(row) => Some(Columns::read(&row)?),
            None => None,
        };
        let unchanged = tier.is_some_and(|(tier,)| tier < $new.level) && latest.map(|(id,)| id) == $seen;
        if unchanged {
            for statement in record_statements($new) {
                bound!($backend, sqlx::query(&statement.sql), &statement.values).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(unchanged)
    }};
}

impl Db {
    /// The person's latest verification, at `level` if given.
    pub async fn latest_verification(
        &self,
        person: PersonId,
        level: Option<i64>,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let statement = match level {
            Some(level) => Statement::new(
                format!(
                    "SELECT {COLUMNS} FROM verifications WHERE user_id = $1 AND level = $2 ORDER BY id DESC LIMIT 1"
                ),
                values![person, level],
            ),
            None => Statement::new(
                format!("SELECT {COLUMNS} FROM verifications WHERE user_id = $1 ORDER BY id DESC LIMIT 1"),
                values![person],
            ),
        };
        self.optional(&statement).await
    }

    /// Records `new` and its change of the person, in one transaction, if the person's latest
    /// verification at its level is still the one with id `seen` and their tier is still below
    /// it; `false` (nothing written) otherwise, so two submissions at once never both count.
    pub async fn record_verification(
        &self,
        new: &NewVerification,
        seen: Option<i64>,
    ) -> Result<bool, StoreError> {
        match self {
            Db::Sqlite(pool, _) => record_in!(sqlite, pool, new, seen),
            Db::Postgres(pool) => record_in!(postgres, pool, new, seen),
        }
    }
}
