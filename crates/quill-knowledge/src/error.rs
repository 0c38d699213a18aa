use std::path::PathBuf;

/// Why a single file could not be ingested.
///
/// Kept separate from [`Error`] because a broken file is not fatal: `kb add` reports it by name
/// and carries on with the rest of the folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file could not be read at all.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A text format whose bytes are not UTF-8.
    #[error("not valid UTF-8 (byte {offset}); re-save the file as UTF-8")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The extension is not one Quill reads.
    #[error("unsupported file type {0:?}; Quill reads .md, .markdown, .txt, .html, .htm, .pdf and .docx")]
    Unsupported(String),
    /// A password-protected PDF.
    #[error("the PDF is encrypted; export an unprotected copy (Print → Save as PDF) and add that")]
    EncryptedPdf,
    /// The PDF parser failed or panicked.
    #[error("the PDF could not be read ({0}); if it is a scan, run OCR on it first")]
    Pdf(String),
    /// A DOCX that is not a valid zip / Word document.
    #[error("not a valid Word document ({0}); re-export it as .docx")]
    Docx(String),
    /// A DOCX whose contents expand beyond the safety limits (a "zip bomb").
    #[error(
        "the DOCX expands to more than {limit_mb} MB or more than {ratio}× its compressed size; refusing to unpack it"
    )]
    ZipBomb {
        /// Uncompressed size limit in MB.
        limit_mb: u64,
        /// Compression ratio limit.
        ratio: u64,
    },
    /// The file has no text to index (an image-only PDF, an empty note).
    #[error("no text found (an image-only PDF needs OCR first)")]
    Empty,
}

/// Everything that can go wrong in the knowledge base.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The workspace database.
    #[error(transparent)]
    Store(#[from] quill_store::Error),
    /// Reading the library failed.
    #[error("reading the library: {0}")]
    Library(String),
    /// A query against the knowledge tables.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The embedding model folder is missing or incomplete.
    #[error(
        "embedding model not found: {path} is missing\n  hint: run scripts/fetch-models.sh (or set QUILL_MODELS / [knowledge] model_dir)"
    )]
    ModelMissing {
        /// The file that should exist.
        path: PathBuf,
    },
    /// The model files exist but could not be loaded.
    #[error("loading the embedding model from {path}: {message}")]
    ModelLoad {
        /// The model folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The tokenizer failed on some text.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// candle reported an error during the forward pass.
    #[error("embedding forward pass: {0}")]
    Candle(#[from] candle_core::Error),
    /// A path given to `kb add` does not exist.
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    /// Walking a folder failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A stored vector has the wrong size (the database was written by another model).
    #[error("stored embedding for chunk {chunk} has {found} bytes, expected {expected}; run `quill kb reindex`")]
    BadVector {
        /// Chunk id.
        chunk: i64,
        /// Bytes found.
        found: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// Bad settings in `[knowledge]`.
    #[error("[knowledge] in quill.toml: {0}")]
    Settings(String),
    /// A labelled retrieval set could not be read.
    #[error("{path}:{line}: {message}")]
    Eval {
        /// The JSONL file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
