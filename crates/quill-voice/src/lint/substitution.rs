//! `extends: substitution` — flag a word and suggest the preferred one ("utilize" → "use").

use super::existence::{NONWORD_TEMPLATE, WORD_TEMPLATE, excepted, exceptions, trimmed};
use super::rule::{Fields, Pattern, RuleMeta, format_message};
use super::{Hit, RunCtx};
use crate::Result;

/// A compiled substitution rule: one regex with a capture group per `swap` key, so the group that
/// matched tells which replacement to suggest (Vale's design).
#[derive(Debug)]
pub(crate) struct Substitution {
    pattern: Pattern,
    replacements: Vec<String>,
    exceptions: Option<Pattern>,
    ignorecase: bool,
}

impl Substitution {
    pub(crate) fn compile(f: &Fields<'_>) -> Result<Self> {
        let swap = f.pairs("swap")?;
        if swap.is_empty() {
            return Err(f.err("a substitution rule needs 'swap': a mapping of `flagged: preferred`"));
        }
        let mut alternatives = Vec::with_capacity(swap.len());
        let mut replacements = Vec::with_capacity(swap.len());
        for (key, repl) in swap {
            let opens = key.matches('(').count();
            if opens != key.matches("(?").count() + key.matches(r"\(").count() {
                return Err(
                    f.err(format!("capture group in swap key '{key}' is not supported; use '(?:' instead of '('"))
                );
            }
            alternatives.push(format!("({key})"));
            replacements.push(repl);
        }
        let (open, close) = if f.bool("nonword")? { NONWORD_TEMPLATE } else { WORD_TEMPLATE };
        let ignorecase = f.bool("ignorecase")?;
        let mut regex = format!("{open}{}{close}", alternatives.join("|"));
        if ignorecase {
            regex = format!("(?i){regex}");
        }
        let pattern = Pattern::new(&regex).map_err(|e| f.err(e))?;
        Ok(Self { pattern, replacements, exceptions: exceptions(f)?, ignorecase })
    }

    pub(crate) fn run(&self, ctx: &RunCtx<'_, '_>, meta: &RuleMeta, out: &mut Vec<Hit>) {
        for span in ctx.spans {
            if !self.pattern.is_match(&ctx.text[span.clone()]) {
                continue;
            }
            for groups in self.pattern.captures_iter(ctx.text, span.clone()) {
                let Some((idx, m)) = groups.iter().enumerate().skip(1).find_map(|(i, g)| g.clone().map(|g| (i, g)))
                else {
                    continue;
                };
                let Some((range, observed)) = trimmed(ctx.text, m) else {
                    continue;
                };
                let Some(expected) = self.replacements.get(idx - 1) else {
                    continue;
                };
                if same_token(expected, observed, self.ignorecase)
                    || excepted(self.exceptions.as_ref(), ctx.text, span, &range, observed)
                {
                    continue;
                }
                let options: Vec<&str> = expected.split('|').map(str::trim).filter(|s| !s.is_empty()).collect();
                let (template, shown) = if options.len() > 1 && meta.message.matches("'%s'").count() == 2 {
                    (meta.message.replacen("'%s'", "%s", 1), format!("'{}'", options.join("' or '")))
                } else {
                    (meta.message.clone(), options.join(" or "))
                };
                let suggestion = options.first().map(|o| match_case(observed, o));
                out.push(Hit { range, message: format_message(&template, &[&shown, observed]), suggestion });
            }
        }
    }
}

/// Whether the observed text already is the replacement (so "use" is not flagged by `use|utilize`).
fn same_token(expected: &str, observed: &str, ignorecase: bool) -> bool {
    if expected.chars().any(char::is_whitespace) {
        return if ignorecase { expected.eq_ignore_ascii_case(observed) } else { expected == observed };
    }
    let re = format!("{}^(?:{expected})$", if ignorecase { "(?i)" } else { "" });
    match regex::Regex::new(&re) {
        Ok(r) => r.is_match(observed),
        Err(_) => expected == observed,
    }
}

/// Capitalises the suggestion when the flagged word starts a sentence ("Utilize" → "Use").
fn match_case(observed: &str, suggestion: &str) -> String {
    let starts_upper = observed.chars().next().is_some_and(char::is_uppercase);
    let rest_lower = observed.chars().skip(1).all(|c| !c.is_uppercase());
    if starts_upper && rest_lower {
        let mut c = suggestion.chars();
        match c.next() {
            Some(first) => first.to_uppercase().chain(c).collect(),
            None => String::new(),
        }
    } else {
        suggestion.to_string()
    }
}
