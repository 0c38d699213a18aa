//! `extends: occurrence` — count a pattern per scope against `max`/`min` ("at most 3 hashtags").

use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

/// A compiled occurrence rule.
#[derive(Debug)]
pub(crate) struct Occurrence {
    pattern: Pattern,
    max: usize,
    min: usize,
}

impl Occurrence {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let token =
            f.string("token")?.ok_or_else(|| f.err("an occurrence rule needs 'token': the pattern to count"))?;
        let max = f.number("max")?.unwrap_or(0.0).max(0.0) as usize;
        let min = f.number("min")?.unwrap_or(0.0).max(0.0) as usize;
        if max == 0 && min == 0 {
            return Err(f.err("an occurrence rule needs 'max' or 'min' (a count above zero)"));
        }
        let regex = format!("{}(?:{token})", if f.bool("ignorecase")? { "(?i)" } else { "" });
        Ok(Self { pattern: Pattern::new(&regex).map_err(|e| f.err(e))?, max, min })
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for span in ctx.spans {
            let locs: Vec<_> =
                self.pattern.find_iter(ctx.text, span.clone()).into_iter().filter(|m| !m.is_empty()).collect();
            let n = locs.len();
            let (over, limit) = if self.max > 0 && n > self.max {
                (true, self.max)
            } else if self.min > 0 && n < self.min {
                (false, self.min)
            } else {
                continue;
            };
            // Point at the first occurrence past the limit: that is where the creator has to cut.
            let range = if over {
                let m = locs[self.max].clone();
                super::existence::trimmed(ctx.text, m.clone()).map(|(r, _)| r).unwrap_or(m)
            } else {
                span.start..span.start
            };
            let count = n.to_string();
            let limit = limit.to_string();
            out.push(Hit {
                range,
                message: format_message(&meta.message, &[&count, &limit]),
                suggestion: meta.suggest.clone(),
            });
        }
    }
}
