//! Reads on the money path made where the request runs, without a hop to another thread
//! (SQLite only; on PostgreSQL the pool's round trip is the network's anyway).
//!
//! Through sqlx, a SQLite statement is a message to its connection's own worker thread and a
//! message back, and the connection's return to the pool is a task of its own: three thread
//! wake-ups for a read that SQLite itself answers in microseconds. Under load, the profile of
//! a checkout confirm showed more time in the kernel's scheduler than in SQLite. So the reads
//! every confirm makes (its session, its key, the checkout it pays) run here instead: on the
//! calling thread, on a connection taken from a stack of idle ones. In WAL mode a reader never
//! waits for the writer, so a read does not hold the thread longer than its own work.
//!
//! The stack holds as many connections as reads have run at once: at most the runtime's
//! threads, since a read never awaits.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::OptionalExtension;

use crate::db::DbError;

/// Connections to the server's SQLite file for point reads.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// A row read by a [`Reader`] (or by the journal on SQLite), column by column in the order of
/// the type's column list; sqlx's `FromRow` reads the same rows on PostgreSQL.
pub trait FromSqliteRow: Sized {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

impl Reader {
    /// A reader of the SQLite file at `path` (connections are opened as needed).
    pub fn new(path: PathBuf) -> Reader {
        Reader { path, idle: Mutex::new(Vec::new()) }
    }

    /// The one row `sql` (with `$n` placeholders) finds for `values`, if any.
    pub fn optional<T: FromSqliteRow>(
        &self,
        sql: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<Option<T>, DbError> {
        let connection = self.take()?;
        let result = connection
            .prepare_cached(&positional(sql))
            .and_then(|mut statement| statement.query_row(values, T::from_sqlite_row).optional());
        // A failed statement leaves its connection as good as before.
        self.give_back(connection);
        result.map_err(|error| DbError(error.to_string()))
    }

    fn take(&self) -> Result<rusqlite::Connection, DbError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(connection) => Ok(connection),
            None => self.connect(),
        }
    }

    fn give_back(&self, connection: rusqlite::Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(connection);
        }
    }

    fn connect(&self) -> Result<rusqlite::Connection, DbError> {
        let error =
            |e: rusqlite::Error| DbError(format!("cannot open {} for reading: {e}", self.path.display()));
        let connection = rusqlite::Connection::open(&self.path).map_err(error)?;
        // The file is in WAL mode already (the pool set it); this connection only reads.
        connection.execute_batch("PRAGMA query_only = ON;").map_err(error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(error)?;
        Ok(connection)
    }
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
    use crate::db::Db;

    #[test]
    fn dollar_placeholders_become_positional_for_sqlite() {
        assert_eq!(
            positional("SELECT $2, $2 FROM t WHERE a = $1 AND b = '$x' AND c = $10"),
            "SELECT ?2, ?2 FROM t WHERE a = ?1 AND b = '$x' AND c = ?10"
        );
    }

    impl FromSqliteRow for (i64, String) {
        fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok((row.get(0)?, row.get(1)?))
        }
    }

    #[tokio::test]
    async fn reads_what_the_pool_wrote_and_sees_later_commits() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/purse.db?mode=rwc", dir.path().display());
        let db = Db::open(&url).await.unwrap();
        let reader = db.reader().unwrap();
        let Db::Sqlite(pool, _) = &db else { unreachable!() };
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1, 'one')").execute(pool).await.unwrap();
        let sql = "SELECT id, name FROM t WHERE id = $1";
        assert_eq!(reader.optional::<(i64, String)>(sql, &[&1_i64]).unwrap(), Some((1, "one".into())));
        assert_eq!(reader.optional::<(i64, String)>(sql, &[&2_i64]).unwrap(), None);
        // The same (cached) statement on the same connection sees a commit made since.
        sqlx::query("UPDATE t SET name = 'uno' WHERE id = 1").execute(pool).await.unwrap();
        assert_eq!(reader.optional::<(i64, String)>(sql, &[&1_i64]).unwrap(), Some((1, "uno".into())));
        // It only reads.
        let refused = reader.optional::<(i64, String)>("DELETE FROM t RETURNING id, name", &[]);
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(reader.optional::<(i64, String)>(sql, &[&1_i64]).unwrap(), Some((1, "uno".into())));
        // A broken statement is an error, and the next read works.
        assert!(reader.optional::<(i64, String)>("SELECT nope FROM t", &[]).is_err());
        assert_eq!(reader.idle.lock().unwrap().len(), 1);
    }
}
