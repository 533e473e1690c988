//! The server's own tables (people, sessions, rate limits, keys, payments, requests, tips,
//! checkout, funding, webhooks, verifications, secrets, the audit log), beside the ledger's in
//! the same database and never touching them. Every SQL statement of these tables is in this folder, one
//! module per table family; nothing here knows HTTP or the flows above it.
//!
//! One way to run a statement: a [`Statement`] (SQL with `$n` placeholders and its [`Value`]s),
//! run by [`Db`] (reads and single writes) or inside a batch of the [`batcher`]; rows come
//! back through one trait, [`Row`], whatever ran them. Behind that one interface, three paths:
//!
//! - reads and single writes go through sqlx's pool;
//! - the money path's point reads ([`Db::point`]: a session, a key, the checkout a confirmation
//!   pays) run on SQLite on the calling thread through the [`reader`] (rusqlite, no hop to
//!   another thread: WAL readers never wait for the writer);
//! - the writes on the money path are queued to the [`batcher`], which makes every queued
//!   write in one transaction (group commit) and answers each.
//!
//! Migrations in `migrations/{sqlite,postgres}` are numbered from 1001 so they never collide
//! with the ledger's.

pub mod audit;
pub mod batcher;
pub mod cases;
pub mod checkout;
pub mod funding;
pub mod health;
pub mod interest;
pub mod limits;
pub mod merchants;
pub mod monitoring;
pub mod notes;
pub mod operations;
pub mod payments;
pub mod people;
pub mod reader;
pub mod requests;
pub mod sandbox;
pub mod tips;
pub mod usage;
pub mod verification;
pub mod webhooks;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use purse_ledger::TransferId;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};

use crate::ids::{OperationId, PersonId};
use crate::time::Time;
pub use batcher::WriteBatcher;
pub use operations::StoredAnswer;
pub use reader::Reader;

/// The server's database: the pool (on SQLite, and its [`Reader`] for the money path's point
/// reads).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, Arc<Reader>),
    Postgres(PgPool),
}

/// Why a statement gave nothing: the database failed (as one line), or a stored value is not
/// one this server writes (a broken row: ours to mend, not the database's).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("a broken row: {0}")]
    Broken(String),
}

impl StoreError {
    /// What went wrong, without the kind.
    pub fn message(&self) -> &str {
        match self {
            StoreError::Database(message) | StoreError::Broken(message) => message,
        }
    }
}

/// Whether `error` says the connection was lost, not that the statement failed: a socket
/// error, or PostgreSQL's connection-exception and shutdown classes (`08…`, `57P01`–`57P03`: a
/// terminated backend answers its next statement so, without running it).
pub fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Whether a statement refused with `error` certainly did not run: the backend was terminated
/// before it (a socket error may have come after it ran).
fn did_not_run(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database)
        if database.code().is_some_and(|code| matches!(&*code, "57P01" | "57P02" | "57P03")))
}

/// How many times a PostgreSQL statement meets a lost connection before it gives up: each
/// dead pooled connection fails once and is dropped, so the pool's size plus one reaches a live
/// one.
const CONNECTION_RETRIES: usize = 9;

/// A read may run again whatever the connection did.
fn read_is_safe(_: &sqlx::Error) -> bool {
    true
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        StoreError::Database(error.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Database(error.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Database(format!("migration failed: {error}"))
    }
}

/// The sandbox rails keep their tables in the server's database.
impl From<Db> for purse_rails::sandbox::SandboxDb {
    fn from(db: Db) -> purse_rails::sandbox::SandboxDb {
        match db {
            Db::Sqlite(pool, _) => purse_rails::sandbox::SandboxDb::Sqlite(pool),
            Db::Postgres(pool) => purse_rails::sandbox::SandboxDb::Postgres(pool),
        }
    }
}

/// A value bound to a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
    /// A list of ids, bound as one value: an array on PostgreSQL (`= ANY($n)`), a JSON array
    /// on SQLite (`IN (SELECT value FROM json_each($n))`). See [`Db::in_list`].
    Ints(Vec<i64>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Value {
        Value::Int(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(Some(value.to_string()))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(Some(value))
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Value {
        Value::Text(Some(value.clone()))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Value {
        Value::Text(value)
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Value {
        Value::Text(value.map(str::to_string))
    }
}

impl From<&[u8]> for Value {
    fn from(value: &[u8]) -> Value {
        Value::Blob(Some(value.to_vec()))
    }
}

impl From<bool> for Value {
    /// Stored as `0` or `1` (both backends' tables use `INTEGER`).
    fn from(value: bool) -> Value {
        Value::Int(Some(i64::from(value)))
    }
}

impl From<PersonId> for Value {
    fn from(value: PersonId) -> Value {
        Value::Int(Some(value.0))
    }
}

impl From<Option<PersonId>> for Value {
    fn from(value: Option<PersonId>) -> Value {
        Value::Int(value.map(|id| id.0))
    }
}

impl From<OperationId> for Value {
    fn from(value: OperationId) -> Value {
        Value::Int(Some(value.0))
    }
}

impl From<TransferId> for Value {
    fn from(value: TransferId) -> Value {
        Value::Int(Some(value.0))
    }
}

impl From<Time> for Value {
    fn from(value: Time) -> Value {
        Value::Int(Some(value.nanos()))
    }
}

impl From<Option<Time>> for Value {
    fn from(value: Option<Time>) -> Value {
        Value::Int(value.map(Time::nanos))
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Int(v) => v.to_sql(),
            Value::Text(v) => v.to_sql(),
            Value::Blob(v) => v.to_sql(),
            Value::Ints(ids) => Ok(rusqlite::types::ToSqlOutput::from(json_list(ids))),
        }
    }
}

/// `[Value::from(a), Value::from(b), …]`: a statement's values.
macro_rules! values {
    ($($value:expr),* $(,)?) => { vec![$($crate::store::Value::from($value)),*] };
}
pub(crate) use values;

/// One SQL statement (`$1`, `$2`… placeholders, the same text on both backends) and its values.
#[derive(Clone, Debug)]
pub struct Statement {
    pub sql: String,
    pub values: Vec<Value>,
    /// In a group (see [`WriteBatcher::apply`]): changing no row undoes the whole group.
    pub must_change: bool,
}

impl Statement {
    pub fn new(sql: impl Into<String>, values: Vec<Value>) -> Statement {
        Statement { sql: sql.into(), values, must_change: false }
    }

    /// The same statement, which must change a row or its group is undone.
    pub fn must_change(self) -> Statement {
        Statement { must_change: true, ..self }
    }
}

/// Binds each of a statement's values to a sqlx query, in order. The backends differ only in
/// an id list ([`Value::Ints`]): a JSON array for SQLite's `json_each`, an array on PostgreSQL.
macro_rules! bound {
    (sqlite, $query:expr, $values:expr) => {
        bound!(@ $query, $values, |ids| $crate::store::json_list(ids))
    };
    (postgres, $query:expr, $values:expr) => {
        bound!(@ $query, $values, |ids| ids.as_slice())
    };
    (@ $query:expr, $values:expr, |$ids:ident| $list:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                $crate::store::Value::Int(v) => query.bind(*v),
                $crate::store::Value::Text(v) => query.bind(v.as_deref()),
                $crate::store::Value::Blob(v) => query.bind(v.as_deref()),
                $crate::store::Value::Ints($ids) => query.bind($list),
            };
        }
        query
    }};
}
pub(crate) use bound;

/// An id list as SQLite's `json_each` reads it.
pub(crate) fn json_list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", list.join(","))
}

/// A row of a result, read column by column in the order of its query's column list, from
/// whichever path ran the query.
pub trait Row: Sized {
    fn read(columns: &mut Columns<'_>) -> Result<Self, StoreError>;
}

/// The columns of one result row, read in order by [`Columns::take`].
pub struct Columns<'r> {
    row: RowRef<'r>,
    next: usize,
}

/// One row of a result, from whichever path ran the query.
#[derive(Clone, Copy)]
pub struct RowRef<'r>(Source<'r>);

impl std::fmt::Debug for RowRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowRef")
    }
}

#[derive(Clone, Copy)]
enum Source<'r> {
    Rusqlite(&'r rusqlite::Row<'r>),
    Sqlite(&'r SqliteRow),
    Postgres(&'r PgRow),
}

impl std::fmt::Debug for Columns<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Columns").field("next", &self.next).finish_non_exhaustive()
    }
}

impl<'r> Columns<'r> {
    /// The next column, as `T`.
    pub fn take<T: Column>(&mut self) -> Result<T, StoreError> {
        let index = self.next;
        self.next += 1;
        T::read(self.row, index)
    }

    /// Reads a whole row, from whichever path ran its query.
    pub fn read<T: Row>(row: impl Into<RowRef<'r>>) -> Result<T, StoreError> {
        T::read(&mut Columns { row: row.into(), next: 0 })
    }
}

impl<'r> From<&'r rusqlite::Row<'r>> for RowRef<'r> {
    fn from(row: &'r rusqlite::Row<'r>) -> RowRef<'r> {
        RowRef(Source::Rusqlite(row))
    }
}

impl<'r> From<&'r SqliteRow> for RowRef<'r> {
    fn from(row: &'r SqliteRow) -> RowRef<'r> {
        RowRef(Source::Sqlite(row))
    }
}

impl<'r> From<&'r PgRow> for RowRef<'r> {
    fn from(row: &'r PgRow) -> RowRef<'r> {
        RowRef(Source::Postgres(row))
    }
}

/// A value one column holds.
pub trait Column: Sized {
    fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError>;
}

/// Reads a column as a type both sqlx backends and rusqlite decode natively.
macro_rules! native_column {
    ($($ty:ty),*) => {$(
        impl Column for $ty {
            fn read(row: RowRef<'_>, index: usize) -> Result<Self, StoreError> {
                use sqlx::Row as _;
                match row.0 {
                    Source::Rusqlite(row) => Ok(row.get(index)?),
                    Source::Sqlite(row) => Ok(row.try_get(index)?),
                    Source::Postgres(row) => Ok(row.try_get(index)?),
                }
            }
        }
    )*};
}
native_column!(i64, Option<i64>, String, Option<String>, Vec<u8>);

/// A column of a type stored as another (an id, a time, a state): read as `$stored`, then
/// turned into `$ty` by `$convert`.
macro_rules! stored_as {
    ($ty:ty, $stored:ty, $convert:expr) => {
        impl $crate::store::Column for $ty {
            fn read(row: $crate::store::RowRef<'_>, index: usize) -> Result<Self, $crate::store::StoreError> {
                let stored = <$stored as $crate::store::Column>::read(row, index)?;
                #[allow(clippy::redundant_closure_call)]
                ($convert)(stored)
            }
        }
    };
}

stored_as!(PersonId, i64, |id| Ok(PersonId(id)));
stored_as!(Option<PersonId>, Option<i64>, |id: Option<i64>| Ok(id.map(PersonId)));
stored_as!(OperationId, i64, |id| Ok(OperationId(id)));
stored_as!(Option<OperationId>, Option<i64>, |id: Option<i64>| Ok(id.map(OperationId)));
stored_as!(TransferId, i64, |id| Ok(TransferId(id)));
stored_as!(Option<TransferId>, Option<i64>, |id: Option<i64>| Ok(id.map(TransferId)));
stored_as!(Time, i64, |nanos| Ok(Time::from_nanos(nanos)));
stored_as!(Option<Time>, Option<i64>, |nanos: Option<i64>| Ok(nanos.map(Time::from_nanos)));
stored_as!(bool, i64, |flag| Ok(flag != 0));

/// Reads a column holding one of a type's words (a state, a kind), by `parse`: any other word
/// is a broken row.
pub(crate) fn word<T>(
    row: RowRef<'_>,
    index: usize,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text = String::read(row, index)?;
    parse(&text).ok_or_else(|| StoreError::Broken(format!("a stored {what} is not one: {text:?}")))
}

/// An enum stored as one word per variant (a state, a kind): `as_str()` writes exactly the word
/// the table's `CHECK` lists, `parse` reads it back, and a row holding any other word is broken.
macro_rules! stored_words {
    ($(#[$meta:meta])* pub enum $name:ident ($what:literal) {
        $($(#[$variant_meta:meta])* $variant:ident = $word:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// As stored.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            pub fn parse(word: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|value| value.as_str() == word)
            }
        }

        impl From<$name> for $crate::store::Value {
            fn from(value: $name) -> $crate::store::Value {
                $crate::store::Value::from(value.as_str())
            }
        }

        impl $crate::store::Column for $name {
            fn read(row: $crate::store::RowRef<'_>, index: usize) -> Result<Self, $crate::store::StoreError> {
                $crate::store::word(row, index, $what, $name::parse)
            }
        }
    };
}
pub(crate) use stored_words;

// A currency as stored (its ISO code): anything else is a broken row, not USD.
stored_as!(purse_api::Currency, String, |code: String| code
    .parse()
    .map_err(|_| StoreError::Broken(format!("a stored currency is not one: {code:?}"))));

/// Rows that are a few plain columns.
macro_rules! tuple_row {
    ($($name:ident),+) => {
        impl<$($name: Column),+> Row for ($($name,)+) {
            fn read(columns: &mut Columns<'_>) -> Result<Self, StoreError> {
                Ok(($(columns.take::<$name>()?,)+))
            }
        }
    };
}
tuple_row!(A);
tuple_row!(A, B);
tuple_row!(A, B, C);
tuple_row!(A, B, C, D);
tuple_row!(A, B, C, D, E);

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

/// Runs `$body` with `$pool` the pool `$db` holds and `$query` the statement bound for its
/// backend.
macro_rules! on_pool {
    ($db:expr, $statement:expr, |$pool:ident, $query:ident| $body:expr) => {
        match $db {
            Db::Sqlite($pool, _) => {
                let $query = bound!(sqlite, sqlx::query(&$statement.sql), &$statement.values);
                $body
            }
            Db::Postgres($pool) => {
                let $query = bound!(postgres, sqlx::query(&$statement.sql), &$statement.values);
                $body
            }
        }
    };
}

/// Runs `attempt` (one statement on the PostgreSQL pool) again when it met a lost connection
/// and `safe` says it did not run (a read always; a write only when certain), up to
/// [`CONNECTION_RETRIES`] times: a PostgreSQL restart or terminated connections cost a retry,
/// not a `503`.
async fn on_live_connection<T, F, Fut>(
    safe: fn(&sqlx::Error) -> bool,
    mut attempt: F,
) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(error) if tries < CONNECTION_RETRIES && is_connection_error(&error) && safe(&error) => {
                tries += 1;
                tracing::info!(%error, tries, "a database connection was lost; trying another");
            }
            result => return result,
        }
    }
}

impl Db {
    /// Connects to the database the ledger uses (opened first, so the URL is known to be good)
    /// and migrates the server's tables.
    pub async fn open(url: &str) -> Result<Db, StoreError> {
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

    /// Connects to the server's tables for reading only, migrating nothing (what `purse-server
    /// audit` reads them with): SQLite opens the file read-only, PostgreSQL sessions are
    /// `default_transaction_read_only`.
    pub async fn open_read_only(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("sqlite:") {
            let options =
                SqliteConnectOptions::from_str(url)?.read_only(true).busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
            let reader = Arc::new(Reader::new(pool.connect_options().get_filename().to_path_buf()));
            Ok(Db::Sqlite(pool, reader))
        } else {
            let options = PgConnectOptions::from_str(url)?.options([("default_transaction_read_only", "on")]);
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, _) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// The one row a read finds, if any.
    pub async fn optional<T: Row>(&self, statement: &Statement) -> Result<Option<T>, StoreError> {
        match self {
            Db::Postgres(pool) => {
                let row = on_live_connection(read_is_safe, || {
                    bound!(postgres, sqlx::query(&statement.sql), &statement.values).fetch_optional(pool)
                })
                .await?;
                row.map(|row| Columns::read(&row)).transpose()
            }
            Db::Sqlite(..) => {
                on_pool!(self, statement, |pool, query| match query.fetch_optional(pool).await? {
                    Some(row) => Ok(Some(Columns::read(&row)?)),
                    None => Ok(None),
                })
            }
        }
    }

    /// The one row a read must find.
    pub async fn one<T: Row>(&self, statement: &Statement) -> Result<T, StoreError> {
        self.optional(statement)
            .await?
            .ok_or_else(|| StoreError::Database(format!("no row for {}", first_words(&statement.sql))))
    }

    /// Every row a read finds.
    pub async fn all<T: Row>(&self, statement: &Statement) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Postgres(pool) => on_live_connection(read_is_safe, || {
                bound!(postgres, sqlx::query(&statement.sql), &statement.values).fetch_all(pool)
            })
            .await?
            .iter()
            .map(Columns::read)
            .collect(),
            Db::Sqlite(..) => on_pool!(self, statement, |pool, query| query
                .fetch_all(pool)
                .await?
                .iter()
                .map(Columns::read)
                .collect()),
        }
    }

    /// A point read on the money path (a session, a key, the checkout a confirmation pays): on
    /// SQLite made on the calling thread through the [`reader`], three thread wake-ups fewer
    /// than through the pool; elsewhere [`Db::optional`]. Only for reads that find one row by
    /// an index: a long read here would hold a runtime thread.
    pub async fn point<T: Row>(&self, statement: &Statement) -> Result<Option<T>, StoreError> {
        match self {
            Db::Sqlite(_, reader) => reader.optional(statement),
            Db::Postgres(_) => self.optional(statement).await,
        }
    }

    /// Runs a write on its own (not batched); returns how many rows it changed.
    pub async fn execute(&self, statement: &Statement) -> Result<u64, StoreError> {
        match self {
            Db::Postgres(pool) => Ok(on_live_connection(did_not_run, || {
                bound!(postgres, sqlx::query(&statement.sql), &statement.values).execute(pool)
            })
            .await?
            .rows_affected()),
            Db::Sqlite(..) => {
                on_pool!(self, statement, |pool, query| Ok(query.execute(pool).await?.rows_affected()))
            }
        }
    }

    /// Runs a write with `RETURNING` on its own (through the pool, as every single write);
    /// the row it returned, if any.
    pub async fn returning<T: Row>(&self, statement: &Statement) -> Result<Option<T>, StoreError> {
        self.optional(statement).await
    }

    /// Runs an `INSERT … RETURNING` on its own; `None` when a unique constraint refused it.
    pub async fn insert_unique<T: Row>(&self, statement: &Statement) -> Result<Option<T>, StoreError> {
        let unique = |error: &sqlx::Error| error.as_database_error().is_some_and(|e| e.is_unique_violation());
        on_pool!(self, statement, |pool, query| match query.fetch_one(pool).await {
            Ok(row) => Ok(Some(Columns::read(&row)?)),
            Err(error) if unique(&error) => Ok(None),
            Err(error) => Err(error.into()),
        })
    }

    /// Runs `statements` in one transaction of their own (all or none).
    pub async fn transaction(&self, statements: &[Statement]) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool, _) => {
                let mut tx = pool.begin().await?;
                for statement in statements {
                    bound!(sqlite, sqlx::query(&statement.sql), &statement.values).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for statement in statements {
                    bound!(postgres, sqlx::query(&statement.sql), &statement.values)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// `column` among the ids of [`Value::Ints`] bound as `$placeholder`, in this backend's SQL.
    pub(crate) fn in_list(&self, column: &str, placeholder: usize) -> String {
        match self {
            Db::Sqlite(..) => format!("{column} IN (SELECT value FROM json_each(${placeholder}))"),
            Db::Postgres(_) => format!("{column} = ANY(${placeholder})"),
        }
    }
}

/// The first few words of a statement, to name it in an error without its values.
fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
}

/// `$n` placeholders as SQLite's positional `?n` (sqlx accepts `$n` on SQLite; rusqlite would
/// take `$1` for a name).
pub fn positional(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_placeholders_become_positional_for_sqlite() {
        assert_eq!(
            positional("SELECT $2, $2 FROM t WHERE a = $1 AND b = '$x' AND c = $10"),
            "SELECT ?2, ?2 FROM t WHERE a = ?1 AND b = '$x' AND c = ?10"
        );
    }
}
