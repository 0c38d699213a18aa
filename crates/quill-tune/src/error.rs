//! The one error type of this crate.
//!
//! Variants name the file (and where it helps, the line) and say what to do, because the CLI
//! prints them straight to a creator who started a fine-tune and walked away.

use std::path::PathBuf;

/// Everything that can go wrong while loading a base model, reading a dataset, training,
/// checkpointing or exporting an adapter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TuneError {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing ("reading", "writing", ...).
        action: &'static str,
        /// The file or folder involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The base model file is not usable (not GGUF, truncated, missing keys or tensors).
    #[error(transparent)]
    Gguf(#[from] quill_llm::gguf::GgufError),
    /// The base model is readable but not something this trainer can train.
    #[error("{path}: {msg}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong and, where possible, the fix.
        msg: String,
    },
    /// A dataset line is malformed.
    #[error("{path}:{line}: {msg}")]
    Data {
        /// The JSONL file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        msg: String,
    },
    /// The dataset as a whole cannot be trained on (empty, nothing to learn from, ...).
    #[error("{0}")]
    Dataset(String),
    /// An adapter file (PEFT, GGUF, checkpoint) is malformed or does not fit the base model.
    #[error("{path}: {msg}")]
    Adapter {
        /// The adapter file or folder.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// Bad training settings (rank 0, learning rate NaN, unknown target, ...).
    #[error("invalid setting: {0}")]
    Config(String),
    /// The tensor library failed; this is a bug or an out-of-memory, not bad input.
    #[error("tensor operation failed: {0}")]
    Tensor(#[from] candle_core::Error),
    /// The loss became NaN or infinite: the learning rate is too high for this data.
    #[error(
        "the loss became {loss} at step {step}; lower the learning rate (--lr) or enable gradient clipping (--max-grad-norm)"
    )]
    Diverged {
        /// Optimizer step at which it happened.
        step: u64,
        /// The non-finite value.
        loss: f32,
    },
    /// The workspace database failed.
    #[error(transparent)]
    Store(#[from] quill_store::Error),
    /// A SQL statement failed.
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A run or adapter name that does not exist.
    #[error("no fine-tuning run named {0:?} in this workspace\n  hint: `quill tune list` shows the runs")]
    UnknownRun(String),
    /// Training was interrupted on request (Ctrl-C); the last checkpoint is kept.
    #[error("training interrupted at step {step}; continue with `quill tune --resume {name}`")]
    Interrupted {
        /// Adapter name.
        name: String,
        /// Steps completed.
        step: u64,
    },
}

impl TuneError {
    /// Wraps an I/O error with the path and the action, for messages like "reading x.jsonl: ...".
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TuneError::Io { action, path: path.into(), source }
    }

    /// A problem with a model file.
    pub fn model(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        TuneError::Model { path: path.into(), msg: msg.into() }
    }

    /// A problem with an adapter file.
    pub fn adapter(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        TuneError::Adapter { path: path.into(), msg: msg.into() }
    }
}

/// This crate's result type.
pub type Result<T, E = TuneError> = std::result::Result<T, E>;
