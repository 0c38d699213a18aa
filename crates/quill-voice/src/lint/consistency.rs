//! `extends: consistency` — of two spellings (`either: {advisor: adviser}`), use one per file.

use super::existence::{NONWORD_TEMPLATE, WORD_TEMPLATE, trimmed};
use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

/// A compiled consistency rule.
#[derive(Debug)]
pub(crate) struct Consistency {
    pairs: Vec<(Pattern, Pattern)>,
}

impl Consistency {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let either = f.pairs("either")?;
        if either.is_empty() {
            return Err(f.err("a consistency rule needs 'either': a mapping of `one spelling: the other`"));
        }
        let (open, close) = if f.bool("nonword")? { NONWORD_TEMPLATE } else { WORD_TEMPLATE };
        let ic = if f.bool("ignorecase")? { "(?i)" } else { "" };
        let mut pairs = Vec::new();
        for (a, b) in either {
            let pa = Pattern::new(&format!("{ic}{open}{a}{close}")).map_err(|e| f.err(e))?;
            let pb = Pattern::new(&format!("{ic}{open}{b}{close}")).map_err(|e| f.err(e))?;
            pairs.push((pa, pb));
        }
        Ok(Self { pairs })
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for (a, b) in &self.pairs {
            let find = |p: &Pattern| -> Vec<std::ops::Range<usize>> {
                ctx.spans.iter().flat_map(|s| p.find_iter(ctx.text, s.clone())).collect()
            };
            let (ma, mb) = (find(a), find(b));
            if ma.is_empty() || mb.is_empty() {
                continue;
            }
            // The spelling used first sets the house style; the other one is flagged.
            let (keep, flag) = if ma[0].start <= mb[0].start { (&ma, mb.clone()) } else { (&mb, ma.clone()) };
            let kept = ctx.text[keep[0].clone()].to_string();
            for m in flag {
                if let Some((range, observed)) = trimmed(ctx.text, m) {
                    out.push(Hit {
                        range,
                        message: format_message(&meta.message, &[observed, &kept]),
                        suggestion: Some(kept.clone()),
                    });
                }
            }
        }
    }
}
