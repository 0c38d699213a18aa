//! DOCX (Word, Google Docs exports): paragraphs and headings from `word/document.xml`.
//!
//! A DOCX is a zip, and a zip can be a "bomb": a few kilobytes that inflate to gigabytes. Before
//! anything is unpacked, the declared sizes are checked against a total cap and a compression
//! ratio cap, and every read is additionally bounded, because declared sizes can lie.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use super::{Extracted, Format, MdWriter};
use crate::IngestError;

/// Largest total uncompressed size accepted (bytes). Real documents with many images stay far
/// below; the text part alone is rarely over a few MB.
pub const MAX_DOCX_UNCOMPRESSED: u64 = 200 * 1024 * 1024;
/// Largest compression ratio accepted for an entry over 1 MB. Word XML compresses about 10–30×.
pub const MAX_DOCX_RATIO: u64 = 200;

fn bomb() -> IngestError {
    IngestError::ZipBomb { limit_mb: MAX_DOCX_UNCOMPRESSED / (1024 * 1024), ratio: MAX_DOCX_RATIO }
}

/// Checks the archive's declared sizes, then reads the body and the title.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, IngestError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| IngestError::Docx(e.to_string()))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| IngestError::Docx(e.to_string()))?;
        total = total.saturating_add(f.size());
        let ratio = f.size() / f.compressed_size().max(1);
        if total > MAX_DOCX_UNCOMPRESSED || (f.size() > 1024 * 1024 && ratio > MAX_DOCX_RATIO) {
            return Err(bomb());
        }
    }
    let body = read_entry(&mut zip, "word/document.xml")?
        .ok_or_else(|| IngestError::Docx("word/document.xml is missing".into()))?;
    let title = match read_entry(&mut zip, "docProps/core.xml")? {
        Some(core) => core_title(&core),
        None => None,
    };
    body_to_text(&body, title)
}

/// Reads one entry as UTF-8, never more than the cap whatever its header claims.
fn read_entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, IngestError> {
    let f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(IngestError::Docx(e.to_string())),
    };
    let mut buf = Vec::new();
    f.take(MAX_DOCX_UNCOMPRESSED + 1).read_to_end(&mut buf).map_err(|e| IngestError::Docx(format!("{name}: {e}")))?;
    if buf.len() as u64 > MAX_DOCX_UNCOMPRESSED {
        return Err(bomb());
    }
    String::from_utf8(buf).map(Some).map_err(|e| IngestError::Docx(format!("{name} is not UTF-8: {e}")))
}

fn local(e: &BytesStart<'_>) -> Vec<u8> {
    e.local_name().as_ref().to_vec()
}

fn attr_val(e: &BytesStart<'_>) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"val")
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// `Title` → 1, `Heading2` / `heading 2` → 2, anything else → none.
fn style_level(style: &str) -> Option<usize> {
    let s: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if s == "title" {
        return Some(1);
    }
    let n = s.strip_prefix("heading")?;
    n.parse::<usize>().ok().filter(|n| (1..=9).contains(n)).map(|n| n.min(6))
}

fn body_to_text(xml: &str, title: Option<String>) -> Result<Extracted, IngestError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut w = MdWriter::default();
    let mut para = String::new();
    let mut level: Option<usize> = None;
    let mut list = false;
    let mut in_t = false;
    loop {
        let ev = reader.read_event().map_err(|e| IngestError::Docx(format!("word/document.xml: {e}")))?;
        match ev {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_slice() {
                b"p" => {
                    para.clear();
                    level = None;
                    list = false;
                }
                b"pStyle" => level = attr_val(&e).as_deref().and_then(style_level).or(level),
                b"outlineLvl" if level.is_none() => {
                    level =
                        attr_val(&e).and_then(|v| v.parse::<usize>().ok()).filter(|l| *l < 9).map(|l| (l + 1).min(6));
                }
                b"numPr" => list = true,
                b"t" => in_t = true,
                b"tab" => para.push('\t'),
                b"br" | b"cr" => para.push(' '),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_t = false,
                b"p" => {
                    match level {
                        Some(l) => w.heading(l, &para),
                        None => w.paragraph(if list { "- " } else { "" }, &para),
                    }
                    para.clear();
                }
                _ => {}
            },
            Event::Text(t) if in_t => {
                let s = t.unescape().map_err(|e| IngestError::Docx(format!("word/document.xml: {e}")))?;
                para.push_str(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(w.finish(title, Format::Docx))
}

/// `<dc:title>` from `docProps/core.xml`.
fn core_title(xml: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut in_title = false;
    let mut out = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == b"title" => in_title = true,
            Event::End(e) if e.local_name().as_ref() == b"title" => break,
            Event::Text(t) if in_title => out.push_str(&t.unescape().ok()?),
            Event::Eof => break,
            _ => {}
        }
    }
    let t = super::squash_spaces(&out);
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::build_docx;

    #[test]
    fn headings_paragraphs_and_title() {
        let bytes = build_docx(
            &[
                (Some("Title"), "Client Onboarding"),
                (Some("Heading2"), "Week one"),
                (None, "Send the  welcome pack & call."),
                (None, ""),
            ],
            Some("Onboarding SOP"),
        );
        let e = extract(&bytes).unwrap();
        assert_eq!(e.title.as_deref(), Some("Onboarding SOP"));
        assert_eq!(e.text, "# Client Onboarding\n\n## Week one\n\nSend the welcome pack & call.\n");
    }

    #[test]
    fn style_levels() {
        assert_eq!(style_level("Heading3"), Some(3));
        assert_eq!(style_level("heading 1"), Some(1));
        assert_eq!(style_level("Title"), Some(1));
        assert_eq!(style_level("Normal"), None);
        assert_eq!(style_level("HeadingX"), None);
    }

    #[test]
    fn zip_bomb_is_refused() {
        let bytes = crate::testdata::build_bomb_docx(8);
        assert!(bytes.len() < 100_000, "{}", bytes.len());
        assert!(matches!(extract(&bytes).unwrap_err(), IngestError::ZipBomb { .. }));
    }

    #[test]
    fn not_a_zip() {
        assert!(matches!(extract(b"hello").unwrap_err(), IngestError::Docx(_)));
    }
}
