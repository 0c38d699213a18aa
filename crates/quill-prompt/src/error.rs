use std::path::PathBuf;

/// Errors from briefs, presets, templates and drafting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A brief, preset or template file is malformed.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column where known, and the fix.
        message: String,
    },
    /// The library, knowledge base or database failed while composing a prompt.
    #[error("{0}")]
    Source(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
