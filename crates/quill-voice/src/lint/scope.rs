//! Scopes: which parts of a post a rule reads (Vale's `scope` key, plus Quill's `hook` and `line`).

use std::ops::Range;

use serde::Serialize;

use crate::text::{BlockKind, Document, sentence_ranges};

/// One scope name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// The file as written, code and URLs included.
    Raw,
    /// Every prose block and heading, one at a time.
    Text,
    /// The body text as a whole (headings left out): used by `metric` and `readability`.
    Summary,
    /// Each paragraph (and block quote).
    Paragraph,
    /// Each sentence.
    Sentence,
    /// Each heading, or only headings of one level.
    Heading(Option<u8>),
    /// Each list item.
    List,
    /// Each block quote.
    Blockquote,
    /// Each fenced code block.
    Code,
    /// Quill: the opening paragraph — what shows before a platform's "see more".
    Hook,
    /// Quill: each non-empty line of prose.
    Line,
}

impl ScopeKind {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Some(match s {
            "raw" => ScopeKind::Raw,
            "text" | "md" | "markdown" => ScopeKind::Text,
            "summary" => ScopeKind::Summary,
            "paragraph" => ScopeKind::Paragraph,
            "sentence" => ScopeKind::Sentence,
            "heading" => ScopeKind::Heading(None),
            "title" => ScopeKind::Heading(Some(1)),
            "list" => ScopeKind::List,
            "blockquote" => ScopeKind::Blockquote,
            "code" => ScopeKind::Code,
            "hook" => ScopeKind::Hook,
            "line" => ScopeKind::Line,
            _ => {
                let level = s.strip_prefix("heading.h")?.parse::<u8>().ok().filter(|l| (1..=6).contains(l))?;
                ScopeKind::Heading(Some(level))
            }
        })
    }

    fn matches_block(self, kind: BlockKind) -> bool {
        match (self, kind) {
            (ScopeKind::Heading(None), BlockKind::Heading(_)) => true,
            (ScopeKind::Heading(Some(l)), BlockKind::Heading(k)) => l == k,
            (ScopeKind::List, BlockKind::ListItem) => true,
            (ScopeKind::Blockquote, BlockKind::Blockquote) => true,
            (ScopeKind::Code, BlockKind::Code) => true,
            (ScopeKind::Paragraph, BlockKind::Paragraph) => true,
            _ => false,
        }
    }
}

/// Vale scopes that select markup Quill's plain posts never contain; a rule scoped to only these
/// loads but never fires (rather than failing the whole style).
const MARKUP_ONLY: &[&str] =
    &["table", "table.header", "table.cell", "table.caption", "alt", "attr", "comment", "figure"];

/// A rule's scope: the kinds it reads, minus the kinds excluded with `~`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeSpec {
    /// Scopes read (empty with no exclusions means nothing matches).
    pub include: Vec<ScopeKind>,
    /// Block kinds skipped (`~list`).
    pub exclude: Vec<ScopeKind>,
}

impl ScopeSpec {
    /// Parses Vale's scope list (`[sentence]`, `heading.h2`, `~blockquote`, `paragraph & ~list`).
    pub fn parse(items: &[String]) -> Result<Self, String> {
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        let mut markup_only = false;
        for item in items {
            for part in item.split('&') {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                let (neg, name) = match part.strip_prefix('~') {
                    Some(n) => (true, n.trim()),
                    None => (false, part),
                };
                let Some(kind) = ScopeKind::parse(name) else {
                    if MARKUP_ONLY.contains(&name) {
                        markup_only = true;
                        continue;
                    }
                    return Err(format!(
                        "unknown scope '{name}'; use text, raw, summary, paragraph, sentence, heading, heading.h1-h6, list, blockquote, code, hook or line"
                    ));
                };
                if neg { exclude.push(kind) } else { include.push(kind) }
            }
        }
        if include.is_empty() && !markup_only {
            include.push(ScopeKind::Text);
        }
        Ok(Self { include, exclude })
    }

    /// Whether the rule reads the file as written (code and URLs included).
    pub fn is_raw(&self) -> bool {
        self.include.iter().any(|k| matches!(k, ScopeKind::Raw | ScopeKind::Code))
    }

    fn excluded(&self, kind: BlockKind) -> bool {
        self.exclude.iter().any(|e| e.matches_block(kind))
    }

    /// The byte ranges of `doc` this scope selects, in document order.
    pub fn spans(&self, doc: &Document<'_>) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::new();
        let prose = |k: BlockKind| matches!(k, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Blockquote);
        for kind in &self.include {
            match kind {
                ScopeKind::Raw => out.push(0..doc.text().len()),
                ScopeKind::Text => out.extend(
                    doc.blocks()
                        .iter()
                        .filter(|b| b.kind != BlockKind::Code && !self.excluded(b.kind))
                        .map(|b| b.range.clone()),
                ),
                ScopeKind::Summary => {
                    let mut first = None;
                    let mut last = 0;
                    for b in doc.blocks().iter().filter(|b| prose(b.kind) && !self.excluded(b.kind)) {
                        first.get_or_insert(b.range.start);
                        last = b.range.end;
                    }
                    if let Some(f) = first {
                        out.push(f..last);
                    }
                }
                ScopeKind::Paragraph => out.extend(
                    doc.blocks()
                        .iter()
                        .filter(|b| {
                            matches!(b.kind, BlockKind::Paragraph | BlockKind::Blockquote) && !self.excluded(b.kind)
                        })
                        .map(|b| b.range.clone()),
                ),
                ScopeKind::Sentence => {
                    for b in doc.blocks().iter().filter(|b| prose(b.kind) && !self.excluded(b.kind)) {
                        sentence_ranges(doc.masked(), b.range.clone(), &mut out);
                    }
                }
                ScopeKind::Heading(_) | ScopeKind::List | ScopeKind::Blockquote | ScopeKind::Code => {
                    out.extend(doc.blocks().iter().filter(|b| kind.matches_block(b.kind)).map(|b| b.range.clone()))
                }
                ScopeKind::Hook => {
                    if let Some(b) = doc.blocks().iter().find(|b| prose(b.kind)) {
                        out.push(b.range.clone());
                    }
                }
                ScopeKind::Line => {
                    for b in doc.blocks().iter().filter(|b| prose(b.kind) && !self.excluded(b.kind)) {
                        let mut start = b.range.start;
                        for (i, c) in doc.masked()[b.range.clone()].char_indices() {
                            if c == '\n' {
                                push_trimmed(doc.masked(), start..b.range.start + i, &mut out);
                                start = b.range.start + i + 1;
                            }
                        }
                        push_trimmed(doc.masked(), start..b.range.end, &mut out);
                    }
                }
            }
        }
        if self.include.len() > 1 {
            out.sort_by_key(|r| (r.start, r.end));
            out.dedup();
        }
        out
    }
}

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if !t.is_empty() {
        out.push(r.start + lead..r.start + lead + t.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(spec: &[&str], t: &str) -> Vec<String> {
        let s = ScopeSpec::parse(&spec.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let d = Document::new(t);
        s.spans(&d).into_iter().map(|r| t[r].to_string()).collect()
    }

    #[test]
    fn scopes_select_blocks() {
        let t = "# Head\n\nOne. Two.\n\n- a item\n\n> quote";
        assert_eq!(texts(&["heading"], t), vec!["Head"]);
        assert_eq!(texts(&["sentence"], t), vec!["One.", "Two.", "a item", "quote"]);
        assert_eq!(texts(&["sentence", "~list"], t), vec!["One.", "Two.", "quote"]);
        assert_eq!(texts(&["paragraph"], t), vec!["One. Two.", "quote"]);
        assert_eq!(texts(&["list"], t), vec!["a item"]);
        assert_eq!(texts(&["hook"], t), vec!["One. Two."]);
        assert_eq!(texts(&["text & ~heading"], t), vec!["One. Two.", "a item", "quote"]);
    }

    #[test]
    fn unknown_scope_is_an_error_but_markup_scopes_load() {
        assert!(ScopeSpec::parse(&["sentance".into()]).is_err());
        let s = ScopeSpec::parse(&["table.cell".into()]).unwrap();
        assert!(s.include.is_empty());
    }
}
