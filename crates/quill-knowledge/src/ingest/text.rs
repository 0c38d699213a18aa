//! Plain text: kept as written; the title is the first non-empty line when it is short.

use super::{Extracted, Format, utf8};
use crate::IngestError;

/// Keeps the text unchanged, so offsets are offsets into the file.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, IngestError> {
    let text = utf8(bytes)?.to_string();
    let title =
        text.lines().map(str::trim).find(|l| !l.is_empty()).filter(|l| l.chars().count() <= 80).map(str::to_string);
    Ok(Extracted { title, text, format: Format::Text })
}
