use std::path::PathBuf;

/// One bad line of a dataset file: where it is and what is wrong, so a creator can open the file
/// at that line and fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and, where there is one, the fix.
    pub message: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Everything that can go wrong building, validating or uploading a dataset.
///
/// Messages are printed straight to the creator, so they name the file, the line and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing ("reading", "writing", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An input JSONL file has lines that are not a known dataset format.
    #[error("{path}: {} bad line(s):\n{}", problems.len(), list_problems(problems))]
    BadLines {
        /// The file.
        path: PathBuf,
        /// Every bad line (the first 20 are shown in the message).
        problems: Vec<LineProblem>,
    },
    /// A setting is out of range or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// Something that exists in the design but not in this build yet.
    #[error("{0}")]
    Unavailable(String),
    /// A tokenizer could not be loaded.
    #[error("tokenizer {name}: {message}")]
    Tokenizer {
        /// Encoding name (`cl100k_base`, `o200k_base`, `local`).
        name: String,
        /// What went wrong and the fix.
        message: String,
    },
    /// The workspace store failed.
    #[error(transparent)]
    Store(#[from] quill_store::Error),
    /// The library failed.
    #[error(transparent)]
    Library(#[from] quill_library::Error),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// JSON could not be written or read.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    /// The hosted fine-tuning service refused a request or could not be reached.
    #[error(transparent)]
    Hosted(#[from] crate::hosted::HostedError),
}

fn list_problems(problems: &[LineProblem]) -> String {
    let mut out: Vec<String> = problems.iter().take(20).map(|p| format!("  {p}")).collect();
    if problems.len() > 20 {
        out.push(format!("  … and {} more", problems.len() - 20));
    }
    out.join("\n")
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
