use std::path::PathBuf;

/// Everything that can go wrong opening or using a workspace.
///
/// Variants carry the path involved and, where there is one, the fix, because the CLI prints
/// these straight to a creator who may not know what SQLite is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No `quill.toml` was found in the folder or any parent.
    #[error(
        "no Quill workspace found in {start} or any parent folder\n  hint: run `quill init` here, or pass -C DIR / set QUILL_WORKSPACE"
    )]
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// `quill init` on a folder that already is a workspace.
    #[error("{0} is already a Quill workspace")]
    AlreadyExists(PathBuf),
    /// `quill.toml` could not be parsed.
    #[error("{path}: {message}\n  hint: fix the settings file by hand, or move it away and run `quill init` again")]
    Config {
        /// The settings file.
        path: PathBuf,
        /// The parser's message, which includes line and column.
        message: String,
    },
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing ("reading", "writing", ...).
        action: &'static str,
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer Quill.
    #[error(
        "{path} has schema migration {found} which this Quill does not know (it knows up to {known})\n  hint: upgrade Quill; do not edit the database by hand"
    )]
    FutureSchema {
        /// The database file.
        path: PathBuf,
        /// The unknown migration version found in the database.
        found: i64,
        /// The newest migration this build knows.
        known: i64,
    },
    /// A migration failed to apply; the database is left at the previous version.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Migration version.
        version: i64,
        /// Migration name.
        name: &'static str,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
