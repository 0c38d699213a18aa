//! Markdown: kept as written, so chunk offsets are offsets into the file itself.

use super::{Extracted, Format, utf8};
use crate::IngestError;

/// Keeps the text; the title is the front-matter `title:` or else the first `# ` heading.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, IngestError> {
    let text = utf8(bytes)?.to_string();
    let title = front_matter_title(&text).or_else(|| first_h1(&text));
    Ok(Extracted { title, text, format: Format::Markdown })
}

fn front_matter_title(text: &str) -> Option<String> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    for line in lines {
        let line = line.trim_end();
        if line == "---" || line == "..." {
            break;
        }
        if let Some(v) = line.strip_prefix("title:") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if !v.is_empty() {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn first_h1(text: &str) -> Option<String> {
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if t.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        if let Some(h) = t.strip_prefix("# ") {
            let h = h.trim().trim_end_matches('#').trim();
            if !h.is_empty() {
                return Some(h.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_from_front_matter_then_h1() {
        let e = extract(b"---\ntitle: \"Offer FAQ\"\n---\n# Other\ntext").unwrap();
        assert_eq!(e.title.as_deref(), Some("Offer FAQ"));
        let e = extract(b"```\n# not a heading\n```\n# Real Title\nbody").unwrap();
        assert_eq!(e.title.as_deref(), Some("Real Title"));
        assert_eq!(e.text, "```\n# not a heading\n```\n# Real Title\nbody");
    }

    #[test]
    fn invalid_utf8_is_an_error_with_offset() {
        let err = extract(b"ok \xff\xfe bad").unwrap_err();
        assert!(matches!(err, IngestError::InvalidUtf8 { offset: 3 }), "{err}");
    }
}
