//! Rung 3: the creator's documents, chunked and indexed (BM25 + MiniLM embeddings) for cited
//! retrieval.
//!
//! # Why
//! "The AI does not know my offer, my framework, my product" is a knowledge problem, not a
//! fine-tuning problem: the fix is to find the creator's own passages about the topic and put
//! them into the prompt with a citation. This crate is that finder.
//!
//! # Pipeline
//! * [`ingest`]: Markdown, text, HTML, PDF and DOCX become text with headings; a broken file is
//!   reported by name and skipped.
//! * [`chunk`]: structure-aware chunks of ~200 MiniLM tokens with overlap; each keeps its heading
//!   path and exact character offsets.
//! * [`fts`]: BM25 over SQLite FTS5 (Porter stemming) with queries that can never be syntax errors,
//!   plus term-proximity clauses (phrase and `NEAR` for neighbouring query words).
//! * [`embed`]: all-MiniLM-L6-v2 in candle, pooled exactly as sentence-transformers does.
//! * [`vector`]: exact cosine search over an in-memory matrix.
//! * [`hybrid`]: reciprocal rank fusion and MMR.
//! * [`Knowledge::search`]: numbered, citable [`Hit`]s for the prompt builder.
//!
//! Everything lives in the workspace's SQLite database (one file to back up); only changed files
//! are re-read and only changed chunks re-embedded.
//!
//! # Example
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use quill_knowledge::{Knowledge, NoProgress, SearchOptions};
//! let ws = quill_store::Workspace::locate(None)?;
//! let mut kb = Knowledge::open(&ws)?;
//! kb.add_paths(&["docs/".into()], &mut NoProgress)?;
//! for hit in kb.search("what does the course cost?", &SearchOptions::default())? {
//!     println!("{}\n{}", hit.citation(), hit.text);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod bench;
mod bert;
pub mod chunk;
pub mod embed;
mod error;
pub mod eval;
pub mod fts;
pub mod hybrid;
pub mod ingest;
mod knowledge;
pub mod search;
mod settings;
#[doc(hidden)]
pub mod testdata;
pub mod vector;

pub use embed::{Backend, Embedder};
pub use error::{Error, IngestError, Result};
pub use ingest::{Extracted, Format};
pub use knowledge::{
    AddReport, DocumentInfo, Failure, Knowledge, LibraryItem, NoProgress, Phase, Progress, Stats, SyncReport,
    library_items,
};
pub use search::{Hit, Mode, Scope, SearchOptions, SearchScope};
pub use settings::Settings;
