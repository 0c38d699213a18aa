use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::{Error, Result, migrations};

/// How long a writer waits for another process's write lock before giving up. Long enough that
/// two `quill` processes importing at once simply take turns.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An open workspace database.
///
/// Opened in WAL mode (readers never block the writer), with foreign keys enforced and a busy
/// timeout, and migrated to the newest schema this build knows.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Opens (or creates) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Self::configure(conn, path.to_path_buf())
    }

    /// An in-memory database with the full schema, for tests of other crates.
    pub fn open_in_memory() -> Result<Self> {
        Self::configure(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn configure(conn: Connection, path: PathBuf) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode returns a row, so it is read rather than executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        let mut db = Self { conn, path };
        migrations::apply(&mut db.conn, &db.path)?;
        Ok(db)
    }

    /// The underlying connection, for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable access, for transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` inside an IMMEDIATE transaction: the write lock is taken up front, so two processes
    /// never both read-then-write and deadlock; on error everything `f` did is rolled back.
    pub fn write<T, E>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// The current time as RFC 3339 UTC (what every `*_at` column stores).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_and_foreign_keys_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("q.db")).unwrap();
        let mode: String = db.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = db.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.db");
        drop(Db::open(&p).unwrap());
        let db = Db::open(&p).unwrap();
        let n: i64 = db.conn().query_row("SELECT count(*) FROM _migrations", [], |r| r.get(0)).unwrap();
        assert_eq!(n as usize, migrations::MIGRATIONS.len());
    }

    #[test]
    fn two_writers_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.db");
        {
            let db = Db::open(&p).unwrap();
            db.conn().execute_batch("CREATE TABLE t(x INTEGER)").unwrap();
        }
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let p = p.clone();
                std::thread::spawn(move || {
                    let mut db = Db::open(&p).unwrap();
                    for i in 0..200 {
                        db.write(|tx| tx.execute("INSERT INTO t VALUES (?1)", [k * 1000 + i]).map(|_| ())).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let db = Db::open(&p).unwrap();
        let n: i64 = db.conn().query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 400);
    }
}
