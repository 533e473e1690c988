//! The server's own tables (people, sessions, rate limits, transfer notes, secrets), in the same
//! database as the ledger but never the ledger's tables.
//!
//! Both backends run the same SQL text: sqlx accepts `$1`-style placeholders on SQLite too, and
//! what differs (id lists) is written per backend. [`with_pool!`] writes a body once and
//! compiles it for each pool type.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::reader::Reader;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The server's connection pool (on SQLite, and its [`Reader`] for the money path's reads).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, Arc<Reader>),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds.
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, _) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// The sandbox rails keep their tables in the server's database.
impl From<Db> for purse_rails::sandbox::SandboxDb {
    fn from(db: Db) -> purse_rails::sandbox::SandboxDb {
        match db {
            Db::Sqlite(pool, _) => purse_rails::sandbox::SandboxDb::Sqlite(pool),
            Db::Postgres(pool) => purse_rails::sandbox::SandboxDb::Postgres(pool),
        }
    }
}

/// A database failure, as one line.
#[derive(Clone, Debug, thiserror::Error)]
#[error("database error: {0}")]
pub struct DbError(pub String);

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> DbError {
        DbError(error.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

impl From<sqlx::migrate::MigrateError> for DbError {
    fn from(error: sqlx::migrate::MigrateError) -> DbError {
        DbError(format!("migration failed: {error}"))
    }
}

/// A value bound to a [`Statement`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

/// One statement of a group that commits together (see [`crate::journal::Journal::apply`]).
#[derive(Clone, Debug)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
    /// Changing no row undoes the whole group.
    pub must_change: bool,
}

impl Statement {
    pub fn new(sql: impl Into<String>, args: Vec<Arg>) -> Statement {
        Statement { sql: sql.into(), args, must_change: false }
    }

    /// The same statement, which must change a row or its group is undone.
    pub fn must_change(self) -> Statement {
        Statement { must_change: true, ..self }
    }
}

/// Records a transfer's note (kind, text) once; a second write for the same transfer changes
/// nothing.
const PUT_NOTE: &str = "INSERT INTO transfer_notes (transfer_id, kind, note) VALUES ($1, $2, $3) \
     ON CONFLICT (transfer_id) DO NOTHING";

/// [`Db::put_note`] as a statement of a journal group, so a note commits with the row that
/// records its movement.
pub fn note_statement(transfer_id: i64, kind: &str, note: &str) -> Statement {
    Statement::new(PUT_NOTE, vec![Arg::Int(transfer_id), Arg::Text(kind.into()), Arg::Text(note.into())])
}

/// A person as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub public_id: String,
    pub handle: String,
    pub display_name: String,
    pub password_hash: String,
    pub pin_hash: Option<String>,
    pub pin_failures: i64,
    pub pin_locked_until: Option<i64>,
    pub roles: i64,
    pub created_at: i64,
}

impl UserRow {
    /// The person as the other side of something (a payment, a tip): `None` if the stored
    /// handle no longer parses.
    pub fn counterparty(&self) -> Option<purse_api::Counterparty> {
        Some(purse_api::Counterparty {
            handle: purse_api::Handle::parse(&self.handle).ok()?,
            display_name: self.display_name.clone(),
        })
    }
}

/// In [`USER_COLUMNS`] order.
impl crate::reader::FromSqliteRow for UserRow {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(UserRow {
            id: row.get(0)?,
            public_id: row.get(1)?,
            handle: row.get(2)?,
            display_name: row.get(3)?,
            password_hash: row.get(4)?,
            pin_hash: row.get(5)?,
            pin_failures: row.get(6)?,
            pin_locked_until: row.get(7)?,
            roles: row.get(8)?,
            created_at: row.get(9)?,
        })
    }
}

const USER_COLUMNS: &str = "id, public_id, handle, display_name, password_hash, pin_hash, pin_failures, \
     pin_locked_until, roles, created_at";

/// Why a transfer happened: `(transfer_id, kind, note, hide_sender)` (the last is 1 when its
/// recipient must not learn who sent it).
pub type NoteRow = (i64, String, Option<String>, i64);

/// Who a handle names: all a payment needs of its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub handle: String,
}

/// Handles already looked up, with their person. Never stale: nobody is ever deleted and a
/// handle never changes (no endpoint does either; one that did would have to clear this). An
/// unknown handle is not remembered, so a person who signs up is found at once.
#[derive(Debug, Default)]
pub struct HandleCache {
    people: std::sync::Mutex<std::collections::HashMap<String, Person>>,
}

/// Beyond this many entries the cache starts over.
const HANDLE_CACHE_MAX: usize = 100_000;

impl HandleCache {
    pub fn get(&self, handle: &str) -> Option<Person> {
        self.people.lock().ok()?.get(handle).cloned()
    }

    pub fn put(&self, person: Person) {
        if let Ok(mut people) = self.people.lock() {
            if people.len() >= HANDLE_CACHE_MAX {
                people.clear();
            }
            people.insert(person.handle.clone(), person);
        }
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
    pub created_at: i64,
}

/// Why a person was not created.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("the handle is taken")]
    HandleTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn sqlite_migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.set_ignore_missing(true);
    migrator
}

fn postgres_migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

impl Db {
    /// Connects to the database the ledger uses (opened first, so the URL is known to be good)
    /// and migrates the server's tables.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            // `NORMAL`: these commits are not fsynced one by one. What money depends on stays
            // durable: an operation row (idempotency key) commits before its ledger transfer,
            // and the ledger's own `synchronous=FULL` commit fsyncs the shared WAL, every
            // earlier frame included. A power cut may lose a session, a rate-limit count or a
            // stored answer written after the ledger; the key's retry then rebuilds the answer
            // from the same transfer. (Measured: POST /transfers 365/s → 681/s.)
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            // SQLite connections do not go stale: no ping before every use.
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            sqlite_migrator().run(&pool).await?;
            let reader = Arc::new(Reader::new(pool.connect_options().get_filename().to_path_buf()));
            Ok(Db::Sqlite(pool, reader))
        } else {
            let options = PgConnectOptions::from_str(url)?;
            // No ping before every use (a round trip per query); a dead connection fails its
            // query once and is replaced.
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            postgres_migrator().run(&pool).await?;
            Ok(Db::Postgres(pool))
        }
    }

    /// The reader of the file for point reads on the money path (SQLite only).
    pub fn reader(&self) -> Option<&Reader> {
        match self {
            Db::Sqlite(_, reader) => Some(reader),
            Db::Postgres(_) => None,
        }
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await);
    }

    /// The 32-byte secret called `name`, created (randomly, once, for every instance) if absent.
    pub async fn secret(&self, name: &str) -> Result<[u8; 32], DbError> {
        let fresh = crate::auth::random_bytes::<32>();
        let value: Vec<u8> = with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh.to_vec())
            .execute(pool)
            .await?;
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?
        });
        value.try_into().map_err(|_| DbError(format!("secret {name} is not 32 bytes")))
    }

    pub async fn insert_user(&self, user: NewUser<'_>) -> Result<UserRow, InsertUserError> {
        let sql = format!(
            "INSERT INTO users (public_id, handle, display_name, password_hash, pin_hash, roles, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        );
        let result: Result<UserRow, sqlx::Error> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(user.public_id)
                .bind(user.handle)
                .bind(user.display_name)
                .bind(user.password_hash)
                .bind(user.pin_hash)
                .bind(user.roles)
                .bind(user.created_at)
                .fetch_one(pool)
                .await
        });
        match result {
            Ok(row) => Ok(row),
            Err(error) if error.as_database_error().is_some_and(|e| e.is_unique_violation()) => {
                Err(InsertUserError::HandleTaken)
            }
            Err(error) => Err(InsertUserError::Db(error.into())),
        }
    }

    pub async fn user_by_handle(&self, handle: &str) -> Result<Option<UserRow>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE handle = $1");
        Ok(with_pool!(self, |pool| sqlx::query_as(&sql).bind(handle).fetch_optional(pool).await?))
    }

    /// The people with these ids (repeats allowed), by id.
    pub async fn people_by_id(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<std::collections::HashMap<i64, UserRow>, DbError> {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self.users_by_ids(&ids).await?.into_iter().map(|u| (u.id, u)).collect())
    }

    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<Vec<UserRow>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match self {
            Db::Sqlite(pool, _) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                let sql =
                    format!("SELECT {USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each($1))");
                sqlx::query_as(&sql).bind(format!("[{}]", list.join(","))).fetch_all(pool).await?
            }
            Db::Postgres(pool) => {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1)");
                sqlx::query_as(&sql).bind(ids).fetch_all(pool).await?
            }
        })
    }

    pub async fn set_pin(&self, user_id: i64, pin_hash: &str) -> Result<(), DbError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE users SET pin_hash = $1, pin_failures = 0, pin_locked_until = NULL WHERE id = $2",
            )
            .bind(pin_hash)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Counts a wrong PIN; at `lock_after` wrong in a row, locks until `lock_until`. Returns
    /// the failures so far and the lock, as stored.
    pub async fn record_pin_failure(
        &self,
        user_id: i64,
        lock_after: i64,
        lock_until: i64,
    ) -> Result<(i64, Option<i64>), DbError> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(
                "UPDATE users SET pin_failures = pin_failures + 1, \
                     pin_locked_until = CASE WHEN pin_failures + 1 >= $1 THEN $2 ELSE pin_locked_until END \
                 WHERE id = $3 RETURNING pin_failures, pin_locked_until",
            )
            .bind(lock_after)
            .bind(lock_until)
            .bind(user_id)
            .fetch_one(pool)
            .await?
        }))
    }

    /// A right PIN ends the run of wrong ones (and any expired lock).
    pub async fn clear_pin_failures(&self, user_id: i64) -> Result<(), DbError> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE users SET pin_failures = 0, pin_locked_until = NULL WHERE id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn insert_session(
        &self,
        token_hash: &[u8; 32],
        user_id: i64,
        created_at: i64,
        expires_at: i64,
    ) -> Result<(), DbError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash.to_vec())
            .bind(user_id)
            .bind(created_at)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The person a live session belongs to.
    pub async fn session_user(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<UserRow>, DbError> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2"
            )
        });
        if let Some(reader) = self.reader() {
            return reader.optional(&SQL, &[&token_hash.as_slice(), &now]);
        }
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(&SQL).bind(token_hash.to_vec()).bind(now).fetch_optional(pool).await?
        }))
    }

    pub async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), DbError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash.to_vec())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Records why a transfer happened (idempotent: the first note stands).
    pub async fn put_note(&self, transfer_id: i64, kind: &str, note: Option<&str>) -> Result<(), DbError> {
        with_pool!(self, |pool| {
            sqlx::query(PUT_NOTE).bind(transfer_id).bind(kind).bind(note).execute(pool).await?.rows_affected()
        });
        Ok(())
    }

    /// Notes for these transfers: `(transfer_id, kind, note, hide_sender)`.
    pub async fn notes(&self, transfer_ids: &[i64]) -> Result<Vec<NoteRow>, DbError> {
        if transfer_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match self {
            Db::Sqlite(pool, _) => {
                let list: Vec<String> = transfer_ids.iter().map(i64::to_string).collect();
                sqlx::query_as(
                    "SELECT transfer_id, kind, note, hide_sender FROM transfer_notes \
                     WHERE transfer_id IN (SELECT value FROM json_each($1))",
                )
                .bind(format!("[{}]", list.join(",")))
                .fetch_all(pool)
                .await?
            }
            Db::Postgres(pool) => sqlx::query_as(
                "SELECT transfer_id, kind, note, hide_sender FROM transfer_notes WHERE transfer_id = ANY($1)",
            )
            .bind(transfer_ids)
            .fetch_all(pool)
            .await?,
        })
    }
}
