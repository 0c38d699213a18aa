//! `extends: capitalization` — check the case of headings or other scopes ($title, $sentence,
//! $lower, $upper or a pattern).

use super::existence::exceptions;
use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

#[derive(Debug)]
enum Style {
    Title { chicago: bool },
    Sentence,
    Lower,
    Upper,
    Regex(Pattern),
}

/// A compiled capitalization rule.
#[derive(Debug)]
pub(crate) struct Capitalization {
    style: Style,
    exceptions: Option<Pattern>,
    indicators: Vec<String>,
    threshold: f64,
}

const AP_SMALL: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "en", "for", "if", "in", "nor", "of", "on", "or", "per", "the", "to",
    "v", "vs", "via", "up", "yet", "so",
];
const CHICAGO_EXTRA: &[&str] = &[
    "about", "above", "across", "after", "against", "along", "among", "around", "before", "behind", "below", "beneath",
    "beside", "between", "beyond", "during", "except", "from", "inside", "into", "like", "near", "off", "onto", "out",
    "outside", "over", "past", "since", "through", "toward", "towards", "under", "until", "upon", "with", "within",
    "without",
];

impl Capitalization {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let m = f.string("match")?.ok_or_else(|| {
            f.err("a capitalization rule needs 'match': $title, $sentence, $lower, $upper or a pattern")
        })?;
        let style = match m.as_str() {
            "$title" => Style::Title { chicago: f.string("style")?.is_some_and(|s| s.eq_ignore_ascii_case("chicago")) },
            "$sentence" => Style::Sentence,
            "$lower" => Style::Lower,
            "$upper" => Style::Upper,
            other => Style::Regex(Pattern::new(other).map_err(|e| f.err(e))?),
        };
        let threshold = f.number("threshold")?.filter(|t| *t > 0.0).unwrap_or(0.8);
        Ok(Self { style, exceptions: exceptions(f)?, indicators: f.strings("indicators")?, threshold })
    }

    fn excepted(&self, w: &str) -> bool {
        self.exceptions.as_ref().is_some_and(|e| e.is_match(w))
    }

    fn ok(&self, s: &str) -> bool {
        let s = s.trim();
        match &self.style {
            Style::Lower => s == s.to_lowercase() || self.excepted(s),
            Style::Upper => s == s.to_uppercase() || self.excepted(s),
            Style::Regex(p) => p.is_match(s) || self.excepted(s),
            Style::Title { chicago } => self.title(s, *chicago),
            Style::Sentence => self.sentence(s),
        }
    }

    fn title(&self, s: &str, chicago: bool) -> bool {
        let words: Vec<&str> = s.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).collect();
        if words.is_empty() {
            return true;
        }
        let last = words.len() - 1;
        let mut good = 0.0;
        for (i, w) in words.iter().enumerate() {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            let lower = core.to_lowercase();
            let small = AP_SMALL.contains(&lower.as_str()) || (chicago && CHICAGO_EXTRA.contains(&lower.as_str()));
            let first_upper = core.chars().next().is_some_and(|c| !c.is_lowercase());
            let expected_upper = i == 0 || i == last || !small;
            if self.excepted(core) || core == core.to_uppercase() || first_upper == expected_upper {
                good += 1.0;
            }
        }
        good / words.len() as f64 > self.threshold
    }

    fn sentence(&self, s: &str) -> bool {
        let words: Vec<&str> = s.trim_end_matches(['?', '!', '.', ':']).split_whitespace().collect();
        if words.is_empty() {
            return true;
        }
        let mut good = 0.0;
        for (i, raw) in words.iter().enumerate() {
            let w = raw.split(['-', '\'', '’']).next().unwrap_or(raw);
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            let prev = if i > 0 { words[i - 1] } else { "" };
            if w.is_empty()
                || w == w.to_uppercase()
                || self.excepted(w)
                || self.indicators.iter().any(|ind| prev.ends_with(ind.as_str()))
            {
                good += 1.0;
            } else if i == 0 {
                if w.chars().next().is_some_and(char::is_lowercase) || w.chars().skip(1).any(char::is_uppercase) {
                    return false;
                }
                good += 1.0;
            } else if w == w.to_lowercase() {
                good += 1.0;
            }
        }
        good / words.len() as f64 > self.threshold
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for span in ctx.spans {
            let s = &ctx.text[span.clone()];
            if s.trim().is_empty() || self.ok(s) {
                continue;
            }
            out.push(Hit {
                range: span.clone(),
                message: format_message(&meta.message, &[s.trim()]),
                suggestion: meta.suggest.clone(),
            });
        }
    }
}
