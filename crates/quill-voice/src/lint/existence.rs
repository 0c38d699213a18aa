//! `extends: existence` — flag every occurrence of a word or pattern ("delve", "game-changer").

use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

/// Vale's word template: whole words only, `^`/`$` per line.
pub(crate) const WORD_TEMPLATE: (&str, &str) = (r"(?m)\b(?:", r")\b");
/// Vale's non-word template: the tokens as written.
pub(crate) const NONWORD_TEMPLATE: (&str, &str) = ("(?m)(?:", ")");

/// A compiled existence rule.
#[derive(Debug)]
pub(crate) struct Existence {
    pattern: Pattern,
    exceptions: Option<Pattern>,
}

impl Existence {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let tokens: Vec<String> = f.strings("tokens")?.into_iter().filter(|t| !t.trim().is_empty()).collect();
        let raw = f.strings("raw")?.concat();
        if tokens.is_empty() && raw.is_empty() {
            return Err(f.err("an existence rule needs 'tokens' (words to flag) or 'raw' (a regular expression)"));
        }
        let (open, close) = if !f.bool("nonword")? && !tokens.is_empty() { WORD_TEMPLATE } else { NONWORD_TEMPLATE };
        let body = if tokens.is_empty() { String::new() } else { format!("{open}{}{close}", tokens.join("|")) };
        let mut regex = if f.bool("append")? { format!("{body}{raw}") } else { format!("{raw}{body}") };
        if f.bool("ignorecase")? {
            regex = format!("(?i){regex}");
        }
        let pattern = Pattern::new(&regex).map_err(|e| f.err(e))?;
        Ok(Self { pattern, exceptions: exceptions(f)? })
    }

    fn excepted(&self, text: &str, span: &std::ops::Range<usize>, m: &std::ops::Range<usize>, observed: &str) -> bool {
        excepted(self.exceptions.as_ref(), text, span, m, observed)
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for span in ctx.spans {
            for m in self.pattern.find_iter(ctx.text, span.clone()) {
                let Some((range, observed)) = trimmed(ctx.text, m) else {
                    continue;
                };
                if self.excepted(ctx.text, span, &range, observed) {
                    continue;
                }
                out.push(Hit {
                    range,
                    message: format_message(&meta.message, &[observed]),
                    suggestion: meta.suggest.clone(),
                });
            }
        }
    }
}

/// Whether a match is excused: it contains an exception, or it sits inside an occurrence of an
/// exception phrase in the text ("of course" inside "of course not"), as Vale 3 does.
pub(crate) fn excepted(
    ex: Option<&Pattern>,
    text: &str,
    span: &std::ops::Range<usize>,
    m: &std::ops::Range<usize>,
    observed: &str,
) -> bool {
    let Some(ex) = ex else { return false };
    ex.is_match(observed) || ex.find_iter(text, span.clone()).iter().any(|e| e.start <= m.start && m.end <= e.end)
}

/// Vale's `exceptions`: a match that contains one of these words is not flagged (case-insensitive
/// when the rule is).
pub(crate) fn exceptions(f: &Fields<'_>) -> Result<Option<Pattern>> {
    let mut ex: Vec<String> = f.strings("exceptions")?.into_iter().filter(|t| !t.is_empty()).collect();
    if ex.is_empty() {
        return Ok(None);
    }
    ex.sort_by_key(|e| std::cmp::Reverse(e.len()));
    let ic = if f.bool("ignorecase")? { "(?i)" } else { "" };
    let regex = format!(r"{ic}(?m)\b(?:{})\b", ex.join("|"));
    Pattern::new(&regex).map(Some).map_err(|e| f.err(format!("in 'exceptions': {e}")))
}

/// The match without surrounding whitespace; `None` for empty matches.
pub(crate) fn trimmed(text: &str, m: std::ops::Range<usize>) -> Option<(std::ops::Range<usize>, &str)> {
    let s = &text[m.clone()];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    Some((m.start + lead..m.start + lead + t.len(), t))
}
