//! `users`, `sessions` and `server_secrets`: people (handle, name, password and PIN hashes, the
//! PIN's run of wrong tries and its lock, role bits), their sessions (only a token's SHA-256),
//! and the secrets every instance shares.

use std::collections::HashMap;
use std::sync::LazyLock;

use purse_api::compliance::AccountStatus;

use crate::ids::PersonId;
use crate::store::{Column, Columns, Db, Row, RowRef, Statement, StoreError, Value, values, word};
use crate::time::Time;

/// Role bits of `users.roles`: everyone is a member; these add the creator and the merchant.
pub const ROLE_CREATOR: i64 = 1;
pub const ROLE_MERCHANT: i64 = 2;

/// A person as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: PersonId,
    pub public_id: String,
    pub handle: String,
    pub display_name: String,
    pub password_hash: String,
    pub pin_hash: Option<String>,
    pub pin_failures: i64,
    pub pin_locked_until: Option<Time>,
    /// [`ROLE_CREATOR`] and [`ROLE_MERCHANT`] bits.
    pub roles: i64,
    pub created_at: Time,
    /// The verification tier, 0–2.
    pub tier: i64,
    pub status: AccountStatus,
    /// The verified address's state (the person's region), once verified.
    pub region_state: Option<String>,
    /// A compliance officer (the `/ops` console).
    pub officer: bool,
}

impl UserRow {
    pub fn is_creator(&self) -> bool {
        self.roles & ROLE_CREATOR != 0
    }

    pub fn is_merchant(&self) -> bool {
        self.roles & ROLE_MERCHANT != 0
    }

    pub fn is_officer(&self) -> bool {
        self.officer
    }
}

const USER_COLUMNS: &str = "id, public_id, handle, display_name, password_hash, pin_hash, pin_failures, \
     pin_locked_until, roles, created_at, tier, status, region_state, officer";

/// In [`USER_COLUMNS`] order.
impl Row for UserRow {
    fn read(columns: &mut Columns<'_>) -> Result<UserRow, StoreError> {
        Ok(UserRow {
            id: columns.take()?,
            public_id: columns.take()?,
            handle: columns.take()?,
            display_name: columns.take()?,
            password_hash: columns.take()?,
            pin_hash: columns.take()?,
            pin_failures: columns.take()?,
            pin_locked_until: columns.take()?,
            roles: columns.take()?,
            created_at: columns.take()?,
            tier: columns.take()?,
            status: columns.take()?,
            region_state: columns.take()?,
            officer: columns.take()?,
        })
    }
}

impl Column for AccountStatus {
    fn read(row: RowRef<'_>, index: usize) -> Result<AccountStatus, StoreError> {
        word(row, index, "account status", AccountStatus::parse)
    }
}

impl From<AccountStatus> for Value {
    fn from(status: AccountStatus) -> Value {
        Value::from(status.as_str())
    }
}

/// A person to create.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub public_id: &'a str,
    pub handle: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub pin_hash: Option<&'a str>,
    pub roles: i64,
    pub created_at: Time,
}

/// Why a person was not created.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("the handle is taken")]
    HandleTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Db {
    /// The 32-byte secret called `name`, created (randomly, once, for every instance) if absent.
    pub async fn secret(&self, name: &str, fresh: [u8; 32]) -> Result<[u8; 32], StoreError> {
        self.execute(&Statement::new(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            values![name, fresh.as_slice()],
        ))
        .await?;
        let (value,): (Vec<u8>,) = self
            .one(&Statement::new("SELECT value FROM server_secrets WHERE name = $1", values![name]))
            .await?;
        value.try_into().map_err(|_| StoreError::Broken(format!("secret {name} is not 32 bytes")))
    }

    /// Replaces the shared secret `name`.
    pub async fn replace_secret(&self, name: &str, value: [u8; 32]) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE server_secrets SET value = $2 WHERE name = $1",
            values![name, value.as_slice()],
        ))
        .await
        .map(drop)
    }

    pub async fn insert_user(&self, user: NewUser<'_>) -> Result<UserRow, InsertUserError> {
        let sql = format!(
            "INSERT INTO users (public_id, handle, display_name, password_hash, pin_hash, roles, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        );
        let values = values![
            user.public_id,
            user.handle,
            user.display_name,
            user.password_hash,
            user.pin_hash,
            user.roles,
            user.created_at
        ];
        self.insert_unique(&Statement::new(sql, values)).await?.ok_or(InsertUserError::HandleTaken)
    }

    pub async fn user_by_handle(&self, handle: &str) -> Result<Option<UserRow>, StoreError> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE handle = $1"));
        self.optional(&Statement::new(SQL.as_str(), values![handle])).await
    }

    /// The people with these ids (repeats allowed), by id.
    pub async fn people_by_id(
        &self,
        ids: impl IntoIterator<Item = PersonId>,
    ) -> Result<HashMap<PersonId, UserRow>, StoreError> {
        let mut ids: Vec<PersonId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self.users_by_ids(&ids).await?.into_iter().map(|u| (u.id, u)).collect())
    }

    pub async fn users_by_ids(&self, ids: &[PersonId]) -> Result<Vec<UserRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {}", self.in_list("id", 1));
        self.all(&Statement::new(sql, vec![Value::Ints(ids.iter().map(|id| id.0).collect())])).await
    }

    /// Sets `person`'s role bits.
    pub async fn set_roles(&self, person: PersonId, roles: i64) -> Result<(), StoreError> {
        self.execute(&Statement::new("UPDATE users SET roles = $1 WHERE id = $2", values![roles, person]))
            .await
            .map(drop)
    }

    pub async fn set_pin(&self, person: PersonId, pin_hash: &str) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "UPDATE users SET pin_hash = $1, pin_failures = 0, pin_locked_until = NULL WHERE id = $2",
            values![pin_hash, person],
        ))
        .await
        .map(drop)
    }

    /// Counts a PIN attempt as wrong before it is checked (a right one then clears the count,
    /// see [`Db::pin_passed`]), so however many arrive at once, at most `lock_after` wrong ones
    /// are ever checked in a row. Returns the attempt's place in the run (1 for the first), or
    /// no row when the person has no PIN, is locked at `now`, or has `lock_after` wrong or
    /// unfinished attempts already. A lock that has run out starts the run again. For
    /// [`WriteBatcher::count`](crate::store::WriteBatcher::count).
    ///
    /// The attempt that makes `lock_after` locks the PIN until `lock_until` at once, before
    /// its PIN is checked: a right one lifts the lock, a wrong one leaves it. So an attempt
    /// whose end is never written (its request cut off) costs at most one lock's time.
    pub fn reserve_pin_attempt(person: PersonId, now: Time, lock_after: i64, lock_until: Time) -> Statement {
        Statement::new(
            "UPDATE users SET \
                 pin_failures = CASE WHEN pin_locked_until IS NULL AND pin_failures < $3 THEN pin_failures + 1 ELSE 1 END, \
                 pin_locked_until = CASE \
                     WHEN pin_locked_until IS NULL AND pin_failures + 1 >= $3 THEN $4 ELSE NULL END \
             WHERE id = $1 AND pin_hash IS NOT NULL AND (pin_locked_until IS NULL OR pin_locked_until <= $2) \
             RETURNING pin_failures",
            values![person, now, lock_after, lock_until],
        )
    }

    /// Gives back an attempt counted by [`Db::reserve_pin_attempt`] whose PIN could not be
    /// checked (our failure, not a wrong PIN); the lock it set, if it set one.
    pub fn pin_not_checked(person: PersonId, place: i64, lock_after: i64) -> Statement {
        Statement::new(
            "UPDATE users SET pin_failures = CASE WHEN pin_failures > 0 THEN pin_failures - 1 ELSE 0 END, \
                 pin_locked_until = CASE WHEN $2 >= $3 THEN NULL ELSE pin_locked_until END \
             WHERE id = $1",
            values![person, place, lock_after],
        )
    }

    /// A right PIN ends the run of wrong ones (its own reservation included) and any lock it
    /// set; `restore` replaces the stored PIN (moved to the current pepper).
    pub fn pin_passed(person: PersonId, restore: Option<String>) -> Statement {
        match restore {
            None => Statement::new(
                "UPDATE users SET pin_failures = 0, pin_locked_until = NULL WHERE id = $1",
                values![person],
            ),
            Some(hash) => Statement::new(
                "UPDATE users SET pin_failures = 0, pin_locked_until = NULL, pin_hash = $2 WHERE id = $1",
                values![person, hash],
            ),
        }
    }

    /// The person's PIN state as stored: whether a PIN is set, the wrong ones in a row, the lock.
    pub async fn pin_state(&self, person: PersonId) -> Result<(bool, i64, Option<Time>), StoreError> {
        let statement = Statement::new(
            "SELECT CAST(CASE WHEN pin_hash IS NULL THEN 0 ELSE 1 END AS BIGINT), pin_failures, pin_locked_until \
             FROM users WHERE id = $1",
            values![person],
        );
        let row: Option<(i64, i64, Option<Time>)> = self.optional(&statement).await?;
        let (set, failures, locked_until) =
            row.ok_or_else(|| StoreError::Database(format!("no person {person}")))?;
        Ok((set == 1, failures, locked_until))
    }

    pub async fn insert_session(
        &self,
        token_hash: &[u8; 32],
        person: PersonId,
        created_at: Time,
        expires_at: Time,
    ) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            values![token_hash.as_slice(), person, created_at, expires_at],
        ))
        .await
        .map(drop)
    }

    /// The person a live session belongs to.
    pub async fn session_user(
        &self,
        token_hash: &[u8; 32],
        now: Time,
    ) -> Result<Option<UserRow>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2"
            )
        });
        self.point(&Statement::new(SQL.as_str(), values![token_hash.as_slice(), now])).await
    }

    pub async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        self.execute(&Statement::new(
            "DELETE FROM sessions WHERE token_hash = $1",
            values![token_hash.as_slice()],
        ))
        .await
        .map(drop)
    }
}

/// Makes the person with `handle` a compliance officer (`serve --officer`, the demo).
pub fn make_officer(handle: &str) -> Statement {
    Statement::new("UPDATE users SET officer = 1 WHERE handle = $1", crate::store::values![handle])
}
