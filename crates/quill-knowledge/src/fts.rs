//! Keyword search: SQLite FTS5 with Porter stemming, ranked by BM25.
//!
//! FTS5 has a query language (`AND`, `NEAR`, `col:`, `"phrases"`, `*`, `^`), so raw user text
//! like `what's the price?` or `C++ (beginner)` is a syntax error. [`match_expression`] reduces a
//! query to its words, quotes each one, and joins them with `OR`: BM25 then ranks chunks that
//! match more (and rarer) words higher, which is what a natural-language question needs.

use rusqlite::Connection;

use crate::Result;
use crate::search::SearchScope;

/// BM25 column weights for (body, heading, title). A match in the chunk's own text counts most;
/// headings are short and precise; the title is shared by every chunk of a document, so it only
/// nudges.
pub const WEIGHTS: (f64, f64, f64) = (1.0, 1.0, 0.5);

/// Words too common to help ranking. Dropped from queries that have other words, which also
/// keeps `OR` queries from matching every chunk.
const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "but", "by", "can", "could", "do", "does", "for", "from",
    "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "s",
    "should", "so", "t", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "us", "was",
    "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// The words of a query, lowercased, stopwords dropped unless nothing else is left.
pub fn query_terms(query: &str) -> Vec<String> {
    let words: Vec<String> =
        query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let mut content: Vec<String> = words.iter().filter(|w| !STOPWORDS.contains(&w.as_str())).cloned().collect();
    if content.is_empty() {
        content = words;
    }
    let mut seen = std::collections::HashSet::new();
    content.retain(|w| seen.insert(w.clone()));
    content
}

/// An FTS5 `MATCH` expression that cannot be a syntax error: each word double-quoted (a quoted
/// string is always a plain token sequence), joined by `OR`. `None` when the query has no words.
pub fn match_expression(query: &str) -> Option<String> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return None;
    }
    // Words contain only alphanumerics, so there is no '"' to escape; keep it robust anyway.
    Some(terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" OR "))
}

/// Adds one chunk to the index.
pub(crate) fn insert(conn: &Connection, chunk_id: i64, body: &str, heading: &str, title: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO kb_fts (rowid, body, heading, title) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![chunk_id, body, heading, title],
    )?;
    Ok(())
}

/// Best `limit` chunks for `query` in `scope`, as `(chunk id, score)`, best first; the score is
/// BM25 with the sign flipped so that higher is better.
pub(crate) fn search(conn: &Connection, query: &str, scope: SearchScope, limit: usize) -> Result<Vec<(i64, f64)>> {
    let Some(expr) = match_expression(query) else {
        return Ok(Vec::new());
    };
    let (w0, w1, w2) = WEIGHTS;
    // Fast path: FTS5 ranks on its own (`ORDER BY rank LIMIT n` keeps only the best n while
    // scoring), and the scope is checked on those few rows afterwards. Joining first would make
    // SQLite score, join and sort every matching chunk: ~7x slower at 100k chunks.
    let over = if scope == SearchScope::All { limit } else { limit.saturating_mul(4) };
    let fast = format!(
        "SELECT rowid, rank FROM kb_fts WHERE kb_fts MATCH ?1 AND rank MATCH 'bm25({w0}, {w1}, {w2})'
         ORDER BY rank LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&fast)?;
    let rows =
        stmt.query_map(rusqlite::params![expr, over as i64], |r| Ok((r.get::<_, i64>(0)?, -r.get::<_, f64>(1)?)))?;
    let ranked: Vec<(i64, f64)> = rows.collect::<std::result::Result<_, _>>()?;
    let Some(want) = scope.as_db() else {
        return Ok(ranked);
    };
    let fetched = ranked.len();
    let mut scope_of = conn.prepare_cached(
        "SELECT d.scope FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id WHERE c.id = ?1",
    )?;
    let mut kept = Vec::with_capacity(limit);
    for (id, s) in ranked {
        let sc: Option<String> = scope_of.query_row([id], |r| r.get(0)).ok();
        if sc.as_deref() == Some(want) {
            kept.push((id, s));
            if kept.len() == limit {
                return Ok(kept);
            }
        }
    }
    if fetched < over {
        return Ok(kept); // every match was seen
    }
    // The other scope crowds the top of the list: filter while ranking instead.
    let slow = format!(
        "SELECT f.rowid, bm25(kb_fts, {w0}, {w1}, {w2}) AS s
         FROM kb_fts f JOIN kb_chunks c ON c.id = f.rowid JOIN kb_documents d ON d.id = c.document_id
         WHERE kb_fts MATCH ?1 AND d.scope = ?2
         ORDER BY s LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&slow)?;
    let rows = stmt
        .query_map(rusqlite::params![expr, want, limit as i64], |r| Ok((r.get::<_, i64>(0)?, -r.get::<_, f64>(1)?)))?;
    Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_words() {
        assert_eq!(match_expression("what's the price?").as_deref(), Some("\"price\""));
        assert_eq!(match_expression("C++ (beginner) AND NEAR").as_deref(), Some("\"c\" OR \"beginner\" OR \"near\""));
        assert_eq!(match_expression("the it").as_deref(), Some("\"the\" OR \"it\""));
        assert_eq!(match_expression("  ?!*\"  "), None);
        assert_eq!(match_expression("Café café").as_deref(), Some("\"café\""));
    }

    #[test]
    fn every_hostile_query_runs() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61')").unwrap();
        conn.execute("INSERT INTO t VALUES ('The price is 490 dollars; pricing is simple')", []).unwrap();
        for q in [
            "what's the price?",
            "\"unbalanced",
            "a AND OR NOT",
            "col:x",
            "*",
            "NEAR(a b)",
            "^start",
            "x -y",
            "(",
            "😀 price",
            "price*",
        ] {
            let Some(e) = match_expression(q) else {
                continue;
            };
            let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&e], |r| r.get(0)).unwrap();
            if q.contains("price") {
                assert_eq!(n, 1, "{q} -> {e}");
            }
        }
        // Stemming: "prices" finds "price"/"pricing".
        let e = match_expression("prices").unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&e], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
    }
}
