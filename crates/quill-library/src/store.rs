//! Reading and writing entries in SQLite.
//!
//! Kind-specific fields are columns of `entries`; tags and metrics live in side tables so they
//! can be filtered and ranked in SQL. Every write goes through [`quill_store::Db::write`] and
//! leaves a history snapshot, so nothing a creator does is unrecoverable.

use std::collections::{BTreeMap, HashMap};

use quill_store::{Db, now_rfc3339};
use rusqlite::{Connection, OptionalExtension, params, types::Value};

use crate::dedup::content_hash;
use crate::entry::{Entry, Kind, NewEntry, Platform, Polarity, check_rating, normalize_tags};
use crate::history::record;
use crate::{Error, Result, performance_scores};

/// Which entries [`list`] returns. `Filter::default()` is every live entry, oldest id first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only these kinds (empty: all).
    pub kinds: Vec<Kind>,
    /// Only these platforms (empty: all).
    pub platforms: Vec<Platform>,
    /// Only entries carrying *all* of these tags.
    pub tags: Vec<String>,
    /// Only entries rated at least this (unrated entries are excluded when set).
    pub min_rating: Option<u8>,
    /// Only phrases of this polarity.
    pub polarity: Option<Polarity>,
    /// Only entries dated on or after this ISO date (undated entries are excluded when set).
    pub since: Option<String>,
    /// Only entries dated before this ISO date (exclusive; for time-split evaluation).
    pub until: Option<String>,
    /// Include soft-deleted entries.
    pub include_deleted: bool,
    /// Only soft-deleted entries (implies `include_deleted`).
    pub only_deleted: bool,
    /// Order of the result.
    pub sort: Sort,
    /// At most this many entries (after sorting).
    pub limit: Option<usize>,
}

/// Ordering for [`list`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Sort {
    /// By id, ascending (insertion order).
    #[default]
    Id,
    /// Newest publication date first; undated entries last.
    Newest,
    /// Oldest publication date first; undated entries last.
    Oldest,
    /// Highest value of this metric first; entries without the metric are excluded.
    Metric(String),
    /// Highest [`performance_scores`] first (normalised by each platform's median across the whole
    /// live library, not just the filtered set); entries without a score are excluded.
    Score,
}

const COLUMNS: &str = "id, kind, platform, title, text, before_text, why, polarity, replacement, date, rating, \
                       source, notes, external_id, extra, created_at, updated_at, deleted_at";

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    fn parse<T: std::str::FromStr>(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<T> {
        let s: String = r.get(i)?;
        s.parse().map_err(|_| rusqlite::Error::InvalidColumnType(i, s, rusqlite::types::Type::Text))
    }
    let polarity: Option<String> = r.get(7)?;
    let polarity = match polarity {
        Some(p) => Some(
            p.parse::<Polarity>().map_err(|_| rusqlite::Error::InvalidColumnType(7, p, rusqlite::types::Type::Text))?,
        ),
        None => None,
    };
    let extra: String = r.get(14)?;
    let extra = match serde_json::from_str::<serde_json::Value>(&extra) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let rating: Option<i64> = r.get(10)?;
    Ok(Entry {
        id: r.get(0)?,
        kind: parse(r, 1)?,
        platform: parse(r, 2)?,
        title: r.get(3)?,
        text: r.get(4)?,
        before: r.get(5)?,
        why: r.get(6)?,
        polarity,
        replacement: r.get(8)?,
        date: r.get(9)?,
        rating: rating.and_then(|v| u8::try_from(v).ok()),
        tags: Vec::new(),
        metrics: BTreeMap::new(),
        source: r.get(11)?,
        notes: r.get(12)?,
        external_id: r.get(13)?,
        extra,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        deleted_at: r.get(17)?,
    })
}

fn load_tags_metrics(conn: &Connection, entries: &mut [Entry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let index: HashMap<i64, usize> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    // One query per side table for the whole set: libraries are thousands of rows, not millions.
    let one = (entries.len() == 1).then(|| entries[0].id);
    let args: Vec<i64> = one.into_iter().collect();
    let filter = if one.is_some() { " WHERE entry_id = ?1" } else { "" };
    let mut stmt = conn.prepare(&format!("SELECT entry_id, tag FROM entry_tags{filter}"))?;
    let rows =
        stmt.query_map(rusqlite::params_from_iter(&args), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, tag) = row?;
        if let Some(&i) = index.get(&id) {
            entries[i].tags.push(tag);
        }
    }
    let mut stmt = conn.prepare(&format!("SELECT entry_id, name, value FROM entry_metrics{filter}"))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(&args), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, f64>(2)?))
    })?;
    for row in rows {
        let (id, name, value) = row?;
        if let Some(&i) = index.get(&id) {
            entries[i].metrics.insert(name, value);
        }
    }
    for e in entries.iter_mut() {
        e.tags.sort();
    }
    Ok(())
}

/// The entry with this id, or `None`. Soft-deleted entries are returned (check [`Entry::is_deleted`]).
pub fn find(db: &Db, id: i64) -> Result<Option<Entry>> {
    find_in(db.conn(), id)
}

pub(crate) fn find_in(conn: &Connection, id: i64) -> Result<Option<Entry>> {
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE id = ?1");
    let Some(e) = conn.query_row(&sql, [id], row_to_entry).optional()? else {
        return Ok(None);
    };
    let mut v = [e];
    load_tags_metrics(conn, &mut v)?;
    let [e] = v;
    Ok(Some(e))
}

/// The entry with this id; [`Error::NotFound`] if there is none.
pub fn get(db: &Db, id: i64) -> Result<Entry> {
    find(db, id)?.ok_or(Error::NotFound(id))
}

/// Entries matching `filter`, sorted and limited as it says.
pub fn list(db: &Db, filter: &Filter) -> Result<Vec<Entry>> {
    list_in(db.conn(), filter)
}

pub(crate) fn list_in(conn: &Connection, filter: &Filter) -> Result<Vec<Entry>> {
    let mut sql = format!("SELECT {COLUMNS} FROM entries WHERE 1=1");
    let mut args: Vec<Value> = Vec::new();
    let push_in = |sql: &mut String, args: &mut Vec<Value>, col: &str, vals: Vec<String>| {
        if vals.is_empty() {
            return;
        }
        let marks: Vec<String> = vals
            .into_iter()
            .map(|v| {
                args.push(Value::Text(v));
                format!("?{}", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND {col} IN ({})", marks.join(",")));
    };
    push_in(&mut sql, &mut args, "kind", filter.kinds.iter().map(|k| k.as_str().to_string()).collect());
    push_in(&mut sql, &mut args, "platform", filter.platforms.iter().map(|k| k.as_str().to_string()).collect());
    if let Some(p) = filter.polarity {
        args.push(Value::Text(p.as_str().into()));
        sql.push_str(&format!(" AND polarity = ?{}", args.len()));
    }
    if let Some(r) = filter.min_rating {
        args.push(Value::Integer(i64::from(r)));
        sql.push_str(&format!(" AND rating >= ?{}", args.len()));
    }
    if let Some(s) = &filter.since {
        args.push(Value::Text(s.clone()));
        sql.push_str(&format!(" AND date >= ?{}", args.len()));
    }
    if let Some(u) = &filter.until {
        args.push(Value::Text(u.clone()));
        sql.push_str(&format!(" AND date < ?{}", args.len()));
    }
    for t in normalize_tags(filter.tags.iter().map(String::as_str))? {
        args.push(Value::Text(t));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM entry_tags t WHERE t.entry_id = entries.id AND t.tag = ?{})",
            args.len()
        ));
    }
    if filter.only_deleted {
        sql.push_str(" AND deleted_at IS NOT NULL");
    } else if !filter.include_deleted {
        sql.push_str(" AND deleted_at IS NULL");
    }
    sql.push_str(" ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_entry)?;
    let mut entries: Vec<Entry> = rows.collect::<rusqlite::Result<_>>()?;
    load_tags_metrics(conn, &mut entries)?;
    match &filter.sort {
        Sort::Id => {}
        Sort::Newest | Sort::Oldest => {
            let newest = filter.sort == Sort::Newest;
            entries.sort_by(|a, b| match (&a.date, &b.date) {
                (Some(x), Some(y)) if newest => y.cmp(x),
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.id.cmp(&b.id),
            });
        }
        Sort::Metric(m) => {
            let m = crate::entry::normalize_metric_name(m)?;
            entries.retain(|e| e.metrics.contains_key(&m));
            entries.sort_by(|a, b| b.metrics[&m].total_cmp(&a.metrics[&m]).then(a.id.cmp(&b.id)));
        }
        Sort::Score => {
            let all = list_in(conn, &Filter::default())?;
            let scores: HashMap<i64, f64> =
                all.iter().zip(performance_scores(&all)).filter_map(|(e, s)| s.map(|s| (e.id, s))).collect();
            entries.retain(|e| scores.contains_key(&e.id));
            entries.sort_by(|a, b| scores[&b.id].total_cmp(&scores[&a.id]).then(a.id.cmp(&b.id)));
        }
    }
    if let Some(n) = filter.limit {
        entries.truncate(n);
    }
    Ok(entries)
}

/// What [`insert`] may carry over from an export (ids and timestamps), so a round trip is exact.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keep {
    pub id: Option<i64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
}

/// Inserts a normalised entry and its first history snapshot. The id in `keep` is used when free.
pub(crate) fn insert(
    conn: &Connection,
    new: NewEntry,
    keep: &Keep,
    import_id: Option<i64>,
    action: &str,
) -> Result<Entry> {
    let now = now_rfc3339();
    let id = match keep.id {
        Some(id) if id > 0 => {
            let taken: bool = conn.query_row("SELECT count(*) > 0 FROM entries WHERE id = ?1", [id], |r| r.get(0))?;
            (!taken).then_some(id)
        }
        _ => None,
    };
    let created_at = keep.created_at.clone().unwrap_or_else(|| now.clone());
    let updated_at = keep.updated_at.clone().unwrap_or_else(|| now.clone());
    let mut e = Entry {
        id: 0,
        kind: new.kind,
        platform: new.platform,
        title: None,
        text: String::new(),
        before: None,
        why: None,
        polarity: None,
        replacement: None,
        date: None,
        rating: None,
        tags: Vec::new(),
        metrics: BTreeMap::new(),
        source: None,
        notes: None,
        external_id: None,
        extra: serde_json::Map::new(),
        created_at,
        updated_at,
        deleted_at: keep.deleted_at.clone(),
    };
    e.set_content(new);
    conn.execute(
        "INSERT INTO entries (id, kind, platform, title, text, before_text, why, polarity, replacement, date, rating,
                              source, notes, external_id, extra, content_hash, created_at, updated_at, deleted_at, import_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        params![
            id,
            e.kind.as_str(),
            e.platform.as_str(),
            e.title,
            e.text,
            e.before,
            e.why,
            e.polarity.map(|p| p.as_str()),
            e.replacement,
            e.date,
            e.rating,
            e.source,
            e.notes,
            e.external_id,
            serde_json::to_string(&e.extra)?,
            content_hash(&e.text),
            e.created_at,
            e.updated_at,
            e.deleted_at,
            import_id,
        ],
    )?;
    e.id = conn.last_insert_rowid();
    write_side_tables(conn, &e)?;
    record(conn, &e, action)?;
    Ok(e)
}

fn write_side_tables(conn: &Connection, e: &Entry) -> Result<()> {
    conn.execute("DELETE FROM entry_tags WHERE entry_id = ?1", [e.id])?;
    conn.execute("DELETE FROM entry_metrics WHERE entry_id = ?1", [e.id])?;
    let mut t = conn.prepare_cached("INSERT INTO entry_tags (entry_id, tag) VALUES (?1, ?2)")?;
    for tag in &e.tags {
        t.execute(params![e.id, tag])?;
    }
    let mut m = conn.prepare_cached("INSERT INTO entry_metrics (entry_id, name, value) VALUES (?1, ?2, ?3)")?;
    for (name, value) in &e.metrics {
        m.execute(params![e.id, name, value])?;
    }
    Ok(())
}

fn save(conn: &Connection, e: &Entry) -> Result<()> {
    conn.execute(
        "UPDATE entries SET kind=?2, platform=?3, title=?4, text=?5, before_text=?6, why=?7, polarity=?8, replacement=?9,
                date=?10, rating=?11, source=?12, notes=?13, external_id=?14, extra=?15, content_hash=?16,
                updated_at=?17, deleted_at=?18
         WHERE id = ?1",
        params![
            e.id,
            e.kind.as_str(),
            e.platform.as_str(),
            e.title,
            e.text,
            e.before,
            e.why,
            e.polarity.map(|p| p.as_str()),
            e.replacement,
            e.date,
            e.rating,
            e.source,
            e.notes,
            e.external_id,
            serde_json::to_string(&e.extra)?,
            content_hash(&e.text),
            e.updated_at,
            e.deleted_at,
        ],
    )?;
    write_side_tables(conn, e)
}

/// Adds one entry (normalised and validated first) and returns it with its id.
pub fn add(db: &mut Db, new: NewEntry) -> Result<Entry> {
    let new = new.normalize()?;
    db.write(|tx| insert(tx, new, &Keep::default(), None, "add"))
}

/// Changes an entry through `change`, re-validates it, saves it and snapshots it in history
/// under `action` (`edit`, `rate`, …).
///
/// The closure edits a copy; nothing is written if it fails or changes nothing, so a no-op edit
/// leaves no history noise. Deleted entries must be restored first, so an edit never silently
/// lands on something the creator cannot see.
pub fn update(db: &mut Db, id: i64, action: &str, change: impl FnOnce(&mut Entry) -> Result<()>) -> Result<Entry> {
    db.write(|tx| {
        let old = find_in(tx, id)?.ok_or(Error::NotFound(id))?;
        if old.is_deleted() {
            return Err(Error::Invalid(format!("entry {id} is deleted\n  hint: `quill library restore {id}` first")));
        }
        let mut e = old.clone();
        change(&mut e)?;
        let content = e.to_new().normalize()?;
        e.set_content(content);
        e.id = old.id;
        e.created_at = old.created_at.clone();
        e.deleted_at = old.deleted_at.clone();
        e.updated_at = old.updated_at.clone();
        if e == old {
            return Ok(old);
        }
        e.updated_at = now_rfc3339();
        save(tx, &e)?;
        record(tx, &e, action)?;
        Ok(e)
    })
}

/// Sets (or with `None` clears) the creator's 1–5 rating.
pub fn rate(db: &mut Db, id: i64, rating: Option<u8>) -> Result<Entry> {
    if let Some(r) = rating {
        check_rating(i64::from(r))?;
    }
    update(db, id, "rate", |e| {
        e.rating = rating;
        Ok(())
    })
}

/// Adds and removes tags in one change.
pub fn tag(db: &mut Db, id: i64, add: &[String], remove: &[String]) -> Result<Entry> {
    let add = normalize_tags(add.iter().map(String::as_str))?;
    let remove = normalize_tags(remove.iter().map(String::as_str))?;
    update(db, id, "tag", |e| {
        e.tags.retain(|t| !remove.contains(t));
        e.tags.extend(add);
        Ok(())
    })
}

/// Soft-deletes: the entry disappears from lists, prompts and datasets but keeps its id and
/// history, and [`restore`] brings it back.
pub fn remove(db: &mut Db, id: i64) -> Result<Entry> {
    set_deleted(db, id, true)
}

/// Undoes [`remove`].
pub fn restore(db: &mut Db, id: i64) -> Result<Entry> {
    set_deleted(db, id, false)
}

fn set_deleted(db: &mut Db, id: i64, deleted: bool) -> Result<Entry> {
    db.write(|tx| {
        let mut e = find_in(tx, id)?.ok_or(Error::NotFound(id))?;
        match (deleted, e.is_deleted()) {
            (true, true) => return Err(Error::Invalid(format!("entry {id} is already deleted"))),
            (false, false) => {
                return Err(Error::Invalid(format!("entry {id} is not deleted; nothing to restore")));
            }
            _ => {}
        }
        let now = now_rfc3339();
        e.deleted_at = deleted.then(|| now.clone());
        e.updated_at = now;
        save(tx, &e)?;
        record(tx, &e, if deleted { "rm" } else { "restore" })?;
        Ok(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history;

    fn db() -> Db {
        Db::open_in_memory().unwrap()
    }

    #[test]
    fn add_get_round_trip() {
        let mut db = db();
        let e = add(
            &mut db,
            NewEntry {
                title: Some("T".into()),
                tags: vec!["B".into(), "a".into()],
                metrics: [("likes".to_string(), 5.0)].into(),
                extra: [("k".to_string(), serde_json::json!([1, 2]))].into_iter().collect(),
                date: Some("2024-01-02".into()),
                rating: Some(4),
                ..NewEntry::new(Kind::Post, Platform::X, "hello")
            },
        )
        .unwrap();
        assert_eq!(get(&db, e.id).unwrap(), e);
        assert_eq!(e.tags, ["a", "b"]);
        assert!(matches!(get(&db, 999), Err(Error::NotFound(999))));
    }

    #[test]
    fn filters_and_sorting() {
        let mut db = db();
        for (i, (p, likes)) in
            [(Platform::X, 10.0), (Platform::X, 30.0), (Platform::Linkedin, 200.0)].into_iter().enumerate()
        {
            add(
                &mut db,
                NewEntry {
                    metrics: [("likes".to_string(), likes)].into(),
                    tags: if i == 0 { vec!["ops".into()] } else { vec![] },
                    rating: Some(i as u8 + 3),
                    ..NewEntry::new(Kind::Post, p, format!("post {i}"))
                },
            )
            .unwrap();
        }
        let f = |f: Filter| list(&db, &f).unwrap().into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(f(Filter { platforms: vec![Platform::X], ..Filter::default() }), [1, 2]);
        assert_eq!(f(Filter { tags: vec!["#OPS".into()], ..Filter::default() }), [1]);
        assert_eq!(f(Filter { min_rating: Some(4), ..Filter::default() }), [2, 3]);
        assert_eq!(f(Filter { sort: Sort::Metric("likes".into()), limit: Some(2), ..Filter::default() }), [3, 2]);
        // By score the X post with 30 likes (1.5× the X median of 20) beats LinkedIn's only post (1×).
        assert_eq!(f(Filter { sort: Sort::Score, ..Filter::default() }), [2, 3, 1]);
    }

    #[test]
    fn edits_keep_history_and_rm_restore() {
        let mut db = db();
        let e = add(&mut db, NewEntry::new(Kind::Hook, Platform::X, "v1")).unwrap();
        update(&mut db, e.id, "edit", |e| {
            e.text = "v2".into();
            Ok(())
        })
        .unwrap();
        rate(&mut db, e.id, Some(5)).unwrap();
        rate(&mut db, e.id, Some(5)).unwrap(); // no-op: no history row
        tag(&mut db, e.id, &["a".into(), "b".into()], &[]).unwrap();
        tag(&mut db, e.id, &[], &["a".into()]).unwrap();
        remove(&mut db, e.id).unwrap();
        assert!(list(&db, &Filter::default()).unwrap().is_empty());
        assert!(update(&mut db, e.id, "edit", |_| Ok(())).unwrap_err().to_string().contains("restore"));
        let back = restore(&mut db, e.id).unwrap();
        assert_eq!(back.text, "v2");
        assert_eq!(back.tags, ["b"]);
        let h = history::history(&db, e.id).unwrap();
        let actions: Vec<_> = h.iter().map(|h| h.action.as_str()).collect();
        assert_eq!(actions, ["add", "edit", "rate", "tag", "tag", "rm", "restore"]);
        assert_eq!(h[0].snapshot.text, "v1");
        assert!(h[5].snapshot.is_deleted());
    }

    #[test]
    fn invalid_edit_writes_nothing() {
        let mut db = db();
        let e = add(&mut db, NewEntry::new(Kind::Post, Platform::X, "keep")).unwrap();
        let err = update(&mut db, e.id, "edit", |e| {
            e.text = "   ".into();
            Ok(())
        });
        assert!(err.is_err());
        assert_eq!(get(&db, e.id).unwrap(), e);
        assert_eq!(history::history(&db, e.id).unwrap().len(), 1);
    }
}
