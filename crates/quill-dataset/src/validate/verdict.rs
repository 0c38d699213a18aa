//! The verdict: is this a "strong, proven dataset of examples" (the seed's sign that fine-tuning
//! may be worth it), merely usable, or not yet? Every rule that fires is listed with the part of
//! the seed's checklist it serves, so the creator sees what to fix rather than a bare grade.

use serde::Serialize;

/// The three grades, worst first (so `min` picks the worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Fix the reasons before training.
    NotYet,
    /// Trainable, with the listed weaknesses.
    Usable,
    /// Big, clean, varied, proven and with a clean held-out test split.
    Strong,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::NotYet => "not yet",
            Level::Usable => "usable",
            Level::Strong => "strong",
        })
    }
}

/// The seed's checklist lines each rule serves.
pub mod checklist {
    /// Size and proof.
    pub const PROVEN: &str = "You have a strong, proven dataset of examples";
    /// Curation.
    pub const CURATED: &str = "curating good examples, labeling them well";
    /// Evaluation.
    pub const TESTED: &str = "testing whether the model actually improved";
    /// Repetition.
    pub const NOT_PARODY: &str = "making sure it does not become a weird parody of your style";
    /// Platform spread.
    pub const PLATFORMS: &str = "your voice changes depending on platform or content type";
}

/// One rule's finding.
#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    /// `size`, `format`, `quality`, `diversity`, `balance`, `evaluation` or `proven`.
    pub area: &'static str,
    /// The best grade this finding allows (`strong` = the rule passed).
    pub allows: Level,
    /// What was found, with numbers.
    pub message: String,
    /// The seed checklist line it serves.
    pub checklist: &'static str,
}

/// Grade plus reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The grade: the worst `allows` among the reasons.
    pub level: Level,
    /// Every rule, failing ones first.
    pub reasons: Vec<Reason>,
}

/// The numbers the verdict is computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Lines with format errors (the service would reject the file).
    pub format_error_lines: usize,
    /// Distinct clean examples (intentional repeats counted once).
    pub examples: usize,
    /// Unintended exact duplicates (extra copies).
    pub exact_duplicates: usize,
    /// Examples in a near-duplicate pair.
    pub near_duplicate_examples: usize,
    /// Examples whose target holds a banned phrase; None = no phrase list.
    pub banned_examples: Option<usize>,
    /// Very short targets.
    pub short: usize,
    /// Cut-off targets.
    pub truncated: usize,
    /// Examples over the token limit.
    pub over_limit: usize,
    /// Test examples leaked anywhere; None = no test split known.
    pub leaks: Option<usize>,
    /// Test split size; None = unknown.
    pub test_examples: Option<usize>,
    /// (largest platform share, number of platforms, thin strata); None = unknown.
    pub balance: Option<(f64, usize, Vec<String>)>,
    /// (examples rated ≥ 4 or performing above the platform median, examples with that
    /// information); None = unknown.
    pub proven: Option<(usize, usize)>,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 }
}

/// Grades a dataset.
pub fn judge(x: &Inputs) -> Verdict {
    use checklist::*;
    let mut r = Vec::new();
    let mut add = |area, allows, message: String, checklist| r.push(Reason { area, allows, message, checklist });
    let n = x.examples;

    if x.format_error_lines > 0 {
        add(
            "format",
            Level::NotYet,
            format!(
                "{} line(s) have format errors; the fine-tuning service would reject the file",
                x.format_error_lines
            ),
            CURATED,
        );
    } else {
        add("format", Level::Strong, "no format errors".into(), CURATED);
    }

    let (lvl, msg) = match n {
        0..=9 => (
            Level::NotYet,
            format!("{n} examples; hosted fine-tuning needs at least 10, and gains start around 50-100"),
        ),
        10..=49 => {
            (Level::NotYet, format!("{n} examples; gains from fine-tuning usually start at 50-100 good examples"))
        }
        50..=199 => {
            (Level::Usable, format!("{n} examples: enough to try; 200+ of your best pieces makes a strong set"))
        }
        _ => (Level::Strong, format!("{n} examples")),
    };
    add("size", lvl, msg, PROVEN);

    match x.proven {
        Some((p, known)) if known > 0 => {
            let share = pct(p, known);
            let lvl = if share >= 50.0 { Level::Strong } else { Level::Usable };
            add("proven", lvl, format!("{p} of {known} examples ({share:.0}%) are rated 4-5 or performed above your platform median"), PROVEN);
        }
        _ => add(
            "proven",
            Level::Usable,
            "no ratings or performance data: cannot tell whether these are your proven pieces (rate them with `quill library rate`)".into(),
            PROVEN,
        ),
    }

    let dup_share = pct(x.exact_duplicates, n + x.exact_duplicates);
    let lvl = if dup_share > 20.0 {
        Level::NotYet
    } else if dup_share > 5.0 {
        Level::Usable
    } else {
        Level::Strong
    };
    add("diversity", lvl, format!("{} exact duplicate(s) ({dup_share:.1}%)", x.exact_duplicates), NOT_PARODY);
    let near_share = pct(x.near_duplicate_examples, n);
    let lvl = if near_share > 10.0 { Level::Usable } else { Level::Strong };
    add(
        "diversity",
        lvl,
        format!("{} example(s) ({near_share:.1}%) have a near-duplicate target", x.near_duplicate_examples),
        NOT_PARODY,
    );

    match x.banned_examples {
        Some(b) => {
            let share = pct(b, n);
            let lvl = if b == 0 {
                Level::Strong
            } else if share <= 5.0 {
                Level::Usable
            } else {
                Level::NotYet
            };
            add(
                "quality",
                lvl,
                format!("{b} target(s) ({share:.1}%) use a banned phrase; the model would learn it"),
                CURATED,
            );
        }
        None => add(
            "quality",
            Level::Strong,
            "no banned-phrase list to check against (validate inside a workspace)".into(),
            CURATED,
        ),
    }
    let bad = x.short + x.truncated;
    let share = pct(bad, n);
    let lvl = if share > 20.0 {
        Level::NotYet
    } else if share > 5.0 {
        Level::Usable
    } else {
        Level::Strong
    };
    add("quality", lvl, format!("{} very short and {} cut-off target(s) ({share:.1}%)", x.short, x.truncated), CURATED);
    if x.over_limit > 0 {
        add(
            "quality",
            Level::Usable,
            format!("{} example(s) exceed 16,385 tokens and would be truncated", x.over_limit),
            CURATED,
        );
    }

    match (x.test_examples, x.leaks) {
        (Some(t), Some(0)) if t > 0 => add("evaluation", Level::Strong, format!("a held-out test split of {t} example(s), with no leakage"), TESTED),
        (Some(t), Some(l)) if t > 0 => add(
            "evaluation",
            Level::NotYet,
            format!("{l} of {t} held-out test example(s) leaked into training, few-shot examples or knowledge; an evaluation on them would be meaningless"),
            TESTED,
        ),
        _ => add(
            "evaluation",
            Level::Usable,
            "no held-out test split: you could not test whether the model improved (`quill dataset build` makes one; pass --test-split)".into(),
            TESTED,
        ),
    }

    match &x.balance {
        Some((top, platforms, thin)) => {
            let lvl = if *platforms > 1 && *top > 0.9 { Level::Usable } else { Level::Strong };
            let mut msg = format!("{platforms} platform(s), the largest holds {:.0}%", top * 100.0);
            if !thin.is_empty() {
                msg.push_str(&format!("; thin strata (<5 examples): {}", thin.join(", ")));
            }
            add("balance", lvl, msg, PLATFORMS);
        }
        None => add(
            "balance",
            Level::Strong,
            "platform/kind unknown for this file (no manifest, not Quill's prompt format)".into(),
            PLATFORMS,
        ),
    }

    let level = r.iter().map(|x| x.allows).min().unwrap_or(Level::NotYet);
    r.sort_by_key(|x| x.allows);
    Verdict { level, reasons: r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strong() -> Inputs {
        Inputs {
            examples: 400,
            banned_examples: Some(0),
            leaks: Some(0),
            test_examples: Some(40),
            balance: Some((0.5, 3, vec![])),
            proven: Some((300, 400)),
            ..Inputs::default()
        }
    }

    #[test]
    fn grades_follow_the_worst_reason() {
        assert_eq!(judge(&strong()).level, Level::Strong);
        assert_eq!(judge(&Inputs { examples: 120, ..strong() }).level, Level::Usable);
        assert_eq!(judge(&Inputs { leaks: Some(2), ..strong() }).level, Level::NotYet);
        assert_eq!(judge(&Inputs { format_error_lines: 1, ..strong() }).level, Level::NotYet);
        assert_eq!(judge(&Inputs { test_examples: None, leaks: None, ..strong() }).level, Level::Usable);
        let v = judge(&Inputs { examples: 30, ..strong() });
        assert_eq!(v.level, Level::NotYet);
        assert_eq!(v.reasons[0].area, "size");
        assert_eq!(v.reasons[0].checklist, checklist::PROVEN);
    }
}
