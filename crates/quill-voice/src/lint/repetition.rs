//! `extends: repetition` — flag the same token twice in a row ("the the").

use super::existence::exceptions;
use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

/// A compiled repetition rule.
#[derive(Debug)]
pub(crate) struct Repetition {
    pattern: Pattern,
    max: usize,
    alpha: bool,
    ignorecase: bool,
    exceptions: Option<Pattern>,
}

impl Repetition {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let tokens = f.strings("tokens")?;
        if tokens.is_empty() {
            return Err(f.err(r"a repetition rule needs 'tokens', e.g. ['[^\s]+']"));
        }
        let ignorecase = f.bool("ignorecase")?;
        let regex = format!("{}({})", if ignorecase { "(?i)" } else { "" }, tokens.join("|"));
        Ok(Self {
            pattern: Pattern::new(&regex).map_err(|e| f.err(e))?,
            max: f.number("max")?.unwrap_or(0.0).max(0.0) as usize,
            alpha: f.bool("alpha")?,
            ignorecase,
            exceptions: exceptions(f)?,
        })
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for span in ctx.spans {
            let mut prev: Option<(std::ops::Range<usize>, &str)> = None;
            let mut count = 0usize;
            for m in self.pattern.find_iter(ctx.text, span.clone()) {
                let curr = ctx.text[m.clone()].trim();
                let hit = match &prev {
                    Some((_, p)) if !curr.is_empty() => {
                        let same = if self.ignorecase { p.to_lowercase() == curr.to_lowercase() } else { *p == curr };
                        same && (!self.alpha || curr.chars().all(char::is_alphabetic))
                    }
                    _ => false,
                };
                if hit {
                    count += 1;
                }
                if hit
                    && count > self.max
                    && let Some((ploc, _)) = &prev
                {
                    let between = &ctx.text[ploc.end..m.start];
                    // "That is important. That is…" spans two sentences: not a typo.
                    let both = &ctx.text[ploc.start..m.end];
                    if !between.contains(['.', '!', '?', '\n'])
                        && !self.exceptions.as_ref().is_some_and(|e| e.is_match(both))
                    {
                        out.push(Hit {
                            range: ploc.start..m.end,
                            message: format_message(&meta.message, &[curr]),
                            suggestion: meta.suggest.clone().or_else(|| Some(curr.to_string())),
                        });
                        count = 0;
                    }
                }
                prev = Some((m, curr));
            }
        }
    }
}
