//! Rung 6a: fine-tuning datasets built from the library, validated like the hosted services do,
//! and judged.
//!
//! * [`build`]: library (rewrites, posts with derived briefs) or an existing JSONL → train /
//!   validation / test files in the OpenAI chat, ShareGPT, Alpaca and completion formats, a
//!   deterministic stratified split, the held-out test split stored in `entry_splits`, and a
//!   `manifest.json`.
//! * [`validate`]: the OpenAI cookbook notebook's checks and numbers reproduced exactly
//!   ([`validate::notebook`]), token statistics with cl100k_base, o200k_base or the local model's
//!   tokenizer, duplicates (MinHash/LSH), test-split leakage, banned phrases, short and cut-off
//!   targets, balance, and a strong / usable / not yet verdict.
//! * [`hosted`]: OpenAI fine-tuning (upload, create, follow, checkpoints, cancel) and recording
//!   the resulting model in the workspace.
//! * [`py`]: the notebook's Python code and what it needs offline, for parity tests and
//!   `quill bench dataset`.
#![deny(missing_docs)]
// Errors carry the service's error fields and the fix for the creator; they are cold paths (one per
// failed command), so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod bench;
pub mod brief;
pub mod build;
mod error;
pub mod example;
pub mod formats;
pub mod hosted;
pub mod manifest;
pub mod py;
pub mod split;
pub mod text;
pub mod validate;

pub use error::{Error, LineProblem, Result};
pub use example::{Example, Message, Origin};
pub use formats::Format;
pub use manifest::Manifest;
pub use split::Split;
pub use validate::{Options as ValidateOptions, Report as ValidateReport, validate_file};
