//! Rung 1: the creator's voice and example library — entries, history, importers, export and stats.
//!
//! # Why this crate exists
//! Everything else in Quill (voice profile, prompts, datasets, evaluation) learns from what the
//! creator has already written and how it performed. This crate owns that material: one table of
//! [`Entry`] rows (posts, hooks, intros, CTAs, emails, threads, bios, before/after rewrites and
//! approved/banned phrases) with tags, metrics, ratings, history and soft delete, plus importers
//! for the files creators actually have (Markdown, text, CSV, JSONL, HTML, the X archive and
//! LinkedIn's export).
//!
//! Reads take `&Db`; writes take `&mut Db` because they run inside
//! [`quill_store::Db::write`]'s IMMEDIATE transaction, so two `quill` processes writing at once
//! take turns instead of losing data. See `API.md` next to this crate for the contract other crates
//! code against.
//!
//! # Example
//! ```
//! use quill_library::{add, list, Filter, Kind, NewEntry, Platform};
//! let mut db = quill_store::Db::open_in_memory().unwrap();
//! let e = add(&mut db, NewEntry {
//!     tags: vec!["ops".into()],
//!     metrics: [("likes".to_string(), 42.0)].into(),
//!     ..NewEntry::new(Kind::Post, Platform::Linkedin, "Your calendar is a strategy document.")
//! }).unwrap();
//! let posts = list(&db, &Filter { kinds: vec![Kind::Post], ..Filter::default() }).unwrap();
//! assert_eq!(posts[0].id, e.id);
//! ```
#![deny(missing_docs)]

mod dedup;
mod entry;
mod error;
mod export;
mod history;
pub mod import;
mod stats;
mod store;
mod views;

pub use dedup::{content_hash, normalize_for_hash};
pub use entry::{Entry, Kind, NewEntry, Platform, Polarity, normalize_date, normalize_tags};
pub use error::{Error, Problem, Result};
pub use export::{ExportFormat, entry_to_markdown, export, export_to_file};
pub use history::{HistoryItem, changed_fields, history};
pub use import::{Duplicate, FileSummary, Format, ImportOptions, ImportReport, Skipped, entry_from_markdown, import};
pub use stats::{
    ENGAGEMENT_METRICS, Performer, PlatformPerformance, REACH_METRICS, Stats, engagement, performance_scores, stats,
};
pub use store::{Filter, Sort, add, find, get, list, rate, remove, restore, tag, update};
pub use views::{Phrase, Phrases, Rewrite, phrases, rewrites};
