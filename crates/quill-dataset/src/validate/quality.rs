//! Checks on the targets themselves: banned phrases the model would learn, very short or cut-off
//! targets, and the platform/kind balance.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::text::{is_stopword, words};

/// Targets with fewer words than this are "very short".
pub const SHORT_WORDS: usize = 4;

/// A banned phrase found in a target.
#[derive(Debug, Clone, Serialize)]
pub struct BannedHit {
    /// 1-based line.
    pub line: usize,
    /// The banned phrase.
    pub phrase: String,
    /// The word(s) as found.
    pub found: String,
    /// The creator's preferred replacement, if any.
    pub replacement: Option<String>,
}

/// Endings that allow a banned word's inflections: "utilize" also catches "utilized",
/// "utilizing" and "utilization" (the sample creator's phrase list asks for exactly that).
const SUFFIXES: &[&str] =
    &["", "s", "es", "d", "ed", "ing", "r", "rs", "er", "ers", "ation", "ations", "ment", "ments", "ness", "ly"];

/// A compiled banned phrase.
pub struct BannedMatcher {
    phrases: Vec<(Vec<String>, String, Option<String>)>,
}

impl BannedMatcher {
    /// Compiles (phrase, replacement) pairs.
    pub fn new(banned: &[(String, Option<String>)]) -> Self {
        Self {
            phrases: banned
                .iter()
                .map(|(p, r)| (words(p), p.clone(), r.clone()))
                .filter(|(w, _, _)| !w.is_empty())
                .collect(),
        }
    }

    fn word_matches(pattern: &str, word: &str) -> bool {
        if pattern == word {
            return true;
        }
        let stem = if pattern.len() > 4 && pattern.ends_with('e') { &pattern[..pattern.len() - 1] } else { pattern };
        word.strip_prefix(stem).is_some_and(|rest| SUFFIXES.contains(&rest))
    }

    /// Banned phrases in `text`: one-word phrases match their inflections, longer ones match as
    /// a run of words.
    pub fn find(&self, text: &str, line: usize) -> Vec<BannedHit> {
        let w = words(text);
        let mut out = Vec::new();
        for (pw, phrase, repl) in &self.phrases {
            let found = if pw.len() == 1 {
                w.iter().find(|x| Self::word_matches(&pw[0], x)).cloned()
            } else {
                w.windows(pw.len()).find(|win| win.iter().zip(pw).all(|(a, b)| a == b)).map(|win| win.join(" "))
            };
            if let Some(found) = found {
                out.push(BannedHit { line, phrase: phrase.clone(), found, replacement: repl.clone() });
            }
        }
        out
    }
}

/// Words after which a text cannot end: a target ending on one was cut off.
const DANGLING: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "to", "of", "with", "for", "in", "on", "at", "from", "by", "that", "because",
    "so", "if", "when", "my", "your", "our", "their", "is", "are", "was", "were",
];

/// Why a target looks cut off, if it does.
pub fn truncation(target: &str) -> Option<String> {
    let t = target.trim_end();
    let last = t.chars().last()?;
    if matches!(last, ',' | ';' | ':' | '(' | '-' | '–' | '—' | '/' | '&') {
        return Some(format!("ends with {last:?}"));
    }
    if last.is_alphanumeric() {
        let w = words(t);
        if let Some(lw) = w.last()
            && DANGLING.contains(&lw.as_str())
            && w.len() > 1
        {
            return Some(format!("ends mid-sentence on {lw:?}"));
        }
    }
    let opens = t.matches('(').count();
    let closes = t.matches(')').count();
    if opens > closes {
        return Some("an opening bracket is never closed".into());
    }
    if t.matches('"').count() % 2 == 1 || t.matches('“').count() > t.matches('”').count() {
        return Some("a quotation is never closed".into());
    }
    None
}

/// Whether a target is very short.
pub fn is_short(target: &str) -> bool {
    words(target).len() < SHORT_WORDS
}

/// How the examples spread over platforms and kinds.
#[derive(Debug, Clone, Serialize)]
pub struct Balance {
    /// Where the labels came from: `manifest` (the build's own record), `prompts` (read from
    /// Quill's brief format) or `unknown`.
    pub source: String,
    /// Examples per platform.
    pub by_platform: BTreeMap<String, usize>,
    /// Examples per kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Share of the largest platform (0–1).
    pub top_platform_share: f64,
    /// Share of the largest kind (0–1).
    pub top_kind_share: f64,
    /// Normalised entropy over platform×kind strata (1 = perfectly even, 0 = one stratum).
    pub evenness: f64,
    /// Strata (platform/kind) with fewer than 5 examples: too few to learn from.
    pub thin_strata: Vec<String>,
}

impl Balance {
    /// Computes shares and evenness from stratum counts (`"platform/kind" → n`).
    pub fn from_strata(source: &str, strata: &BTreeMap<String, usize>) -> Self {
        let mut by_platform = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        for (k, &n) in strata {
            let (p, kind) = k.split_once('/').unwrap_or((k.as_str(), "unknown"));
            *by_platform.entry(p.to_string()).or_insert(0) += n;
            *by_kind.entry(kind.to_string()).or_insert(0) += n;
        }
        let total: usize = strata.values().sum();
        let share = |m: &BTreeMap<String, usize>| {
            if total == 0 { 0.0 } else { *m.values().max().unwrap_or(&0) as f64 / total as f64 }
        };
        let evenness = if strata.len() <= 1 || total == 0 {
            if strata.len() == 1 { 0.0 } else { 1.0 }
        } else {
            let h: f64 = strata
                .values()
                .filter(|&&n| n > 0)
                .map(|&n| {
                    let p = n as f64 / total as f64;
                    -p * p.ln()
                })
                .sum();
            h / (strata.len() as f64).ln()
        };
        let thin_strata = strata.iter().filter(|(_, n)| **n < 5).map(|(k, _)| k.clone()).collect();
        Self {
            source: source.into(),
            top_platform_share: share(&by_platform),
            top_kind_share: share(&by_kind),
            by_platform,
            by_kind,
            evenness,
            thin_strata,
        }
    }
}

/// Reads the platform and kind back from a prompt written by `quill dataset build`.
pub fn stratum_from_prompt(user: &str) -> Option<String> {
    if user.starts_with("Rewrite this in my voice") {
        let platform = field(user, "Platform:").unwrap_or_else(|| "unknown".into());
        return Some(format!("{platform}/rewrite"));
    }
    let platform = field(user, "Platform:")?;
    let kind = field(user, "Piece:").unwrap_or_else(|| "post".into());
    Some(format!("{platform}/{kind}"))
}

fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty())
}

/// Whether a word is a content word (used by brief derivation too).
pub fn is_content_word(w: &str) -> bool {
    w.chars().count() >= 3 && !is_stopword(w) && !w.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banned_words_match_inflections_not_lookalikes() {
        let m = BannedMatcher::new(&[
            ("utilize".into(), Some("use".into())),
            ("leverage".into(), None),
            ("in today's fast-paced world".into(), None),
            ("robust".into(), None),
        ]);
        let hits =
            m.find("We utilized it. In today’s fast-paced world, leveraging robustness is key. Utility is fine.", 3);
        let found: Vec<&str> = hits.iter().map(|h| h.found.as_str()).collect();
        assert_eq!(found, ["utilized", "leveraging", "in today's fast paced world", "robustness"]);
        assert!(m.find("Utility and leverets and robustly", 1).iter().all(|h| h.phrase != "utilize"));
    }

    #[test]
    fn truncation_signs() {
        assert_eq!(truncation("Send it within 4 hours and"), Some("ends mid-sentence on \"and\"".into()));
        assert_eq!(truncation("Here is the list:"), Some("ends with ':'".into()));
        assert_eq!(truncation("Run lean. — M."), None);
        assert_eq!(truncation("It's a flashlight, not surveillance"), None);
        assert!(truncation("Ask them (before the kickoff").is_some());
    }

    #[test]
    fn balance_shares() {
        let strata: BTreeMap<String, usize> =
            [("linkedin/post".into(), 30), ("x/post".into(), 30), ("linkedin/rewrite".into(), 3)].into();
        let b = Balance::from_strata("manifest", &strata);
        assert_eq!(b.by_platform["linkedin"], 33);
        assert!((b.top_kind_share - 60.0 / 63.0).abs() < 1e-12);
        assert_eq!(b.thin_strata, ["linkedin/rewrite"]);
        assert!(b.evenness > 0.6 && b.evenness < 1.0);
    }
}
