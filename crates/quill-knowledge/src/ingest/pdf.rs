//! PDF: the text layer, via `pdf-extract`.
//!
//! `pdf-extract` panics on some real-world files (its maintainer prefers panics to errors), so
//! every call runs inside `catch_unwind`, with the panic message kept off the terminal: one bad
//! PDF in a folder must not take the import down or scare the user with a backtrace.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use super::{Extracted, Format};
use crate::IngestError;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}
static HOOK: Once = Once::new();

/// Installs (once) a panic hook that stays silent while this thread is inside the PDF parser and
/// defers to the previous hook otherwise.
fn install_quiet_hook() {
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                prev(info);
            }
        }));
    });
}

/// Extracts the text layer; encrypted files get their own error so the user knows the fix.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, IngestError> {
    install_quiet_hook();
    QUIET.with(|q| q.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| pdf_extract::extract_text_from_mem(bytes)));
    QUIET.with(|q| q.set(false));
    let encrypted = contains(bytes, b"/Encrypt");
    let raw = match result {
        Ok(Ok(text)) => text,
        Ok(Err(_)) | Err(_) if encrypted => return Err(IngestError::EncryptedPdf),
        Ok(Err(e)) => return Err(IngestError::Pdf(e.to_string())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the parser crashed".into());
            return Err(IngestError::Pdf(msg));
        }
    };
    let text = tidy(&raw);
    if text.trim().is_empty() {
        return Err(if encrypted { IngestError::EncryptedPdf } else { IngestError::Empty });
    }
    let title =
        text.lines().map(str::trim).find(|l| !l.is_empty()).filter(|l| l.chars().count() <= 100).map(str::to_string);
    Ok(Extracted { title, text, format: Format::Pdf })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Normalises the extractor's layout whitespace: trailing spaces, form feeds and runs of blank
/// lines (page breaks) become single blank lines, so paragraphs are separated the same way as in
/// plain text.
fn tidy(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0;
    for line in raw.replace("\r\n", "\n").replace(['\r', '\x0c'], "\n").lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_collapses_blank_runs() {
        assert_eq!(tidy("a  \n\n\n\x0cb\nc\n\n"), "a\n\nb\nc\n");
    }

    #[test]
    fn text_layer_and_encryption() {
        let e =
            extract(&crate::testdata::build_pdf(&["Pricing guide", "The course costs 490 dollars."], false)).unwrap();
        assert!(e.text.contains("Pricing guide"), "{:?}", e.text);
        assert!(e.text.contains("The course costs 490 dollars."), "{:?}", e.text);
        assert_eq!(e.title.as_deref(), Some("Pricing guide"));
        let err = extract(&crate::testdata::build_pdf(&["secret"], true)).unwrap_err();
        assert!(matches!(err, IngestError::EncryptedPdf), "{err}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = extract(b"%PDF-1.4\n garbage that is not a pdf").unwrap_err();
        assert!(matches!(err, IngestError::Pdf(_)), "{err}");
    }
}
