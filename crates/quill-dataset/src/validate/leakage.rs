//! Leakage of the held-out test split: a test example that also sits in the training file, in the
//! few-shot pool (the library entries prompts may show as examples) or in the knowledge base
//! makes every later evaluation on it meaningless, because the model has already seen the answer.
//!
//! Exact = the same normalised words; near = word-shingle Jaccard ≥ 0.7, or (knowledge chunks,
//! which are slices of longer documents) ≥ 80% of one text's shingles found in the other.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::dedup::{self, Doc, NEAR_THRESHOLD};
use crate::error::Result;
use crate::text::normalize;

/// Containment share at which a knowledge chunk counts as copied from/into a test text.
pub const CONTAINMENT_THRESHOLD: f64 = 0.8;
/// Fewer shingles than this and containment is not meaningful (a 5-word chunk is "contained"
/// in many texts).
const MIN_CONTAINMENT_SHINGLES: usize = 12;

/// The held-out test texts.
#[derive(Debug, Clone, Default)]
pub struct TestSet {
    /// Where they came from (`entry_splits` or a file path).
    pub source: String,
    /// (label, library entry id if known, text).
    pub items: Vec<(String, Option<i64>, String)>,
}

/// What the workspace knows that validation can use.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceData {
    /// Banned phrases: (phrase, replacement).
    pub banned: Vec<(String, Option<String>)>,
    /// The few-shot pool: live library entries not held out as test, (id, text).
    pub pool: Vec<(i64, String)>,
    /// Knowledge-base chunks: (source label, text).
    pub kb: Vec<(String, String)>,
    /// Entries in the held-out test split, (id, kind/platform label, text).
    pub test_entries: Vec<(i64, String, String)>,
}

/// Reads the validation context from a workspace database: phrases, the pool, knowledge chunks and
/// the test split. Knowledge tables are read directly (documented schema, 002_knowledge.sql) so
/// validation does not need the embedding model.
pub fn load_workspace(db: &quill_store::Db) -> Result<WorkspaceData> {
    let phrases = quill_library::phrases(db)?;
    let banned = phrases.banned.into_iter().map(|p| (p.text, p.replacement)).collect();
    let test_ids: std::collections::HashSet<i64> = {
        let mut st = db.conn().prepare("SELECT entry_id FROM entry_splits WHERE split = 'test'")?;
        let rows = st.query_map([], |r| r.get::<_, i64>(0))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let entries = quill_library::list(db, &quill_library::Filter::default())?;
    let mut pool = Vec::new();
    let mut test_entries = Vec::new();
    for e in entries {
        if e.kind == quill_library::Kind::Phrase {
            continue;
        }
        if test_ids.contains(&e.id) {
            test_entries.push((e.id, format!("entry {} ({} {})", e.id, e.platform, e.kind), e.text));
        } else {
            pool.push((e.id, e.text));
        }
    }
    let kb = {
        let mut st = db.conn().prepare(
            "SELECT d.source, c.ord, c.text FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id ORDER BY c.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((format!("{} #{}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?), r.get::<_, String>(2)?))
        })?;
        rows.collect::<std::result::Result<Vec<_>, _>>()?
    };
    Ok(WorkspaceData { banned, pool, kb, test_entries })
}

/// One leaked test example.
#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    /// The test example (`entry 12 (linkedin post)` or `test.jsonl:4`).
    pub test: String,
    /// Where it leaked (`line 88`, `entry 31`, a knowledge source and chunk).
    pub found_in: String,
    /// `exact` or `near`.
    pub kind: &'static str,
    /// Jaccard (or containment) similarity.
    pub similarity: f64,
}

/// Leakage into one place.
#[derive(Debug, Clone, Serialize)]
pub struct LeakCheck {
    /// How many test examples leaked there.
    pub leaked_examples: usize,
    /// The leaks (first 50).
    pub leaks: Vec<Leak>,
}

/// Leakage of the test split into the training file, the few-shot pool and the knowledge base.
#[derive(Debug, Clone, Serialize)]
pub struct LeakageReport {
    /// Where the test split came from.
    pub test_source: String,
    /// Size of the test split.
    pub test_examples: usize,
    /// Into the validated file.
    pub train: LeakCheck,
    /// Into the few-shot pool (None without a workspace).
    pub few_shot_pool: Option<LeakCheck>,
    /// Into the knowledge base (None without a workspace).
    pub knowledge_base: Option<LeakCheck>,
}

impl LeakageReport {
    /// Total number of leaks found, everywhere.
    pub fn total(&self) -> usize {
        self.train.leaked_examples
            + self.few_shot_pool.as_ref().map_or(0, |c| c.leaked_examples)
            + self.knowledge_base.as_ref().map_or(0, |c| c.leaked_examples)
    }
}

fn finish(mut leaks: Vec<Leak>) -> LeakCheck {
    let mut tests: Vec<&str> = leaks.iter().map(|l| l.test.as_str()).collect();
    tests.sort_unstable();
    tests.dedup();
    let leaked_examples = tests.len();
    leaks.truncate(50);
    LeakCheck { leaked_examples, leaks }
}

/// Test texts found in a set of (label, text) targets, exactly or nearly (LSH + Jaccard).
pub fn against_texts(
    test: &TestSet,
    test_docs: &[Doc],
    labels: &[String],
    texts: &[String],
    docs: &[Doc],
) -> LeakCheck {
    let mut by_norm: HashMap<String, usize> = HashMap::new();
    for (i, t) in texts.iter().enumerate() {
        by_norm.entry(normalize(t)).or_insert(i);
    }
    let index = dedup::Index::new(docs);
    let mut leaks = Vec::new();
    for ((label, _, text), qd) in test.items.iter().zip(test_docs) {
        let n = normalize(text);
        if n.is_empty() {
            continue;
        }
        if let Some(&i) = by_norm.get(&n) {
            leaks.push(Leak { test: label.clone(), found_in: labels[i].clone(), kind: "exact", similarity: 1.0 });
            continue;
        }
        if let Some(&(i, s)) = index.query(qd, NEAR_THRESHOLD).first() {
            leaks.push(Leak { test: label.clone(), found_in: labels[i].clone(), kind: "near", similarity: s });
        }
    }
    finish(leaks)
}

/// Test texts in the few-shot pool (a test entry is never compared with itself).
pub fn against_pool(test: &TestSet, test_docs: &[Doc], pool: &[(i64, String)]) -> LeakCheck {
    let texts: Vec<String> = pool.iter().map(|(_, t)| t.clone()).collect();
    let docs = dedup::docs(&texts);
    let index = dedup::Index::new(&docs);
    let mut by_norm: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in texts.iter().enumerate() {
        by_norm.entry(normalize(t)).or_default().push(i);
    }
    let mut leaks = Vec::new();
    for ((label, id, text), qd) in test.items.iter().zip(test_docs) {
        let not_self = |i: &usize| Some(pool[*i].0) != *id;
        let n = normalize(text);
        if let Some(i) = by_norm.get(&n).and_then(|v| v.iter().copied().find(not_self)) {
            leaks.push(Leak {
                test: label.clone(),
                found_in: format!("entry {}", pool[i].0),
                kind: "exact",
                similarity: 1.0,
            });
            continue;
        }
        if let Some((i, s)) = index.query(qd, NEAR_THRESHOLD).into_iter().find(|(i, _)| not_self(i)) {
            leaks.push(Leak {
                test: label.clone(),
                found_in: format!("entry {}", pool[i].0),
                kind: "near",
                similarity: s,
            });
        }
    }
    finish(leaks)
}

/// Test texts in knowledge-base chunks: equal, nearly equal, or one mostly inside the other.
pub fn against_kb(test: &TestSet, test_docs: &[Doc], kb: &[(String, String)]) -> LeakCheck {
    let texts: Vec<&str> = kb.iter().map(|(_, t)| t.as_str()).collect();
    let docs = dedup::docs(&texts);
    let norms: Vec<String> = texts.par_iter().map(|t| normalize(t)).collect();
    let leaks: Vec<Leak> = test
        .items
        .par_iter()
        .zip(test_docs.par_iter())
        .filter_map(|((label, _, text), qd)| {
            let n = normalize(text);
            let mut best: Option<(usize, &'static str, f64)> = None;
            for (i, cd) in docs.iter().enumerate() {
                if n.is_empty() || cd.is_empty() {
                    continue;
                }
                if norms[i] == n {
                    return Some(Leak {
                        test: label.clone(),
                        found_in: kb[i].0.clone(),
                        kind: "exact",
                        similarity: 1.0,
                    });
                }
                let j = dedup::jaccard(qd, cd);
                let mut s = if j >= NEAR_THRESHOLD { j } else { 0.0 };
                for (part, whole) in [(cd, qd), (qd, cd)] {
                    if part.shingles.len() >= MIN_CONTAINMENT_SHINGLES {
                        let c = dedup::containment(part, whole);
                        if c >= CONTAINMENT_THRESHOLD && c > s {
                            s = c;
                        }
                    }
                }
                if s > 0.0 && best.is_none_or(|b| s > b.2) {
                    best = Some((i, "near", s));
                }
            }
            best.map(|(i, kind, s)| Leak { test: label.clone(), found_in: kb[i].0.clone(), kind, similarity: s })
        })
        .collect();
    finish(leaks)
}
