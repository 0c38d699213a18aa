//! HTML: the main text with its headings; page furniture (scripts, styles, navigation, footers,
//! sidebars, forms) is dropped because it repeats on every page and drowns the real content.

use scraper::{ElementRef, Html, Node, Selector};

use super::{Extracted, Format, MdWriter, utf8};
use crate::IngestError;

/// Elements whose whole subtree is not content.
const SKIP: &[&str] = &[
    "script", "style", "nav", "footer", "noscript", "template", "svg", "iframe", "form", "aside", "button", "select",
    "head", "canvas", "video", "audio", "object",
];

/// Elements that end a paragraph.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "ul",
    "ol",
    "dl",
    "dd",
    "dt",
    "figure",
    "figcaption",
    "hr",
    "details",
    "summary",
    "address",
    "body",
    "html",
];

/// Extracts `<main>` (or `<article>`, or `<body>`) as Markdown-style text.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, IngestError> {
    let src = utf8(bytes)?;
    let doc = Html::parse_document(src);
    let title = first_text(&doc, "title");
    let root = ["main", "article", "[role=main]", "body"]
        .iter()
        .find_map(|sel| Selector::parse(sel).ok().and_then(|s| doc.select(&s).next()))
        .unwrap_or_else(|| doc.root_element());
    let mut w = MdWriter::default();
    let mut buf = String::new();
    walk(root, &mut w, &mut buf);
    flush(&mut w, &mut buf, "");
    Ok(w.finish(title, Format::Html))
}

fn first_text(doc: &Html, sel: &str) -> Option<String> {
    let s = Selector::parse(sel).ok()?;
    let t = super::squash_spaces(&doc.select(&s).next()?.text().collect::<String>());
    (!t.is_empty()).then_some(t)
}

fn flush(w: &mut MdWriter, buf: &mut String, prefix: &str) {
    w.paragraph(prefix, buf);
    buf.clear();
}

fn walk(el: ElementRef<'_>, w: &mut MdWriter, buf: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => buf.push_str(t),
            Node::Element(_) => {
                let Some(ce) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = ce.value().name();
                if SKIP.contains(&name) || ce.value().attr("aria-hidden") == Some("true") {
                    continue;
                }
                if let Some(level) = heading_level(name) {
                    flush(w, buf, "");
                    w.heading(level, &ce.text().collect::<String>());
                } else if name == "li" {
                    flush(w, buf, "");
                    walk(ce, w, buf);
                    flush(w, buf, "- ");
                } else if name == "br" {
                    buf.push(' ');
                } else if BLOCK.contains(&name) || name == "td" || name == "th" {
                    if name == "td" || name == "th" {
                        buf.push(' ');
                    } else {
                        flush(w, buf, "");
                    }
                    walk(ce, w, buf);
                    if name != "td" && name != "th" {
                        flush(w, buf, "");
                    }
                } else {
                    walk(ce, w, buf);
                }
            }
            _ => {}
        }
    }
}

fn heading_level(name: &str) -> Option<usize> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_main_text_and_headings_drops_furniture() {
        let html = br#"<html><head><title>Pricing | Maya</title><style>p{color:red}</style></head>
<body><nav><a href="/">Home</a> <a href="/blog">Blog</a></nav>
<main><h1>Pricing</h1><p>The   course costs <b>$490</b>.</p>
<script>track("secret")</script>
<h2>Refunds</h2><ul><li>Full refund in 14 days</li><li>No questions</li></ul></main>
<footer>(c) 2025 Maya</footer></body></html>"#;
        let e = extract(html).unwrap();
        assert_eq!(e.title.as_deref(), Some("Pricing | Maya"));
        assert_eq!(
            e.text,
            "# Pricing\n\nThe course costs $490.\n\n## Refunds\n\n- Full refund in 14 days\n\n- No questions\n"
        );
    }

    #[test]
    fn no_main_uses_body() {
        let e = extract(b"<body><header><h1>Hi</h1></header><div>one<br>two</div><footer>f</footer></body>").unwrap();
        assert_eq!(e.text, "# Hi\n\none two\n");
    }
}
