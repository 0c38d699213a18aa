//! Versioned schema migrations.
//!
//! Every crate's tables live in one database (one file to back up), and every schema change is a
//! numbered SQL file under `crates/quill-store/migrations/`, listed in [`MIGRATIONS`]. Each applies
//! in its own transaction and is recorded in `_migrations`, so a crash mid-upgrade leaves the
//! database at the previous version. Numbers were handed out per crate up front, so a gap is
//! normal: any listed migration missing from `_migrations` is applied, in order.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::{Error, Result, now_rfc3339};

/// One schema step.
#[derive(Debug)]
pub struct Migration {
    /// Unique, increasing version number.
    pub version: i64,
    /// Short name, e.g. `library`.
    pub name: &'static str,
    /// The SQL, executed as one batch.
    pub sql: &'static str,
}

/// Every migration this build knows, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "library", sql: include_str!("../migrations/001_library.sql") },
    Migration { version: 2, name: "knowledge", sql: include_str!("../migrations/002_knowledge.sql") },
    Migration { version: 3, name: "generations", sql: include_str!("../migrations/003_generations.sql") },
    Migration { version: 4, name: "dataset", sql: include_str!("../migrations/004_dataset.sql") },
    Migration { version: 5, name: "tune", sql: include_str!("../migrations/005_tune.sql") },
    Migration { version: 6, name: "voice", sql: include_str!("../migrations/006_voice.sql") },
];

pub(crate) fn apply(conn: &mut Connection, path: &Path) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS _migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )?;
    let known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT version FROM _migrations ORDER BY version")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    if let Some(&found) = applied.iter().find(|v| !MIGRATIONS.iter().any(|m| m.version == **v)) {
        return Err(Error::FutureSchema { path: path.to_path_buf(), found, known });
    }
    for m in MIGRATIONS {
        if applied.contains(&m.version) {
            continue;
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have applied it while we waited for the lock.
        let done: bool =
            tx.query_row("SELECT count(*) > 0 FROM _migrations WHERE version = ?1", [m.version], |r| r.get(0))?;
        if done {
            continue;
        }
        tx.execute_batch(m.sql).map_err(|source| Error::Migration { version: m.version, name: m.name, source })?;
        tx.execute(
            "INSERT INTO _migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, now_rfc3339()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_unique_and_increasing() {
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].version < w[1].version, "{} then {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn unknown_future_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.db");
        drop(crate::Db::open(&p).unwrap());
        {
            let c = Connection::open(&p).unwrap();
            c.execute("INSERT INTO _migrations VALUES (9999, 'from the future', 'x')", []).unwrap();
        }
        let err = crate::Db::open(&p).unwrap_err();
        assert!(matches!(err, Error::FutureSchema { found: 9999, .. }), "{err}");
    }
}
