//! Edit history: every write stores the entry as it was *after* the change, numbered per entry.
//!
//! Snapshots are the same JSON shape as [`Entry`], so `show` can diff consecutive versions and a
//! future `revert` can put any version back without a schema of its own.

use quill_store::{Db, now_rfc3339};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::{Entry, Result};

/// One version of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// 1 for the first version, then +1 per change.
    pub version: i64,
    /// What produced it: `add`, `import`, `edit`, `rate`, `tag`, `rm`, `restore`.
    pub action: String,
    /// When (RFC 3339 UTC).
    pub changed_at: String,
    /// The entry as it was after this action.
    pub snapshot: Entry,
}

/// Stores `e` as the next version of its entry.
pub(crate) fn record(conn: &Connection, e: &Entry, action: &str) -> Result<()> {
    let next: i64 =
        conn.query_row("SELECT coalesce(max(version), 0) + 1 FROM entry_history WHERE entry_id = ?1", [e.id], |r| {
            r.get(0)
        })?;
    conn.execute(
        "INSERT INTO entry_history (entry_id, version, action, snapshot, changed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![e.id, next, action, serde_json::to_string(e)?, now_rfc3339()],
    )?;
    Ok(())
}

/// Every version of entry `id`, oldest first (empty if the id never existed).
pub fn history(db: &Db, id: i64) -> Result<Vec<HistoryItem>> {
    let mut stmt = db.conn().prepare(
        "SELECT version, action, changed_at, snapshot FROM entry_history WHERE entry_id = ?1 ORDER BY version",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (version, action, changed_at, snap) = row?;
        out.push(HistoryItem { version, action, changed_at, snapshot: serde_json::from_str(&snap)? });
    }
    Ok(out)
}

/// Names of the fields that differ between two versions, for a one-line history summary.
pub fn changed_fields(a: &Entry, b: &Entry) -> Vec<&'static str> {
    let mut out = Vec::new();
    macro_rules! cmp {
        ($($f:ident),*) => { $( if a.$f != b.$f { out.push(stringify!($f)); } )* };
    }
    cmp!(
        kind,
        platform,
        title,
        text,
        before,
        why,
        polarity,
        replacement,
        date,
        rating,
        tags,
        metrics,
        source,
        notes,
        external_id,
        extra,
        deleted_at
    );
    out
}
