//! Search: keyword, semantic, or both fused; results are numbered, citable passages.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::hybrid::{RRF_K, mmr, rrf};
use crate::{Knowledge, Result, fts};

/// Which index a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The creator's documents (`kb add`).
    Docs,
    /// Library entries (posts, hooks, …), indexed for example selection.
    Library,
}

impl Scope {
    /// The value in `kb_documents.scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Docs => "docs",
            Self::Library => "library",
        }
    }

    pub(crate) fn from_db(s: &str) -> Self {
        if s == "library" { Self::Library } else { Self::Docs }
    }
}

/// Which scopes a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchScope {
    /// Documents only (the default: grounding facts).
    #[default]
    Docs,
    /// Library entries only (example selection).
    Library,
    /// Both.
    All,
}

impl SearchScope {
    /// Whether a chunk of `scope` is searched.
    pub fn admits(self, scope: Scope) -> bool {
        match self {
            Self::All => true,
            Self::Docs => scope == Scope::Docs,
            Self::Library => scope == Scope::Library,
        }
    }

    /// SQL filter value (`NULL` = all).
    pub(crate) fn as_db(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::Docs => Some("docs"),
            Self::Library => Some("library"),
        }
    }
}

/// Retrieval method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keywords (FTS5 BM25): exact names, numbers, jargon.
    Bm25,
    /// Embeddings (MiniLM cosine): paraphrases, questions in other words.
    Dense,
    /// Both, fused by reciprocal rank (the default).
    #[default]
    Hybrid,
}

/// How to search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchOptions {
    /// Passages to return.
    pub k: usize,
    /// Retrieval method.
    pub mode: Mode,
    /// Where to look.
    pub scope: SearchScope,
    /// Maximal marginal relevance λ in `[0, 1]` (1 = pure relevance); `None` = off.
    pub mmr: Option<f64>,
    /// Candidates taken from each retriever before fusion. Deeper lists let a chunk ranked
    /// moderately by both retrievers surface.
    pub candidates: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self { k: 5, mode: Mode::Hybrid, scope: SearchScope::Docs, mmr: None, candidates: 50 }
    }
}

/// One retrieved passage, with everything a citation needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Citation number, 1-based, in result order.
    pub n: usize,
    /// Chunk id.
    pub chunk_id: i64,
    /// Document id (as in `kb list`).
    pub document_id: i64,
    /// Docs or library.
    pub scope: Scope,
    /// Document title.
    pub title: String,
    /// File path (or `library:<id>`).
    pub source: String,
    /// Headings above the passage, outermost first.
    pub heading_path: Vec<String>,
    /// Character offset of the passage in the document's extracted text.
    pub start_char: usize,
    /// Character offset one past its end.
    pub end_char: usize,
    /// The passage.
    pub text: String,
    /// Score of the method used (BM25 flipped to higher-is-better, cosine, or fused RRF).
    pub score: f64,
    /// Rank in the keyword list (1-based), when it was there.
    pub bm25_rank: Option<usize>,
    /// Rank in the semantic list (1-based), when it was there.
    pub dense_rank: Option<usize>,
}

impl Hit {
    /// A one-line reference: `[n] Title › Heading › Sub — source, chars a–b`.
    pub fn citation(&self) -> String {
        let mut s = format!("[{}] {}", self.n, self.title);
        for h in &self.heading_path {
            if h != &self.title {
                s.push_str(" › ");
                s.push_str(h);
            }
        }
        s.push_str(&format!(" — {}, chars {}–{}", self.source, self.start_char, self.end_char));
        s
    }
}

impl Knowledge {
    /// The best passages for `query`: what the prompt builder puts into a prompt as numbered,
    /// citable sources. An empty knowledge base, or a query with no words, gives no hits.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<Hit>> {
        let cand = opts.candidates.max(opts.k);
        let bm25: Vec<(i64, f64)> =
            if opts.mode == Mode::Dense { Vec::new() } else { fts::search(self.db.conn(), query, opts.scope, cand)? };
        let dense: Vec<(i64, f64)> = if opts.mode == Mode::Bm25 || query.trim().is_empty() {
            Vec::new()
        } else {
            let q = self.embedder()?.embed_one(query)?;
            self.with_vectors(|v| v.top_k(&q, cand, opts.scope).into_iter().map(|(id, s)| (id, s as f64)).collect())?
        };
        let mut ranked: Vec<(i64, f64)> = match opts.mode {
            Mode::Bm25 => bm25.clone(),
            Mode::Dense => dense.clone(),
            Mode::Hybrid => {
                let a: Vec<i64> = bm25.iter().map(|x| x.0).collect();
                let b: Vec<i64> = dense.iter().map(|x| x.0).collect();
                rrf(&[&a, &b], RRF_K)
            }
        };
        if let Some(lambda) = opts.mmr {
            let lambda = lambda.clamp(0.0, 1.0);
            ranked = self.with_vectors(|v| mmr(&ranked, |id| v.vector(id), lambda, opts.k))?;
        }
        ranked.truncate(opts.k);
        let rank_of = |list: &[(i64, f64)]| -> HashMap<i64, usize> {
            list.iter().enumerate().map(|(i, (id, _))| (*id, i + 1)).collect()
        };
        let (br, dr) = (rank_of(&bm25), rank_of(&dense));
        let mut hits = Vec::with_capacity(ranked.len());
        for (i, (id, score)) in ranked.into_iter().enumerate() {
            if let Some(mut h) = self.hit(id)? {
                h.n = i + 1;
                h.score = score;
                h.bm25_rank = br.get(&id).copied();
                h.dense_rank = dr.get(&id).copied();
                hits.push(h);
            }
        }
        for (i, h) in hits.iter_mut().enumerate() {
            h.n = i + 1;
        }
        Ok(hits)
    }

    fn hit(&self, chunk_id: i64) -> Result<Option<Hit>> {
        let mut stmt = self.db.conn().prepare_cached(
            "SELECT c.document_id, d.scope, d.title, d.source, c.heading_path, c.start_char, c.end_char, c.text
             FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id WHERE c.id = ?1",
        )?;
        let mut rows = stmt.query([chunk_id])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let path: String = r.get(4)?;
        Ok(Some(Hit {
            n: 0,
            chunk_id,
            document_id: r.get(0)?,
            scope: Scope::from_db(&r.get::<_, String>(1)?),
            title: r.get(2)?,
            source: r.get(3)?,
            heading_path: serde_json::from_str(&path).unwrap_or_default(),
            start_char: r.get::<_, i64>(5)? as usize,
            end_char: r.get::<_, i64>(6)? as usize,
            text: r.get(7)?,
            score: 0.0,
            bm25_rank: None,
            dense_rank: None,
        }))
    }
}
