//! HTML: the article text of a saved page (a blog post, a newsletter's web version).
//!
//! The text is taken from `<article>`, else `<main>`/`[role=main]`, else `<body>`, dropping
//! scripts, styles, navigation, headers, footers, asides and forms — the parts of a page the
//! creator did not write. Paragraph structure is kept as blank lines; the first `<h1>` (or
//! `<title>`) becomes the title and `<time datetime>` / `article:published_time` the date.

use scraper::{ElementRef, Html, Node, Selector};
use serde_json::{Map, Value};

use super::fields::from_map;
use super::{Ctx, Item};
use crate::normalize_date;

const SKIP: &[&str] = &[
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "svg", "iframe", "template",
    "head",
];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "table",
    "tr",
    "figure",
    "figcaption",
    "hr",
    "dl",
    "dt",
    "dd",
];

fn select<'a>(doc: &'a Html, css: &str) -> Option<ElementRef<'a>> {
    Selector::parse(css).ok().and_then(|s| doc.select(&s).next())
}

fn collect(el: ElementRef<'_>, pre: bool, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                if pre {
                    out.push_str(t);
                } else {
                    out.push_str(&t.replace(['\n', '\r', '\t'], " "));
                }
            }
            Node::Element(e) => {
                let name = e.name();
                if SKIP.contains(&name) {
                    continue;
                }
                if name == "br" {
                    out.push('\n');
                    continue;
                }
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                let block = BLOCK.contains(&name);
                if block {
                    out.push_str("\n\n");
                }
                if name == "li" {
                    out.push_str("- ");
                }
                collect(child_el, pre || name == "pre", out);
                if block {
                    out.push_str("\n\n");
                }
            }
            _ => {}
        }
    }
}

fn tidy(raw: &str) -> String {
    let mut paras = Vec::new();
    for para in raw.split("\n\n") {
        let lines: Vec<String> = para
            .split('\n')
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect();
        if !lines.is_empty() {
            paras.push(lines.join("\n"));
        }
    }
    paras.join("\n\n")
}

/// The article text, title and date of a page.
pub(crate) fn extract(html: &str) -> (String, Option<String>, Option<String>) {
    let doc = Html::parse_document(html);
    let root = ["article", "main", "[role=main]", "body"].iter().find_map(|css| select(&doc, css));
    let mut raw = String::new();
    if let Some(root) = root {
        collect(root, false, &mut raw);
    }
    let mut text = tidy(&raw);
    let h1 = root.and_then(|r| Selector::parse("h1").ok().and_then(|s| r.select(&s).next()));
    let title = h1
        .map(|h| tidy(&h.text().collect::<String>()))
        .filter(|t| !t.is_empty())
        .or_else(|| select(&doc, "title").map(|t| tidy(&t.text().collect::<String>())).filter(|t| !t.is_empty()));
    if let Some(t) = &title
        && let Some(rest) = text.strip_prefix(t.as_str())
    {
        text = rest.trim_start().to_string();
    }
    let date = root
        .and_then(|r| Selector::parse("time[datetime]").ok().and_then(|s| r.select(&s).next()))
        .and_then(|t| t.value().attr("datetime").map(str::to_string))
        .or_else(|| {
            select(&doc, "meta[property=\"article:published_time\"], meta[name=\"date\"]")
                .and_then(|m| m.value().attr("content").map(str::to_string))
        })
        .filter(|d| normalize_date(d).is_ok());
    (text, title, date)
}

pub(crate) fn parse(html: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    let (text, title, date) = extract(html);
    if text.trim().is_empty() {
        return vec![ctx.bad(None, "has no article text")];
    }
    let mut map = Map::new();
    if let Some(t) = title {
        map.insert("title".into(), Value::String(t));
    }
    if let Some(d) = date {
        map.insert("date".into(), Value::String(d));
    }
    match from_map(map, Some(text), 1) {
        Ok(r) => vec![Item::Record(Box::new(r))],
        Err((f, m)) => vec![ctx.bad_field(1, &f, m)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_text_without_chrome() {
        let html = r#"<html><head><title>Site</title><script>var x=1;</script></head><body>
            <nav>Home | About</nav><header>Logo</header>
            <article><h1>Calendars  are strategy</h1><time datetime="2024-02-01">Feb 1</time>
            <p>First   paragraph
            continues here.</p><p>Second<br>line two</p><aside>Subscribe!</aside>
            <ul><li>one</li><li>two</li></ul></article>
            <footer>© me</footer></body></html>"#;
        let (text, title, date) = extract(html);
        assert_eq!(title.as_deref(), Some("Calendars are strategy"));
        assert_eq!(date.as_deref(), Some("2024-02-01"));
        assert_eq!(text, "Feb 1\n\nFirst paragraph continues here.\n\nSecond\nline two\n\n- one\n\n- two");
    }
}
