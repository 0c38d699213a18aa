//! `[knowledge]` in `quill.toml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Settings for chunking and embedding, read from `[knowledge]` through
/// `quill_store::Config::section` so a creator can change them without a rebuild.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Target chunk size in MiniLM WordPiece tokens. ~200 keeps a chunk inside the model's
    /// 256-token window together with its title and heading prefix, and is long enough to
    /// carry one idea with its context.
    pub chunk_tokens: usize,
    /// Tokens repeated from the end of one chunk at the start of the next inside a long
    /// section, so a sentence that straddles a boundary is still found whole.
    pub overlap_tokens: usize,
    /// Sentences per forward pass when embedding.
    pub batch_size: usize,
    /// The embedding model folder; default `$QUILL_MODELS/all-minilm-l6-v2`.
    pub model_dir: Option<PathBuf>,
    /// Files larger than this (MB) are skipped, so a stray video never stalls an import.
    pub max_file_mb: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { chunk_tokens: 200, overlap_tokens: 40, batch_size: 32, model_dir: None, max_file_mb: 50 }
    }
}

impl Settings {
    /// Rejects values that would make chunking loop or produce useless chunks.
    pub fn validate(&self) -> Result<()> {
        if !(16..=1000).contains(&self.chunk_tokens) {
            return Err(Error::Settings(format!("chunk_tokens = {} (use 16 to 1000)", self.chunk_tokens)));
        }
        if self.overlap_tokens * 2 > self.chunk_tokens {
            return Err(Error::Settings(format!(
                "overlap_tokens = {} must be at most half of chunk_tokens = {}",
                self.overlap_tokens, self.chunk_tokens
            )));
        }
        if self.batch_size == 0 || self.batch_size > 1024 {
            return Err(Error::Settings(format!("batch_size = {} (use 1 to 1024)", self.batch_size)));
        }
        Ok(())
    }

    /// The embedding model folder these settings point at.
    pub fn model_dir(&self) -> PathBuf {
        self.model_dir.clone().unwrap_or_else(quill_store::default_embedder_dir)
    }

    /// A short signature of everything that changes how a document is chunked; a document
    /// indexed under another signature is re-chunked on the next `kb add`.
    pub fn chunker_signature(&self) -> String {
        format!("v1/{}/{}", self.chunk_tokens, self.overlap_tokens)
    }
}
