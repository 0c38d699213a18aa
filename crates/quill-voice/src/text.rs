//! Plain-text analysis shared by the linter and the voice measurements: Markdown-aware blocks,
//! sentences, words, emoji and syllables.
//!
//! Posts are written in a loose Markdown (line breaks matter, lists are `-` or emoji bullets), so
//! the parser here is deliberately small: it finds fenced code, headings, list items, block quotes
//! and paragraphs line by line, and *masks* what a prose rule must never see (code, URLs, HTML
//! comments, Markdown markers) by overwriting it with spaces. Masking keeps every byte offset of
//! the original text valid, so a match found in the masked copy maps straight back to a line and
//! column in the file the creator is editing.

use std::ops::Range;

/// What kind of Markdown block a span of text is; rules can be scoped to one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Running text, separated from the next block by a blank line.
    Paragraph,
    /// `#` … `######` heading, with its level.
    Heading(u8),
    /// One `-`, `*`, `+`, `•` or `1.` list item.
    ListItem,
    /// `>` quoted lines.
    Blockquote,
    /// Fenced code (never linted except by `raw`/`code` rules).
    Code,
}

/// One block: its kind and its byte range in the text (markers excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The kind of block.
    pub kind: BlockKind,
    /// Byte range of the block's content.
    pub range: Range<usize>,
}

/// A text prepared for linting: the original, a masked copy with identical byte offsets, the
/// blocks and the line index.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    text: &'a str,
    masked: String,
    line_starts: Vec<usize>,
    blocks: Vec<Block>,
}

impl<'a> Document<'a> {
    /// Parses `text` once; every rule then reads the same blocks.
    pub fn new(text: &'a str) -> Self {
        let mut mask = vec![false; text.len()];
        let mut blocks: Vec<Block> = Vec::new();
        let mut line_starts = vec![0usize];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        let mut fence: Option<(u8, usize, usize)> = None; // (char, count, block start)
        let mut para: Option<(BlockKind, usize, usize)> = None; // open paragraph/quote: kind, start, end
        let mut front_matter = text.starts_with("---\n") || text.starts_with("---\r\n");
        let flush = |para: &mut Option<(BlockKind, usize, usize)>, blocks: &mut Vec<Block>| {
            if let Some((kind, s, e)) = para.take()
                && e > s
            {
                blocks.push(Block { kind, range: s..e });
            }
        };
        for (li, &start) in line_starts.iter().enumerate() {
            let end_nl = line_starts.get(li + 1).copied().unwrap_or(text.len());
            let mut end = end_nl;
            while end > start && matches!(text.as_bytes()[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            let line = &text[start..end];
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if front_matter {
                mask_range(&mut mask, start..end);
                if li > 0 && line.trim_end() == "---" {
                    front_matter = false;
                }
                continue;
            }
            if let Some((ch, count, bstart)) = fence {
                mask_range(&mut mask, start..end);
                let t = trimmed.trim_end();
                if t.len() >= count && t.bytes().all(|b| b == ch) {
                    blocks.push(Block { kind: BlockKind::Code, range: bstart..end });
                    fence = None;
                }
                continue;
            }
            if let Some((ch, count)) = fence_open(trimmed) {
                flush(&mut para, &mut blocks);
                mask_range(&mut mask, start..end);
                fence = Some((ch, count, start));
                continue;
            }
            if trimmed.is_empty() {
                flush(&mut para, &mut blocks);
                continue;
            }
            if let Some(level) = heading_level(trimmed) {
                flush(&mut para, &mut blocks);
                let marker = indent + level as usize;
                mask_range(&mut mask, start..start + marker);
                let content_start = skip_spaces(text, start + marker, end);
                let mut content_end = end;
                // closing #s
                let body = text[content_start..end].trim_end();
                let stripped = body.trim_end_matches('#');
                if stripped.len() < body.len() && (stripped.is_empty() || stripped.ends_with(' ')) {
                    content_end = content_start + stripped.trim_end().len();
                    mask_range(&mut mask, content_end..end);
                }
                blocks.push(Block {
                    kind: BlockKind::Heading(level),
                    range: content_start..content_end.max(content_start),
                });
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('>') {
                let marker = indent + 1 + (rest.len() - rest.trim_start().len());
                mask_range(&mut mask, start..start + marker);
                match &mut para {
                    Some((BlockKind::Blockquote, _, e)) => *e = end,
                    _ => {
                        flush(&mut para, &mut blocks);
                        para = Some((BlockKind::Blockquote, start + marker, end));
                    }
                }
                continue;
            }
            if let Some(marker) = list_marker(trimmed) {
                flush(&mut para, &mut blocks);
                let m = indent + marker;
                mask_range(&mut mask, start..start + m);
                blocks.push(Block { kind: BlockKind::ListItem, range: start + m..end });
                continue;
            }
            match &mut para {
                Some((BlockKind::Paragraph, _, e)) => *e = end,
                _ => {
                    flush(&mut para, &mut blocks);
                    para = Some((BlockKind::Paragraph, start + indent, end));
                }
            }
        }
        flush(&mut para, &mut blocks);
        if let Some((_, _, bstart)) = fence {
            blocks.push(Block { kind: BlockKind::Code, range: bstart..text.len() });
        }
        mask_inline(text, &mut mask);
        let mut bytes = text.as_bytes().to_vec();
        for (i, m) in mask.iter().enumerate() {
            if *m && bytes[i] != b'\n' {
                bytes[i] = b' ';
            }
        }
        // Masking only ever replaces whole characters (every masked range starts and ends on a
        // character boundary), so the bytes stay valid UTF-8; the fallback never runs.
        let masked = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Self { text, masked, line_starts, blocks }
    }

    /// The original text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The text with code, URLs, comments and Markdown markers blanked out (same byte offsets).
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The 1-based line and 1-based column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    /// The sentences of every prose block (not headings, not code), as byte ranges.
    pub fn sentences(&self) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for b in &self.blocks {
            if matches!(b.kind, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Blockquote) {
                sentence_ranges(&self.masked, b.range.clone(), &mut out);
            }
        }
        out
    }
}

/// Splits YAML front matter (`---` … `---` at the very top) from a Markdown file: returns the
/// front matter's text (without fences) and the body. Files without front matter return
/// `(None, text)`.
pub fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let rest = match text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) {
        Some(r) => r,
        None => return (None, text),
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let body = &rest[offset + line.len()..];
            return (Some(&rest[..offset]), body.trim_start_matches(['\n', '\r']));
        }
        offset += line.len();
    }
    (None, text)
}

fn mask_range(mask: &mut [bool], r: Range<usize>) {
    for m in &mut mask[r] {
        *m = true;
    }
}

fn skip_spaces(text: &str, mut i: usize, end: usize) -> usize {
    while i < end && matches!(text.as_bytes()[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

fn fence_open(trimmed: &str) -> Option<(u8, usize)> {
    for ch in [b'`', b'~'] {
        let count = trimmed.bytes().take_while(|&b| b == ch).count();
        if count >= 3 {
            return Some((ch, count));
        }
    }
    None
}

fn heading_level(trimmed: &str) -> Option<u8> {
    let n = trimmed.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&n) {
        let rest = &trimmed[n..];
        if rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t') {
            return Some(n as u8);
        }
    }
    None
}

/// Length in bytes of a list marker and the spaces after it, if the line is a list item.
fn list_marker(trimmed: &str) -> Option<usize> {
    let mut chars = trimmed.char_indices();
    let (_, c) = chars.next()?;
    let after = if matches!(c, '-' | '*' | '+' | '•') {
        c.len_utf8()
    } else if c.is_ascii_digit() {
        let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 3 {
            return None;
        }
        match trimmed.as_bytes().get(digits) {
            Some(b'.') | Some(b')') => digits + 1,
            _ => return None,
        }
    } else {
        return None;
    };
    let rest = &trimmed[after..];
    if !rest.starts_with(' ') && !rest.starts_with('\t') {
        return None;
    }
    // "---" and "***" are rules, not lists; "- " followed by nothing is still a (blank) item.
    Some(after + (rest.len() - rest.trim_start().len()))
}

/// Blanks inline code, URLs, Markdown link targets and HTML comments.
fn mask_inline(text: &str, mask: &mut [bool]) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if mask[i] {
            i += 1;
            continue;
        }
        let b = bytes[i];
        if !b.is_ascii() {
            // Every marker below is ASCII; a non-ASCII byte is never one (and slicing there could
            // split a character).
            i += 1;
            continue;
        }
        if b == b'`' {
            let run = bytes[i..].iter().take_while(|&&c| c == b'`').count();
            let close = find_run(bytes, i + run, run);
            if let Some(j) = close
                && (!bytes[i..j].contains(&b'\n') || bytes[i..j].windows(2).all(|w| w != b"\n\n"))
            {
                mask_range(mask, i..j + run);
                i = j + run;
                continue;
            }
            i += run;
            continue;
        }
        if text[i..].starts_with("<!--") {
            let end = text[i..].find("-->").map(|j| i + j + 3).unwrap_or(text.len());
            mask_range(mask, i..end);
            i = end;
            continue;
        }
        if b == b']'
            && bytes.get(i + 1) == Some(&b'(')
            && let Some(j) = text[i + 2..].find(')')
            && !text[i..i + 2 + j + 1].contains('\n')
        {
            let end = i + 2 + j + 1;
            mask_range(mask, i + 1..end);
            i = end;
            continue;
        }
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric());
        if word_start
            && (text[i..].starts_with("http://") || text[i..].starts_with("https://") || text[i..].starts_with("www."))
        {
            let mut end = i;
            for (k, c) in text[i..].char_indices() {
                if c.is_whitespace() || matches!(c, '<' | '>' | '"') {
                    break;
                }
                end = i + k + c.len_utf8();
            }
            // trailing punctuation belongs to the sentence
            while end > i && matches!(bytes[end - 1], b'.' | b',' | b')' | b';' | b':' | b'!' | b'?') {
                end -= 1;
            }
            mask_range(mask, i..end);
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
}

fn find_run(bytes: &[u8], from: usize, run: usize) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == b'`' {
            let r = bytes[j..].iter().take_while(|&&c| c == b'`').count();
            if r == run {
                return Some(j);
            }
            j += r;
        } else {
            j += 1;
        }
    }
    None
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "eg", "ie", "inc", "ltd", "co", "no",
    "approx", "fig", "al", "u.s", "a.m", "p.m",
];

/// Splits `text[range]` into sentences and appends their trimmed byte ranges to `out`.
///
/// A line break ends a sentence unless the next line continues in lower case (posts use line
/// breaks as sentence breaks; Markdown hard-wraps lines mid-sentence); otherwise
/// `.`, `!`, `?` or `…` followed by space and a non-lowercase letter does, unless the word before
/// the full stop is a common abbreviation.
pub fn sentence_ranges(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let s = &text[range.clone()];
    let base = range.start;
    let mut start = 0usize;
    let mut iter = s.char_indices().peekable();
    let push = |a: usize, b: usize, out: &mut Vec<Range<usize>>| {
        let piece = &s[a..b];
        let lead = piece.len() - piece.trim_start().len();
        let t = piece.trim();
        if t.chars().any(|c| c.is_alphanumeric() || is_emoji(c)) {
            out.push(base + a + lead..base + a + lead + t.len());
        }
    };
    while let Some((i, c)) = iter.next() {
        if c == '\n' {
            // A line break ends a sentence in a post ("I quit.\nNot my job."), but a hard-wrapped
            // Markdown line that continues in lower case does not.
            let next = s[i + 1..].trim_start_matches([' ', '\t']).chars().next();
            if next.is_some_and(char::is_lowercase) {
                continue;
            }
            push(start, i, out);
            start = i + 1;
            continue;
        }
        if matches!(c, '.' | '!' | '?' | '…') {
            // absorb runs of terminal punctuation and closing quotes/brackets
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = iter.peek() {
                if matches!(d, '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | ')' | ']' | '*' | '_') {
                    end = j + d.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            let next = iter.peek().map(|&(_, d)| d);
            match next {
                None => {}
                Some(d) if d == ' ' || d == '\t' => {
                    // look at the first non-space char after
                    let rest = &s[end..];
                    let first = rest.trim_start_matches([' ', '\t']).chars().next();
                    if let Some(f) = first
                        && f.is_lowercase()
                    {
                        continue;
                    }
                    if c == '.' && is_abbreviation(&s[start..i]) {
                        continue;
                    }
                    push(start, end, out);
                    start = end;
                }
                Some(_) => continue,
            }
        }
    }
    if start < s.len() {
        push(start, s.len(), out);
    }
}

fn is_abbreviation(before: &str) -> bool {
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let w = word.to_lowercase();
    if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
        return true; // initials: "J. Smith"
    }
    ABBREVIATIONS.contains(&w.as_str())
}

/// Whether `c` is an emoji (pictographs, symbols, dingbats, flags).
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1F5FF | 0x1F600..=0x1F64F | 0x1F680..=0x1F6FF | 0x1F700..=0x1F77F | 0x1F900..=0x1F9FF
        | 0x1FA70..=0x1FAFF | 0x2600..=0x26FF | 0x2700..=0x27BF | 0x1F1E6..=0x1F1FF | 0x2B50 | 0x2B55
        | 0x2934 | 0x2935 | 0x2B05..=0x2B07 | 0x1F004 | 0x1F0CF | 0x1F18E | 0x1F191..=0x1F19A | 0x203C | 0x2049
        | 0x2122 | 0x2139 | 0x231A | 0x231B | 0x23E9..=0x23F3 | 0x23F8..=0x23FA)
}

/// Byte ranges of the words in `text`: letters and digits, with inner apostrophes and hyphens.
pub fn word_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_end = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            last_end = i + c.len_utf8();
        } else if start.is_some()
            && matches!(c, '\'' | '’' | '-')
            && chars.peek().is_some_and(|&(_, d)| d.is_alphanumeric())
        {
            // inner joiner: keep going
        } else if let Some(s) = start.take() {
            out.push(s..last_end);
        }
    }
    if let Some(s) = start {
        out.push(s..last_end);
    }
    out
}

/// Lower-cased words with typographic apostrophes folded to `'`.
pub fn words_lower(text: &str) -> Vec<String> {
    word_ranges(text).into_iter().map(|r| normalize_word(&text[r])).collect()
}

/// Lower-cases a word and folds `’` to `'`, so "Don’t" and "don't" count as one word.
pub fn normalize_word(w: &str) -> String {
    let mut s = w.to_lowercase();
    if s.contains('’') {
        s = s.replace('’', "'");
    }
    s
}

/// Estimated syllables in an English word (vowel groups, silent final e), at least one.
pub fn syllables(word: &str) -> usize {
    let w: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    if w.is_empty() {
        return 0;
    }
    if w.len() <= 3 {
        return 1;
    }
    let is_v = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut count = 0;
    let mut prev = false;
    for &c in &w {
        let v = is_v(c);
        if v && !prev {
            count += 1;
        }
        prev = v;
    }
    let n = w.len();
    if w[n - 1] == 'e' && !(n >= 3 && w[n - 2] == 'l' && !is_v(w[n - 3])) && count > 1 {
        count -= 1;
    }
    if n > 2 && w[n - 2] == 'e' && w[n - 1] == 'd' && !matches!(w[n - 3], 't' | 'd') && count > 1 {
        count -= 1;
    }
    count.max(1)
}

/// Counts used by readability formulas, computed the way Vale's `summarize` package does.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct TextCounts {
    /// Words.
    pub words: f64,
    /// Sentences (at least 1 when there are words).
    pub sentences: f64,
    /// Syllables.
    pub syllables: f64,
    /// Letters and digits.
    pub characters: f64,
    /// Words of 3+ syllables (not counting common suffixes), for Gunning Fog.
    pub complex_words: f64,
    /// Words of 7+ characters.
    pub long_words: f64,
    /// Words of 3+ syllables, for SMOG.
    pub polysyllabic_words: f64,
    /// Paragraphs.
    pub paragraphs: f64,
}

impl TextCounts {
    /// Counts over the prose of a document (headings and code left out).
    pub fn of(doc: &Document<'_>) -> Self {
        let mut c = TextCounts::default();
        let masked = doc.masked();
        for b in doc.blocks() {
            if !matches!(b.kind, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Blockquote) {
                continue;
            }
            c.paragraphs += 1.0;
            c.add_words(&masked[b.range.clone()]);
        }
        c.sentences = doc.sentences().len() as f64;
        if c.words > 0.0 && c.sentences == 0.0 {
            c.sentences = 1.0;
        }
        c
    }

    fn add_words(&mut self, s: &str) {
        for r in word_ranges(s) {
            let w = &s[r];
            let syl = syllables(w);
            self.words += 1.0;
            self.syllables += syl as f64;
            self.characters += w.chars().filter(|c| c.is_alphanumeric()).count() as f64;
            if syl >= 3 {
                self.polysyllabic_words += 1.0;
                let lw = w.to_lowercase();
                if !(lw.ends_with("es") || lw.ends_with("ed") || lw.ends_with("ing") || w.contains('-')) {
                    self.complex_words += 1.0;
                }
            }
            if w.chars().count() >= 7 {
                self.long_words += 1.0;
            }
        }
    }

    /// Flesch–Kincaid grade level.
    pub fn flesch_kincaid(&self) -> f64 {
        if self.words == 0.0 {
            return 0.0;
        }
        0.39 * (self.words / self.sentences) + 11.8 * (self.syllables / self.words) - 15.59
    }

    /// Gunning Fog index.
    pub fn gunning_fog(&self) -> f64 {
        if self.words == 0.0 {
            return 0.0;
        }
        0.4 * ((self.words / self.sentences) + 100.0 * (self.complex_words / self.words))
    }

    /// Coleman–Liau index.
    pub fn coleman_liau(&self) -> f64 {
        if self.words == 0.0 {
            return 0.0;
        }
        let l = self.characters / self.words * 100.0;
        let s = self.sentences / self.words * 100.0;
        0.0588 * l - 0.296 * s - 15.8
    }

    /// SMOG grade.
    pub fn smog(&self) -> f64 {
        if self.words == 0.0 {
            return 0.0;
        }
        1.0430 * (self.polysyllabic_words * 30.0 / self.sentences).sqrt() + 3.1291
    }

    /// Automated Readability Index.
    pub fn automated_readability(&self) -> f64 {
        if self.words == 0.0 {
            return 0.0;
        }
        4.71 * (self.characters / self.words) + 0.5 * (self.words / self.sentences) - 21.43
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(t: &str) -> Vec<&str> {
        let d = Document::new(t);
        d.sentences().into_iter().map(|r| &t[r]).collect()
    }

    #[test]
    fn blocks_and_masking() {
        let t = "# Title here\n\nFirst para line one.\nline two `code x`.\n\n- item one\n- item two\n\n```\nlet x = delve;\n```\n> quoted\nSee https://x.com/delve now.";
        let d = Document::new(t);
        let kinds: Vec<_> = d.blocks().iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            vec![
                BlockKind::Heading(1),
                BlockKind::Paragraph,
                BlockKind::ListItem,
                BlockKind::ListItem,
                BlockKind::Code,
                BlockKind::Blockquote,
                BlockKind::Paragraph
            ]
        );
        assert_eq!(&t[d.blocks()[0].range.clone()], "Title here");
        assert!(!d.masked().contains("delve"));
        assert!(!d.masked().contains("code x"));
        assert_eq!(d.masked().len(), t.len());
        assert_eq!(&t[d.blocks()[2].range.clone()], "item one");
    }

    #[test]
    fn sentences_split_on_lines_and_stops() {
        assert_eq!(sents("One two. Three four!\nFive six"), vec!["One two.", "Three four!", "Five six"]);
        assert_eq!(sents("Ask Dr. Smith. Then e.g. this works."), vec!["Ask Dr. Smith.", "Then e.g. this works."]);
        assert_eq!(
            sents("The budget was spent\nby an agency. Fine."),
            vec!["The budget was spent\nby an agency.", "Fine."]
        );
        assert_eq!(sents("It was 3.5 times bigger. Yes."), vec!["It was 3.5 times bigger.", "Yes."]);
    }

    #[test]
    fn words_and_syllables() {
        assert_eq!(words_lower("Don’t re-use it, OK?"), vec!["don't", "re-use", "it", "ok"]);
        assert_eq!(syllables("the"), 1);
        assert_eq!(syllables("table"), 2);
        assert_eq!(syllables("beautiful"), 3);
    }

    #[test]
    fn front_matter_splits() {
        assert_eq!(split_front_matter("---\nkind: post\n---\n\nHello"), (Some("kind: post\n"), "Hello"));
        assert_eq!(split_front_matter("Hello\n---\n"), (None, "Hello\n---\n"));
    }

    #[test]
    fn line_col_counts_chars() {
        let d = Document::new("ab\nçé delve");
        let off = "ab\nçé ".len();
        assert_eq!(d.line_col(off), (2, 4));
    }
}
