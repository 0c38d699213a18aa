//! Retrieval quality on a labelled set: recall@5 and nDCG@10.
//!
//! A labelled query names the passages that answer it as (document, phrase) pairs: a retrieved
//! chunk is relevant to a pair when it comes from that document (file name match) and contains
//! the phrase (case- and whitespace-insensitive). Labelling by phrase rather than by chunk id
//! keeps the set valid when chunking settings change.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::search::{Hit, Mode, SearchOptions, SearchScope};
use crate::{Error, Knowledge, Result};

/// One passage that answers a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relevant {
    /// File name (or path suffix) of the document.
    pub doc: String,
    /// A phrase that must be inside the relevant chunk.
    pub phrase: String,
}

/// A query with the passages that answer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledQuery {
    /// What a creator would type.
    pub query: String,
    /// The answers.
    pub relevant: Vec<Relevant>,
}

/// Scores of one retrieval mode over a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The mode evaluated.
    pub mode: Mode,
    /// Number of queries.
    pub queries: usize,
    /// Mean fraction of a query's relevant passages found in the top 5.
    pub recall_at_5: f64,
    /// Mean nDCG@10 with binary gains.
    pub ndcg_at_10: f64,
    /// Mean reciprocal rank of the first relevant hit (within 10).
    pub mrr_at_10: f64,
}

/// Reads a JSONL labelled set (blank lines and `//` comment lines allowed).
pub fn load_set(path: &Path) -> Result<Vec<LabelledQuery>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with("//") {
            continue;
        }
        let q: LabelledQuery = serde_json::from_str(l).map_err(|e| Error::Eval {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        if q.relevant.is_empty() {
            return Err(Error::Eval { path: path.to_path_buf(), line: i + 1, message: "no relevant passages".into() });
        }
        out.push(q);
    }
    Ok(out)
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether `hit` is the passage `rel` names.
pub fn matches(hit: &Hit, rel: &Relevant) -> bool {
    let file_ok = hit.source.ends_with(&rel.doc)
        || Path::new(&hit.source).file_name().is_some_and(|n| n.to_string_lossy() == rel.doc);
    file_ok && norm(&hit.text).contains(&norm(&rel.phrase))
}

/// (recall@5, nDCG@10, reciprocal rank) of one ranked list.
pub fn score_query(hits: &[Hit], relevant: &[Relevant]) -> (f64, f64, f64) {
    let mut credited = vec![false; relevant.len()];
    let mut dcg = 0.0;
    let mut found_at_5 = 0;
    let mut rr = 0.0;
    for (i, h) in hits.iter().take(10).enumerate() {
        let mut gain = false;
        for (j, r) in relevant.iter().enumerate() {
            if !credited[j] && matches(h, r) {
                credited[j] = true;
                gain = true;
                if i < 5 {
                    found_at_5 += 1;
                }
                break;
            }
        }
        if gain {
            dcg += 1.0 / ((i + 2) as f64).log2();
            if rr == 0.0 {
                rr = 1.0 / (i + 1) as f64;
            }
        }
    }
    let ideal: f64 = (0..relevant.len().min(10)).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
    (found_at_5 as f64 / relevant.len() as f64, if ideal > 0.0 { dcg / ideal } else { 0.0 }, rr)
}

/// Runs every query of `set` with `mode` (top 10, docs scope) and averages the scores.
pub fn evaluate(kb: &Knowledge, set: &[LabelledQuery], mode: Mode) -> Result<EvalReport> {
    let opts = SearchOptions { k: 10, mode, scope: SearchScope::Docs, ..SearchOptions::default() };
    let (mut r5, mut nd, mut mrr) = (0.0, 0.0, 0.0);
    for q in set {
        let hits = kb.search(&q.query, &opts)?;
        let (a, b, c) = score_query(&hits, &q.relevant);
        r5 += a;
        nd += b;
        mrr += c;
    }
    let n = set.len().max(1) as f64;
    Ok(EvalReport { mode, queries: set.len(), recall_at_5: r5 / n, ndcg_at_10: nd / n, mrr_at_10: mrr / n })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Scope;

    fn hit(source: &str, text: &str) -> Hit {
        Hit {
            n: 0,
            chunk_id: 0,
            document_id: 0,
            scope: Scope::Docs,
            title: String::new(),
            source: source.into(),
            heading_path: vec![],
            start_char: 0,
            end_char: 0,
            text: text.into(),
            score: 0.0,
            bm25_rank: None,
            dense_rank: None,
        }
    }

    #[test]
    fn metrics() {
        let rel = vec![
            Relevant { doc: "a.md".into(), phrase: "costs  $490".into() },
            Relevant { doc: "b.md".into(), phrase: "refund".into() },
        ];
        let hits =
            vec![hit("/x/c.md", "nothing"), hit("/x/a.md", "It COSTS $490 today"), hit("/x/b.md", "Refund policy")];
        let (r5, nd, rr) = score_query(&hits, &rel);
        assert_eq!(r5, 1.0);
        assert_eq!(rr, 0.5);
        let ideal = 1.0 + 1.0 / 3f64.log2();
        let dcg = 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((nd - dcg / ideal).abs() < 1e-12);
        let (r5, nd, _) = score_query(&[hit("/x/a.md", "costs $490")], &rel);
        assert_eq!(r5, 0.5);
        assert!((nd - 1.0 / ideal).abs() < 1e-12);
    }
}
