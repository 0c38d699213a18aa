//! Keyword search: SQLite FTS5 with Porter stemming, ranked by BM25.
//!
//! FTS5 has a query language (`AND`, `NEAR`, `col:`, `"phrases"`, `*`, `^`), so raw user text
//! like `what's the price?` or `C++ (beginner)` is a syntax error. [`match_expression`] reduces a
//! query to its words, quotes each one, and joins them with `OR`: BM25 then ranks chunks that
//! match more (and rarer) words higher, which is what a natural-language question needs.
//!
//! A bag of words alone lets a long question degenerate: a chunk that says "Friday" in one
//! place and "email" in another scores like one about "the Friday email". So the expression
//! also carries term-proximity clauses in the manner of the sequential dependence model
//! (Metzler & Croft, 2005): for each pair of neighbouring query words, the exact phrase and
//! the pair within a window of [`NEAR_WINDOW`] tokens. They only add score to chunks where the
//! question's words occur together (FTS5 gives each clause its own IDF) and never remove a
//! match, since every word is still its own `OR` clause.

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

/// Tokens between two query words for their proximity clause: the unordered window of the
/// sequential dependence model (Metzler & Croft, 2005), used there for every collection and
/// not tuned here.
pub const NEAR_WINDOW: usize = 8;

/// At most this many neighbouring word pairs get proximity clauses. Each pair adds two clauses
/// that FTS5 resolves with position lists (~1.6x the keyword time at 100k chunks for a 3–6 word
/// query); a pasted paragraph should not multiply that further. Questions rarely have more than
/// 8 content words.
pub const MAX_PAIRS: usize = 10;

fn quote(t: &str) -> String {
    // Words contain only alphanumerics, so there is no '"' to escape; keep it robust anyway.
    format!("\"{}\"", t.replace('"', "\"\""))
}

/// An FTS5 `MATCH` expression that cannot be a syntax error: each word double-quoted (a quoted
/// string is always a plain token sequence), joined by `OR`, followed for each pair of
/// neighbouring content words by the pair as a phrase and as `NEAR(…, NEAR_WINDOW)`. `None`
/// when the query has no words.
pub fn match_expression(query: &str) -> Option<String> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return None;
    }
    let mut clauses: Vec<String> = terms.iter().map(|t| quote(t)).collect();
    // A query of stopwords only ("the it") matches everything already; pairs of such words
    // would only cost time.
    let content = terms.iter().any(|t| !STOPWORDS.contains(&t.as_str()));
    if content {
        let pairs: Vec<&[String]> = terms.windows(2).take(MAX_PAIRS).collect();
        clauses.extend(pairs.iter().map(|p| quote(&format!("{} {}", p[0], p[1]))));
        clauses.extend(pairs.iter().map(|p| format!("NEAR({} {}, {NEAR_WINDOW})", quote(&p[0]), quote(&p[1]))));
    }
    Some(clauses.join(" OR "))
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
        assert_eq!(
            match_expression("C++ (beginner) AND NEAR").as_deref(),
            Some(
                "\"c\" OR \"beginner\" OR \"near\" OR \"c beginner\" OR \"beginner near\" \
                 OR NEAR(\"c\" \"beginner\", 8) OR NEAR(\"beginner\" \"near\", 8)"
            )
        );
        assert_eq!(match_expression("the it").as_deref(), Some("\"the\" OR \"it\""));
        assert_eq!(match_expression("  ?!*\"  "), None);
        assert_eq!(match_expression("Café café").as_deref(), Some("\"café\""));
        assert_eq!(
            match_expression("what goes in the Friday email?").as_deref(),
            Some(
                "\"goes\" OR \"friday\" OR \"email\" OR \"goes friday\" OR \"friday email\" \
                 OR NEAR(\"goes\" \"friday\", 8) OR NEAR(\"friday\" \"email\", 8)"
            )
        );
        let long = (0..30).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let e = match_expression(&long).unwrap();
        assert_eq!(e.matches(" OR ").count() + 1, 30 + 2 * MAX_PAIRS);
    }

    #[test]
    fn proximity_ranks_words_together_first() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61')").unwrap();
        let apart = "The email goes out on Monday. Long unrelated words follow here to pad the gap \
                     between both terms so they are far apart. Every Friday we rest.";
        let together = "Send the Friday email to every client. Monday is for planning the rest of \
                        the week and nothing else happens in this sentence at all.";
        conn.execute("INSERT INTO t (rowid, body) VALUES (1, ?1), (2, ?2)", [apart, together]).unwrap();
        for other in ["Pricing is fixed.", "Onboarding starts on day one.", "Invoices are due in 15 days."] {
            conn.execute("INSERT INTO t (body) VALUES (?1)", [other]).unwrap();
        }
        let rank = |e: &str| -> Vec<i64> {
            conn.prepare("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank")
                .unwrap()
                .query_map([e], |r| r.get(0))
                .unwrap()
                .collect::<std::result::Result<_, _>>()
                .unwrap()
        };
        // Words alone: the chunk with all three words, scattered, wins.
        assert_eq!(rank("\"goes\" OR \"friday\" OR \"email\""), vec![1, 2]);
        // With proximity, the one that talks about "the Friday email" wins.
        let e = match_expression("what goes in the Friday email?").unwrap();
        assert_eq!(rank(&e), vec![2, 1]);
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
            "price NEAR(dollars, 8) \"simple\" OR",
            "pricing: simple? 490 dollars (AND) \u{345} price",
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
