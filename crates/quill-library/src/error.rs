use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything the library can report.
///
/// Messages are written for the creator reading them in a terminal: they name the entry, file,
/// line or field, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No entry has this id.
    #[error("no library entry with id {0}\n  hint: `quill library list --deleted` shows every id")]
    NotFound(i64),
    /// A field value is not acceptable (the message names the field and the rule).
    #[error("{0}")]
    Invalid(String),
    /// An import found bad input and nothing was written.
    #[error("{}", bad_input_message(.0))]
    BadInput(Vec<Problem>),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The workspace or its database could not be opened.
    #[error(transparent)]
    Store(#[from] quill_store::Error),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Serialising an entry failed (should not happen; reported rather than panicking).
    #[error("serialising: {0}")]
    Json(#[from] serde_json::Error),
}

fn bad_input_message(problems: &[Problem]) -> String {
    let mut s = format!("{} problem(s) in the input; nothing was imported", problems.len());
    for p in problems.iter().take(20) {
        s.push_str(&format!("\n  {p}"));
    }
    if problems.len() > 20 {
        s.push_str(&format!("\n  … and {} more", problems.len() - 20));
    }
    s.push_str("\n  hint: fix those lines, or pass --skip-bad to import the good rows");
    s
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// One thing wrong (or noteworthy) in an input file, located as `file:line: field: message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The file, as the user named it (or as found inside a named folder).
    pub file: String,
    /// 1-based line where the row or block starts, when there is one.
    pub line: Option<usize>,
    /// The column or field concerned, when there is one.
    pub field: Option<String>,
    /// What is wrong, and where possible what to do.
    pub message: String,
}

impl Problem {
    /// A problem at `file:line`.
    pub fn new(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line, field: None, message: message.into() }
    }

    /// The same problem, about field `f`.
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(fl) = &self.field {
            write!(f, ": {fl}")?;
        }
        write!(f, ": {}", self.message)
    }
}
