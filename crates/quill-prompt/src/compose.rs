//! Composing a prompt from a workspace: the library, the knowledge base and the voice rules.
//!
//! This is the one place that knows where each part of a prompt comes from, so the CLI, the
//! evaluation and the web app all build the same prompt from the same brief.

use std::collections::{HashMap, HashSet};

use quill_knowledge::{Knowledge, Mode, NoProgress, SearchOptions, SearchScope, library_items};
use quill_library::{Filter, Kind, performance_scores};
use quill_store::Workspace;
use serde::Serialize;

use crate::assemble::{Budget, Material, Passage, Prompt, assemble};
use crate::checks::BannedPhrase;
use crate::select::{Candidate, Weights, choose};
use crate::{Brief, Error, Presets, Result};

/// How many library candidates the relevance search returns before selection.
const CANDIDATES: usize = 40;

/// A composed prompt plus what went into it.
#[derive(Debug, Clone, Serialize)]
pub struct Composed {
    /// The prompt.
    pub prompt: Prompt,
    /// Banned phrases (for checking and repairing drafts).
    #[serde(skip)]
    pub banned: Vec<BannedPhrase>,
    /// Phrases a draft may share with the examples without counting as copying: the creator's
    /// approved phrases and the brief's must-include items.
    #[serde(skip)]
    pub allowed: Vec<String>,
    /// Notes about the composition (e.g. an empty knowledge base).
    pub notes: Vec<String>,
}

/// Builds the prompt for `brief` in `ws` within `context` tokens (keeping `reserve` for the
/// answer), counting tokens with `count`.
pub fn compose(
    ws: &Workspace,
    brief: &Brief,
    context: usize,
    reserve: usize,
    count: &dyn Fn(&str) -> usize,
) -> Result<Composed> {
    let presets = Presets::load(ws.root())?;
    let preset = presets.get(&brief.platform);
    let db = ws.open_db()?;
    let mut notes = Vec::new();

    // Voice rules.
    let phrases = quill_library::phrases(&db)?;
    let approved: Vec<String> = phrases.approved.iter().map(|p| p.text.clone()).collect();
    let mut banned: Vec<BannedPhrase> = phrases
        .banned
        .iter()
        .map(|p| BannedPhrase { phrase: p.text.clone(), replacement: p.replacement.clone() })
        .collect();
    for a in &brief.avoid {
        // Short avoid items are phrases to block; long ones are instructions ("fake inspiration").
        if a.split_whitespace().count() <= 4 && !banned.iter().any(|b| b.phrase.eq_ignore_ascii_case(a)) {
            banned.push(BannedPhrase { phrase: a.clone(), replacement: None });
        }
    }

    // Held-out entries: never shown as examples.
    let held: Vec<(i64, String)> = {
        let mut stmt = db.conn().prepare(
            "SELECT e.id, e.text FROM entries e JOIN entry_splits s ON s.entry_id = e.id WHERE s.split IN ('validation','test')",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let held_ids: HashSet<i64> = held.iter().map(|(id, _)| *id).collect();
    let held_texts: Vec<String> = held.into_iter().map(|(_, t)| t).collect();

    // Performance across every live piece of work, so the platform medians are the creator's.
    let work =
        quill_library::list(&db, &Filter { kinds: vec![Kind::Post, Kind::Thread, Kind::Email], ..Filter::default() })?;
    let perf: HashMap<i64, (Option<f64>, Option<u8>, String)> = work
        .iter()
        .zip(performance_scores(&work))
        .map(|(e, p)| (e.id, (p, e.rating, e.platform.to_string())))
        .collect();

    let mut kb = Knowledge::open(ws)?;
    let items: Vec<_> = library_items(kb.db())?
        .into_iter()
        .filter(|i| matches!(i.kind.as_str(), "post" | "thread" | "email"))
        .collect();
    kb.sync_library(&items, &mut NoProgress)?;
    let query = brief.retrieval_query();
    let mut examples = Vec::new();
    if brief.examples > 0 {
        let hits = kb.search(
            &query,
            &SearchOptions {
                k: CANDIDATES,
                mode: Mode::Hybrid,
                scope: SearchScope::Library,
                mmr: None,
                candidates: 80,
            },
        )?;
        let top = hits.first().map(|h| h.score).unwrap_or(1.0).max(1e-9);
        let candidates: Vec<Candidate> = hits
            .iter()
            .enumerate()
            .filter_map(|(rank, h)| {
                let id: i64 = h.source.strip_prefix("library:")?.parse().ok()?;
                let (p, rating, platform) = perf.get(&id)?.clone();
                let text = work.iter().find(|e| e.id == id)?.text.clone();
                Some(Candidate {
                    id,
                    text,
                    platform,
                    relevance: h.score / top,
                    relevance_rank: rank + 1,
                    performance: p,
                    rating,
                })
            })
            .collect();
        if candidates.is_empty() {
            notes.push("the library has no posts to use as examples yet (quill library import PATH)".into());
        }
        examples = choose(
            &candidates,
            brief.examples as usize,
            brief.library_platform(),
            &held_ids,
            &held_texts,
            Weights::default(),
        );
    }

    let mut passages = Vec::new();
    if brief.knowledge && brief.passages > 0 {
        let hits = kb.search(
            &query,
            &SearchOptions {
                k: brief.passages as usize,
                mode: Mode::Hybrid,
                scope: SearchScope::Docs,
                mmr: Some(0.7),
                candidates: 50,
            },
        )?;
        if hits.is_empty() {
            notes.push("the knowledge base is empty, so the prompt cites nothing (quill kb add PATH)".into());
        }
        passages = hits
            .into_iter()
            .map(|h| Passage {
                number: h.n,
                heading: h
                    .heading_path
                    .iter()
                    .filter(|x| **x != h.title && !x.trim().is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" › "),
                title: h.title,
                source: h.source,
                range: (h.start_char, h.end_char),
                text: h.text,
                score: h.score,
            })
            .collect();
    }

    let allowed: Vec<String> = approved.iter().chain(&brief.must_include).cloned().collect();
    let material =
        Material { creator: ws.config().workspace.name.clone(), examples, passages, approved, banned: banned.clone() };
    let prompt = assemble(brief, &preset, &material, &Budget { context, reserve, count }, Some(ws.root()))?;
    Ok(Composed { prompt, banned, allowed, notes })
}

impl From<quill_library::Error> for Error {
    fn from(e: quill_library::Error) -> Self {
        Error::Source(e.to_string())
    }
}

impl From<quill_knowledge::Error> for Error {
    fn from(e: quill_knowledge::Error) -> Self {
        Error::Source(e.to_string())
    }
}

impl From<quill_store::Error> for Error {
    fn from(e: quill_store::Error) -> Self {
        Error::Source(e.to_string())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Source(e.to_string())
    }
}
