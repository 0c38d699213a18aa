use std::path::PathBuf;

/// Everything that can go wrong in the voice checks.
///
/// Rule-file errors name the file, the line where the YAML parser knows it, and what to change,
/// because they are shown to a creator who wrote (or downloaded) the rule by hand.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A rule file is malformed or uses a value Quill cannot interpret.
    #[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Rule {
        /// The rule file (or `builtin:Style/Rule.yml`).
        path: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The workspace (settings, database) reported an error.
    #[error(transparent)]
    Store(#[from] quill_store::Error),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored profile could not be read back.
    #[error("stored voice profile is unreadable ({0})\n  hint: rebuild it with `quill voice profile`")]
    Profile(String),
    /// Not enough of the creator's writing to measure anything.
    #[error("{0}")]
    NotEnoughData(String),
    /// Anything else a caller passed in that cannot be used.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub(crate) fn rule(path: &str, message: impl Into<String>) -> Self {
        Error::Rule { path: path.to_string(), line: None, message: message.into() }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// Result with the voice [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
