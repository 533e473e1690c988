//! The money path's point reads on SQLite ([`super::Db::point`]: a session, a key, the checkout
//! a confirmation pays), made where the request runs, without a hop to another thread (on
//! PostgreSQL the pool's round trip is the network's anyway).
//!
//! Through sqlx, a SQLite statement is a message to its connection's own worker thread and a
//! message back, and the connection's return to the pool is a task of its own: three thread
//! wake-ups for a read that SQLite itself answers in microseconds. Under load, the profile of
//! a checkout confirm showed more time in the kernel's scheduler than in SQLite. So these reads
//! run here instead: on the calling thread, on a connection taken from a stack of idle ones. In
//! WAL mode a reader never waits for the writer, so a point read holds the thread no longer than
//! its own work (a long read would, which is why only point reads come here).
//!
//! The stack holds as many connections as reads have run at once: at most the runtime's
//! threads, since a read never awaits.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::OptionalExtension;

use crate::store::{Columns, Row, Statement, StoreError, positional};

/// Connections to the server's SQLite file for reads.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl Reader {
    /// A reader of the SQLite file at `path` (connections are opened as needed).
    pub fn new(path: PathBuf) -> Reader {
        Reader { path, idle: Mutex::new(Vec::new()) }
    }

    /// The one row `statement` finds, if any.
    pub fn optional<T: Row>(&self, statement: &Statement) -> Result<Option<T>, StoreError> {
        let connection = self.take()?;
        let found = connection.prepare_cached(&positional(&statement.sql)).and_then(|mut prepared| {
            prepared
                .query_row(rusqlite::params_from_iter(&statement.values), |row| Ok(Columns::read::<T>(row)))
                .optional()
        });
        // A failed statement leaves its connection as good as before.
        self.give_back(connection);
        found?.transpose()
    }

    fn take(&self) -> Result<rusqlite::Connection, StoreError> {
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

    fn connect(&self) -> Result<rusqlite::Connection, StoreError> {
        let error = |e: rusqlite::Error| {
            StoreError::Database(format!("cannot open {} for reading: {e}", self.path.display()))
        };
        let connection = rusqlite::Connection::open(&self.path).map_err(error)?;
        // The file is in WAL mode already (the pool set it); this connection only reads.
        connection.execute_batch("PRAGMA query_only = ON;").map_err(error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(error)?;
        // Room for every point read's statement, so none is prepared twice.
        connection.set_prepared_statement_cache_capacity(64);
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Db, values};

    #[tokio::test]
    async fn reads_what_the_pool_wrote_and_sees_later_commits() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/purse.db?mode=rwc", dir.path().display());
        let db = Db::open(&url).await.unwrap();
        let Db::Sqlite(pool, reader) = &db else { unreachable!() };
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1, 'one')").execute(pool).await.unwrap();
        let sql = "SELECT id, name FROM t WHERE id = $1";
        let read = |id: i64| Statement::new(sql, values![id]);
        assert_eq!(reader.optional::<(i64, String)>(&read(1)).unwrap(), Some((1, "one".into())));
        assert_eq!(reader.optional::<(i64, String)>(&read(2)).unwrap(), None);
        // The same (cached) statement on the same connection sees a commit made since.
        sqlx::query("UPDATE t SET name = 'uno' WHERE id = 1").execute(pool).await.unwrap();
        assert_eq!(reader.optional::<(i64, String)>(&read(1)).unwrap(), Some((1, "uno".into())));
        // It only reads.
        let refused =
            reader.optional::<(i64, String)>(&Statement::new("DELETE FROM t RETURNING id, name", vec![]));
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(reader.optional::<(i64, String)>(&read(1)).unwrap(), Some((1, "uno".into())));
        // A broken statement is an error, and the next read works.
        assert!(reader.optional::<(i64, String)>(&Statement::new("SELECT nope FROM t", vec![])).is_err());
        assert_eq!(reader.idle.lock().unwrap().len(), 1);
    }
}
