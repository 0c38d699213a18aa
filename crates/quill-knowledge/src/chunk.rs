//! Splitting a document into citable chunks by its structure.
//!
//! Structure first, size second: a heading always starts a new chunk (so a chunk never mixes
//! two sections and its heading path is exact), paragraphs are kept whole when they fit, and
//! only an over-long paragraph is cut — at sentence ends, or at spaces for a run-on sentence.
//! Consecutive chunks inside one section overlap by up to `overlap` tokens of whole sentences,
//! so a fact that straddles a boundary is still retrievable from one chunk.
//!
//! Every chunk is an exact slice of the document text (`text[start..end]`), which is what lets a
//! citation point at a character range a reader can open and check.

/// Counts model tokens, so chunk sizes match what the embedder will actually see.
pub trait TokenCounter {
    /// Token counts of each text (no special tokens).
    fn count_batch(&self, texts: &[&str]) -> Vec<usize>;
}

/// A rough counter (words + punctuation) for tests and for callers without the model.
#[derive(Debug, Default, Clone, Copy)]
pub struct WordCounter;

impl TokenCounter for WordCounter {
    fn count_batch(&self, texts: &[&str]) -> Vec<usize> {
        texts
            .iter()
            .map(|t| {
                t.split(|c: char| c.is_whitespace())
                    .filter(|w| !w.is_empty())
                    .map(|w| 1 + w.chars().filter(|c| c.is_ascii_punctuation()).count())
                    .sum()
            })
            .collect()
    }
}

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Byte offset of the first byte in the document text.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Character (Unicode scalar) offset of the start, for citations.
    pub start_char: usize,
    /// Character offset one past the end.
    pub end_char: usize,
    /// The headings above this chunk, outermost first.
    pub heading_path: Vec<String>,
    /// Tokens in the chunk (sum over its sentences).
    pub tokens: usize,
}

#[derive(Debug, Clone)]
struct Unit {
    start: usize,
    end: usize,
    tokens: usize,
    heading: bool,
    /// First unit of its paragraph: a good place to break.
    para_start: bool,
    /// Index of the paragraph, to size whole paragraphs.
    para: usize,
    /// Index into the heading-path table.
    path: usize,
}

/// Splits `text` into chunks of about `target` tokens.
///
/// `headings` turns on Markdown heading (`#`) and code-fence handling; without it every
/// paragraph is body text.
pub fn chunk(text: &str, headings: bool, target: usize, overlap: usize, counter: &dyn TokenCounter) -> Vec<Chunk> {
    let target = target.max(1);
    let (units, paths) = units(text, headings, target, counter);
    let mut para_tokens: Vec<usize> = Vec::new();
    for u in &units {
        if para_tokens.len() <= u.para {
            para_tokens.resize(u.para + 1, 0);
        }
        para_tokens[u.para] += u.tokens;
    }
    let mut spans: Vec<(usize, usize)> = Vec::new(); // unit index ranges [a, b)
    let (mut a, mut b) = (0usize, 0usize);
    let tokens = |a: usize, b: usize| units[a..b].iter().map(|u| u.tokens).sum::<usize>();
    let has_body = |a: usize, b: usize| units[a..b].iter().any(|u| !u.heading);
    for (i, u) in units.iter().enumerate() {
        debug_assert_eq!(i, b);
        if b > a && has_body(a, b) {
            let cur = tokens(a, b);
            let new_section = u.heading;
            let overflow = cur + u.tokens > target;
            let para_break = u.para_start && cur + para_tokens[u.para] > target && cur * 2 >= target;
            if new_section || overflow || para_break {
                spans.push((a, b));
                a = if new_section { b } else { overlap_start(&units, a, b, overlap, u.tokens, target) };
            }
        }
        b = i + 1;
    }
    if b > a {
        spans.push((a, b));
    }
    let mut out: Vec<Chunk> = spans
        .into_iter()
        .map(|(a, b)| {
            let path_of = units[a..b].iter().find(|u| !u.heading).unwrap_or(&units[b - 1]).path;
            Chunk {
                start: units[a].start,
                end: units[b - 1].end,
                start_char: 0,
                end_char: 0,
                heading_path: paths[path_of].clone(),
                tokens: tokens(a, b),
            }
        })
        .collect();
    fill_char_offsets(text, &mut out);
    out
}

/// Where the next chunk starts so it repeats up to `overlap` tokens of whole body sentences from
/// the end of `[a, b)` and still has room for the next unit. Always `> a`, so chunking advances.
fn overlap_start(units: &[Unit], a: usize, b: usize, overlap: usize, next: usize, target: usize) -> usize {
    let mut s = b;
    let mut sum = 0;
    while s > a + 1 {
        let u = &units[s - 1];
        if u.heading || sum + u.tokens > overlap || sum + u.tokens + next > target {
            break;
        }
        sum += u.tokens;
        s -= 1;
    }
    s
}

/// Sentence-level units with heading paths.
fn units(text: &str, headings: bool, target: usize, counter: &dyn TokenCounter) -> (Vec<Unit>, Vec<Vec<String>>) {
    struct Block {
        start: usize,
        end: usize,
        heading: Option<(usize, String)>,
    }
    // 1. Lines → blocks (headings, paragraphs).
    let mut blocks: Vec<Block> = Vec::new();
    let mut para: Option<(usize, usize)> = None;
    let mut fence: Option<&'static str> = None;
    let mut pos = 0;
    let mut first = true;
    let mut front_matter = false;
    for line in text.split_inclusive('\n') {
        let (ls, le) = (pos, pos + line.trim_end_matches(['\n', '\r']).len());
        pos += line.len();
        let body = &text[ls..le];
        let t = body.trim_start();
        if headings && first && body.trim_end() == "---" {
            front_matter = true;
            first = false;
            continue;
        }
        first = false;
        if front_matter {
            if body.trim_end() == "---" || body.trim_end() == "..." {
                front_matter = false;
            }
            continue;
        }
        if headings {
            if let Some(f) = fence {
                if t.starts_with(f) {
                    fence = None;
                }
                para = Some((para.map_or(ls, |p| p.0), le));
                continue;
            }
            if t.starts_with("```") || t.starts_with("~~~") {
                fence = Some(if t.starts_with("```") { "```" } else { "~~~" });
                para = Some((para.map_or(ls, |p| p.0), le));
                continue;
            }
            if let Some((level, h)) = atx_heading(t) {
                if let Some((s, e)) = para.take() {
                    blocks.push(Block { start: s, end: e, heading: None });
                }
                let lead = body.len() - t.len();
                blocks.push(Block { start: ls + lead, end: le, heading: Some((level, h)) });
                continue;
            }
        }
        if t.trim().is_empty() {
            if let Some((s, e)) = para.take() {
                blocks.push(Block { start: s, end: e, heading: None });
            }
            continue;
        }
        let lead = body.len() - t.len();
        para = Some((para.map_or(ls + lead, |p| p.0), le));
    }
    if let Some((s, e)) = para.take() {
        blocks.push(Block { start: s, end: e, heading: None });
    }
    // Trim trailing whitespace so chunk ends are clean.
    for b in &mut blocks {
        b.end = b.start + text[b.start..b.end].trim_end().len();
    }

    // 2. Paragraph → sentence spans; heading paths.
    let mut paths: Vec<Vec<String>> = vec![Vec::new()];
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut raw: Vec<(usize, usize, bool, usize, usize, bool)> = Vec::new(); // start,end,heading,para,path,para_start
    for (pi, b) in blocks.iter().enumerate() {
        if let Some((level, h)) = &b.heading {
            stack.retain(|(l, _)| l < level);
            stack.push((*level, h.clone()));
            paths.push(stack.iter().map(|(_, h)| h.clone()).collect());
            raw.push((b.start, b.end, true, pi, paths.len() - 1, true));
            continue;
        }
        let path = paths.len() - 1;
        for (k, (s, e)) in sentences(&text[b.start..b.end]).into_iter().enumerate() {
            raw.push((b.start + s, b.start + e, false, pi, path, k == 0));
        }
    }
    let texts: Vec<&str> = raw.iter().map(|r| &text[r.0..r.1]).collect();
    let counts = counter.count_batch(&texts);
    let mut units = Vec::with_capacity(raw.len());
    for (r, n) in raw.into_iter().zip(counts) {
        let (start, end, heading, para, path, para_start) = r;
        if n > target && !heading {
            // A run-on sentence: cut at spaces into pieces that fit.
            let words: Vec<(usize, usize)> = word_spans(&text[start..end]);
            let wtexts: Vec<&str> = words.iter().map(|(s, e)| &text[start + s..start + e]).collect();
            let wcounts = counter.count_batch(&wtexts);
            let (mut ps, mut pt) = (0usize, 0usize);
            for (k, ((ws, we), wc)) in words.iter().zip(wcounts).enumerate() {
                if pt + wc > target && pt > 0 {
                    units.push(Unit {
                        start: start + words[ps].0,
                        end: start + words[k - 1].1,
                        tokens: pt,
                        heading,
                        para_start: para_start && ps == 0,
                        para,
                        path,
                    });
                    ps = k;
                    pt = 0;
                }
                pt += wc;
                let _ = (ws, we);
            }
            if let Some(last) = words.last() {
                units.push(Unit {
                    start: start + words[ps].0,
                    end: start + last.1,
                    tokens: pt,
                    heading,
                    para_start: para_start && ps == 0,
                    para,
                    path,
                });
            }
            continue;
        }
        units.push(Unit { start, end, tokens: n, heading, para_start, para, path });
    }
    (units, paths)
}

/// `## Title ##` → `(2, "Title")`.
fn atx_heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    let h = rest.trim().trim_end_matches('#').trim();
    Some((level, h.to_string()))
}

/// Sentence spans inside a paragraph: cut after `.`, `!`, `?`, `…` (plus closing quotes or
/// brackets) followed by whitespace, and at line breaks before list items.
pub(crate) fn sentences(p: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let bytes = p.as_bytes();
    let mut start = 0;
    let mut i = 0;
    let push = |out: &mut Vec<(usize, usize)>, s: usize, e: usize| {
        let seg = &p[s..e];
        let lead = seg.len() - seg.trim_start().len();
        let trimmed = seg.trim();
        if !trimmed.is_empty() {
            out.push((s + lead, s + lead + trimmed.len()));
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        let term = matches!(c, b'.' | b'!' | b'?') || p[i..].starts_with('…');
        if term {
            let mut j = i + if c < 0x80 { 1 } else { '…'.len_utf8() };
            while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?') {
                j += 1;
            }
            while j < bytes.len() && p[j..].starts_with(['”', '’']) {
                j += 3;
            }
            if j >= bytes.len() || bytes[j].is_ascii_whitespace() {
                push(&mut out, start, j);
                start = j;
                i = j;
                continue;
            }
            i = j;
            continue;
        }
        if c == b'\n' {
            let next = p[i + 1..].trim_start_matches([' ', '\t']);
            if is_list_item(next) {
                push(&mut out, start, i);
                start = i + 1;
            }
        }
        i += 1;
        while i < bytes.len() && !p.is_char_boundary(i) {
            i += 1;
        }
    }
    push(&mut out, start, p.len());
    out
}

fn is_list_item(line: &str) -> bool {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") || line.starts_with("| ") {
        return true;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
}

fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push((st, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

/// Converts byte offsets to character offsets in one pass over the text.
fn fill_char_offsets(text: &str, chunks: &mut [Chunk]) {
    let mut wanted: Vec<usize> = chunks.iter().flat_map(|c| [c.start, c.end]).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let map = byte_to_char(text, &wanted);
    let look = |b: usize| wanted.binary_search(&b).map(|i| map[i]).unwrap_or(0);
    for c in chunks {
        c.start_char = look(c.start);
        c.end_char = look(c.end);
    }
}

/// Character offsets of the sorted byte offsets `sorted` (each on a char boundary).
pub(crate) fn byte_to_char(text: &str, sorted: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut chars = 0;
    let mut last = 0;
    for &b in sorted {
        let b = b.min(text.len());
        chars += text.get(last..b).map_or(0, |s| s.chars().count());
        last = b;
        out.push(chars);
    }
    out
}

/// The slice of `text` between character offsets `[start, end)`.
pub fn slice_chars(text: &str, start: usize, end: usize) -> &str {
    let mut idx = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len()));
    let s = idx.nth(start).unwrap_or(text.len());
    let e = if end > start { idx.nth(end - start - 1).unwrap_or(text.len()) } else { s };
    &text[s..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, cs: &[Chunk]) -> Vec<&'a str> {
        cs.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn headings_start_chunks_and_set_paths() {
        let text = "# Guide\n\nIntro line.\n\n## Pricing\n\nIt costs $490.\n\n### Refunds\n\nFull refund in 14 days.\n\n## Contact\n\nEmail me.\n";
        let cs = chunk(text, true, 200, 20, &WordCounter);
        assert_eq!(
            texts(text, &cs),
            vec![
                "# Guide\n\nIntro line.",
                "## Pricing\n\nIt costs $490.",
                "### Refunds\n\nFull refund in 14 days.",
                "## Contact\n\nEmail me."
            ]
        );
        assert_eq!(cs[0].heading_path, vec!["Guide"]);
        assert_eq!(cs[2].heading_path, vec!["Guide", "Pricing", "Refunds"]);
        assert_eq!(cs[3].heading_path, vec!["Guide", "Contact"]);
    }

    #[test]
    fn heading_without_body_joins_the_next_section() {
        let text = "# Title\n## Sub\nBody text here.\n";
        let cs = chunk(text, true, 200, 0, &WordCounter);
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].heading_path, vec!["Title", "Sub"]);
        assert_eq!(&text[cs[0].start..cs[0].end], "# Title\n## Sub\nBody text here.");
    }

    #[test]
    fn hash_in_code_fence_is_not_a_heading() {
        let text = "# A\n\n```sh\n# comment\nls\n```\n\nAfter.\n";
        let cs = chunk(text, true, 200, 0, &WordCounter);
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].heading_path, vec!["A"]);
    }

    #[test]
    fn long_paragraph_splits_at_sentences_with_overlap() {
        let sent = |i: usize| format!("Sentence number {i} has exactly eight words here.");
        let para: Vec<String> = (0..10).map(sent).collect();
        let text = para.join(" ");
        let cs = chunk(&text, false, 30, 10, &WordCounter);
        assert!(cs.len() >= 3, "{cs:?}");
        for c in &cs {
            assert!(c.tokens <= 30, "{c:?}");
            let s = &text[c.start..c.end];
            assert!(s.starts_with("Sentence") && s.ends_with('.'), "{s}");
        }
        // Overlap: each chunk after the first starts before the previous one ends.
        for w in cs.windows(2) {
            assert!(w[1].start < w[0].end, "{w:?}");
            assert!(w[1].start > w[0].start);
        }
        assert_eq!(cs.last().unwrap().end, text.len());
    }

    #[test]
    fn paragraphs_are_kept_whole_when_they_fit() {
        let p1 = "one two three four five six seven eight nine ten.";
        let p2 = "alpha beta gamma delta epsilon zeta eta theta iota kappa.";
        let text = format!("{p1}\n\n{p2}\n");
        let cs = chunk(&text, false, 15, 5, &WordCounter);
        assert_eq!(texts(&text, &cs), vec![p1, p2]);
    }

    #[test]
    fn run_on_sentence_is_cut_at_spaces() {
        let text = (0..100).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let cs = chunk(&text, false, 16, 4, &WordCounter);
        assert!(cs.iter().all(|c| c.tokens <= 16), "{cs:?}");
        assert_eq!(cs.first().unwrap().start, 0);
        assert_eq!(cs.last().unwrap().end, text.len());
    }

    #[test]
    fn char_offsets_slice_the_text_with_unicode() {
        let text = "# Café ☕\n\nÜber naïve résumé — “quotes”. Second sentence!\n\n## Zweite\n\nEmoji 🚀 text.\n";
        let cs = chunk(text, true, 200, 0, &WordCounter);
        for c in &cs {
            assert_eq!(slice_chars(text, c.start_char, c.end_char), &text[c.start..c.end]);
        }
        assert_eq!(cs[1].heading_path, vec!["Café ☕", "Zweite"]);
    }

    #[test]
    fn sentence_splitter() {
        let p = "Hi there. Is it $4.90? Yes!\n- item one\n- item two";
        let s: Vec<&str> = sentences(p).into_iter().map(|(a, b)| &p[a..b]).collect();
        assert_eq!(s, vec!["Hi there.", "Is it $4.90?", "Yes!", "- item one", "- item two"]);
    }

    #[test]
    fn front_matter_is_skipped() {
        let text = "---\ntitle: X\n---\n# X\n\nBody.\n";
        let cs = chunk(text, true, 200, 0, &WordCounter);
        assert_eq!(texts(text, &cs), vec!["# X\n\nBody."]);
    }
}
