//! `extends: conditional` — if `first` appears, `second` must too (e.g. an acronym must be
//! defined, "World Health Organization (WHO)", before "WHO" is used alone).

use std::collections::HashSet;

use super::existence::exceptions;
use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

/// A compiled conditional rule.
#[derive(Debug)]
pub(crate) struct Conditional {
    first: Pattern,
    second: Pattern,
    second_has_group: bool,
    exceptions: Option<Pattern>,
}

impl Conditional {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let first =
            f.string("first")?.ok_or_else(|| f.err("a conditional rule needs 'first' (the antecedent pattern)"))?;
        let second =
            f.string("second")?.ok_or_else(|| f.err("a conditional rule needs 'second' (the consequent pattern)"))?;
        let ic = if f.bool("ignorecase")? { "(?i)" } else { "" };
        let opens = second.matches('(').count();
        let second_has_group = opens > second.matches("(?").count() + second.matches(r"\(").count();
        Ok(Self {
            first: Pattern::new(&format!("{ic}{first}")).map_err(|e| f.err(format!("in 'first': {e}")))?,
            second: Pattern::new(&format!("{ic}{second}")).map_err(|e| f.err(format!("in 'second': {e}")))?,
            second_has_group,
            exceptions: exceptions(f)?,
        })
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        // Definitions seen so far in the file: a use is fine once it has been defined above it.
        let mut defined: HashSet<String> = HashSet::new();
        for span in ctx.spans {
            let block = &ctx.text[span.clone()];
            if !self.first.is_match(block) {
                if self.second_has_group {
                    self.collect(ctx, span.clone(), &mut defined);
                }
                continue;
            }
            if !self.second_has_group {
                if self.second.is_match(block) {
                    continue;
                }
            } else {
                self.collect(ctx, span.clone(), &mut defined);
            }
            for m in self.first.find_iter(ctx.text, span.clone()) {
                let s = &ctx.text[m.clone()];
                if s.is_empty()
                    || (self.second_has_group && defined.contains(s))
                    || self.exceptions.as_ref().is_some_and(|e| e.is_match(s))
                {
                    continue;
                }
                out.push(Hit {
                    range: m.clone(),
                    message: format_message(&meta.message, &[s]),
                    suggestion: meta.suggest.clone(),
                });
            }
        }
    }

    fn collect(&self, ctx: &RunCtx<'_, '_>, span: std::ops::Range<usize>, defined: &mut HashSet<String>) {
        for groups in self.second.captures_iter(ctx.text, span) {
            for g in groups.iter().skip(1).flatten() {
                if !g.is_empty() {
                    defined.insert(ctx.text[g.clone()].to_string());
                }
            }
        }
    }
}
