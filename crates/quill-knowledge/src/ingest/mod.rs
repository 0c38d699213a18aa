//! Turning files into text with structure.
//!
//! Every format is reduced to one [`Extracted`] text. Formats that carry headings (Markdown,
//! HTML, DOCX) come out as Markdown-style text (`## Heading` lines, blank lines between
//! paragraphs), so one heading-aware chunker serves them all and citations point at offsets in
//! text a person can read. Markdown and plain text are kept byte-for-byte, so for them the
//! offsets are offsets into the file itself.

mod docx;
mod html;
mod markdown;
mod pdf;
mod text;

use std::path::Path;

use crate::IngestError;

pub use docx::{MAX_DOCX_RATIO, MAX_DOCX_UNCOMPRESSED};

/// The file formats Quill reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `.md`, `.markdown`: headings by `#`.
    Markdown,
    /// `.txt`: paragraphs only.
    Text,
    /// `.html`, `.htm`: main text, headings kept.
    Html,
    /// `.pdf`: the text layer.
    Pdf,
    /// `.docx`: Word and Google Docs exports.
    Docx,
    /// A library entry (not a file).
    Library,
}

impl Format {
    /// The format for a file name, or `None` when Quill does not read it.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "md" | "markdown" | "mdown" | "mkd" => Self::Markdown,
            "txt" | "text" => Self::Text,
            "html" | "htm" | "xhtml" => Self::Html,
            "pdf" => Self::Pdf,
            "docx" => Self::Docx,
            _ => return None,
        })
    }

    /// The name stored in the database and shown by `kb list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Text => "text",
            Self::Html => "html",
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Library => "library",
        }
    }

    /// Whether the extracted text uses `#` heading lines the chunker should follow.
    pub fn has_headings(self) -> bool {
        matches!(self, Self::Markdown | Self::Html | Self::Docx)
    }
}

/// A document reduced to text.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The title from the document itself (first `#` heading, `<title>`, DOCX title), if any.
    pub title: Option<String>,
    /// The text that is chunked and that citation offsets point into.
    pub text: String,
    /// The format it came from.
    pub format: Format,
}

/// Extracts the text of `bytes`, read from a file of format `format`.
///
/// Never panics: the PDF parser, which is known to panic on some files, runs inside
/// `catch_unwind`.
pub fn extract(bytes: &[u8], format: Format) -> Result<Extracted, IngestError> {
    let out = match format {
        Format::Markdown => markdown::extract(bytes)?,
        Format::Text | Format::Library => text::extract(bytes)?,
        Format::Html => html::extract(bytes)?,
        Format::Pdf => pdf::extract(bytes)?,
        Format::Docx => docx::extract(bytes)?,
    };
    if out.text.trim().is_empty() {
        return Err(IngestError::Empty);
    }
    Ok(out)
}

/// Reads and extracts one file.
pub fn extract_file(path: &Path) -> Result<Extracted, IngestError> {
    let format = Format::from_path(path).ok_or_else(|| {
        IngestError::Unsupported(path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default())
    })?;
    let bytes = std::fs::read(path)?;
    extract(&bytes, format)
}

/// Decodes UTF-8, dropping a byte-order mark, with an error that says where it broke.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, IngestError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| IngestError::InvalidUtf8 { offset: e.valid_up_to() })
}

/// Collapses runs of whitespace inside a line to one space and trims it: extracted HTML and
/// DOCX text is full of layout whitespace that means nothing to a reader.
pub(crate) fn squash_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Accumulates Markdown-style text from structured formats: headings as `#` lines, paragraphs
/// separated by one blank line.
#[derive(Debug, Default)]
pub(crate) struct MdWriter {
    out: String,
    title: Option<String>,
}

impl MdWriter {
    /// Adds a heading of `level` (1–6).
    pub(crate) fn heading(&mut self, level: usize, text: &str) {
        let text = squash_spaces(text);
        if text.is_empty() {
            return;
        }
        if level == 1 && self.title.is_none() {
            self.title = Some(text.clone());
        }
        self.sep();
        self.out.push_str(&"#".repeat(level.clamp(1, 6)));
        self.out.push(' ');
        self.out.push_str(&text);
        self.out.push('\n');
    }

    /// Adds a paragraph; `prefix` is e.g. `"- "` for list items.
    pub(crate) fn paragraph(&mut self, prefix: &str, text: &str) {
        let text = squash_spaces(text);
        if text.is_empty() {
            return;
        }
        self.sep();
        self.out.push_str(prefix);
        // A paragraph that itself starts with '#' would read as a heading: escape it.
        if prefix.is_empty() && text.starts_with('#') {
            self.out.push('\\');
        }
        self.out.push_str(&text);
        self.out.push('\n');
    }

    fn sep(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    pub(crate) fn finish(self, title: Option<String>, format: crate::Format) -> Extracted {
        Extracted { title: title.filter(|t| !t.trim().is_empty()).or(self.title), text: self.out, format }
    }
}
