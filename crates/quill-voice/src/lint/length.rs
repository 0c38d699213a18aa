//! `extends: length` — Quill's own rule type for platform limits: count characters (or X's
//! weighted characters, words, lines, sentences) in a scope against `max`/`min`.
//!
//! Vale has no such extension point (its `metric` reports a number but cannot point at where
//! the text overflows); a creator needs to see *where* X would cut the post.

use super::rule::{Fields, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;
use crate::text::{sentence_ranges, word_ranges};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Characters,
    /// X (Twitter) weighting: URLs count 23, CJK and emoji count 2.
    XCharacters,
    Words,
    Lines,
    Sentences,
}

/// A compiled length rule.
#[derive(Debug)]
pub(crate) struct Length {
    unit: Unit,
    max: Option<usize>,
    min: Option<usize>,
}

impl Length {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let unit = match f.string("unit")?.as_deref().unwrap_or("characters") {
            "characters" | "chars" => Unit::Characters,
            "x" | "x_characters" | "twitter" => Unit::XCharacters,
            "words" => Unit::Words,
            "lines" => Unit::Lines,
            "sentences" => Unit::Sentences,
            other => {
                return Err(
                    f.err(format!("unknown 'unit: {other}'; use characters, x_characters, words, lines or sentences"))
                );
            }
        };
        let max = f.number("max")?.map(|n| n.max(0.0) as usize);
        let min = f.number("min")?.map(|n| n.max(0.0) as usize);
        if max.is_none() && min.is_none() {
            return Err(f.err("a length rule needs 'max' or 'min'"));
        }
        Ok(Self { unit, max, min })
    }

    /// Positions (byte offsets) at which each counted unit ends, in order.
    fn unit_ends(&self, text: &str, span: std::ops::Range<usize>) -> Vec<usize> {
        let s = &text[span.clone()];
        let base = span.start;
        match self.unit {
            Unit::Characters => s.char_indices().map(|(i, c)| base + i + c.len_utf8()).collect(),
            Unit::XCharacters => x_weighted_ends(s).into_iter().map(|e| base + e).collect(),
            Unit::Words => word_ranges(s).into_iter().map(|r| base + r.end).collect(),
            Unit::Lines => {
                let mut ends = Vec::new();
                let mut start = 0;
                for (i, c) in s.char_indices() {
                    if c == '\n' {
                        if !s[start..i].trim().is_empty() {
                            ends.push(base + i);
                        }
                        start = i + 1;
                    }
                }
                if !s[start..].trim().is_empty() {
                    ends.push(base + s.len());
                }
                ends
            }
            Unit::Sentences => {
                let mut out = Vec::new();
                sentence_ranges(text, span, &mut out);
                out.into_iter().map(|r| r.end).collect()
            }
        }
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for span in ctx.spans {
            let ends = self.unit_ends(ctx.text, span.clone());
            let n = ends.len();
            if let Some(max) = self.max
                && n > max
            {
                // Highlight what falls past the limit, starting where the platform would cut.
                let cut = if max == 0 { span.start } else { ends[max - 1] };
                let cut = skip_ws(ctx.text, cut, span.end);
                out.push(Hit {
                    range: cut..span.end,
                    message: format_message(&meta.message, &[&n.to_string(), &max.to_string()]),
                    suggestion: meta.suggest.clone(),
                });
            } else if let Some(min) = self.min
                && n < min
            {
                out.push(Hit {
                    range: span.start..span.start,
                    message: format_message(&meta.message, &[&n.to_string(), &min.to_string()]),
                    suggestion: meta.suggest.clone(),
                });
            }
        }
    }
}

fn skip_ws(text: &str, mut i: usize, end: usize) -> usize {
    while i < end {
        match text[i..].chars().next() {
            Some(c) if c.is_whitespace() => i += c.len_utf8(),
            _ => break,
        }
    }
    i
}

/// Where each weighted unit ends, counting the way X does: a URL is 23 units, characters outside
/// Latin/punctuation ranges (CJK, emoji) are 2, joiners and variation selectors are free.
fn x_weighted_ends(s: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if at_word_start && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            for _ in 0..23 {
                ends.push(i + len);
            }
            i += len;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        let cp = c as u32;
        let weight = if matches!(cp, 0x200D | 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF) {
            0
        } else if cp <= 0x10FF
            || (0x2000..=0x200D).contains(&cp)
            || (0x2010..=0x201F).contains(&cp)
            || (0x2032..=0x2037).contains(&cp)
        {
            1
        } else {
            2 // emoji, CJK and everything else X weighs double
        };
        for _ in 0..weight {
            ends.push(i + c.len_utf8());
        }
        i += c.len_utf8();
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_weighting() {
        assert_eq!(x_weighted_ends("abc").len(), 3);
        assert_eq!(x_weighted_ends("see https://example.com/a/very/long/path ok").len(), 4 + 23 + 3);
        assert_eq!(x_weighted_ends("🚀").len(), 2);
        assert_eq!(x_weighted_ends("日本").len(), 4);
    }
}
