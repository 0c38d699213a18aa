//! The voice-match score: 0–100 for how much a draft sounds like the creator, with the top
//! reasons in plain words so it tells the creator what to change.
//!
//! The number is `100 · Φ(z + 1)`, where `z` is the draft's combined similarity to the profile
//! standardised on the creator's own texts by leave-one-out (see [`crate::profile`]). A typical post
//! of the creator's scores about 84; one that is as far out as their most unusual 1-in-6 post
//! scores about 50; generic text scores near 0. `z` and the per-component z-scores are returned
//! too, for callers that rank or test (the evaluation ladder compares z, not the rounded score),
//! and `similarity`, the uncalibrated combination, for comparing one text across profiles.

use serde::Serialize;

use crate::features::{SCALARS, TextFeatures, Unit, analyze, scalar_index};
use crate::profile::{Profile, Sims, combined_similarity, component_z};

/// Where an average own text lands on the 0–100 scale: `Φ(SHIFT)`.
pub const SCORE_SHIFT: f64 = 1.0;

/// One component's contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    /// `char_ngrams`, `function_words`, `style`, `signature` or `embedding`.
    pub name: &'static str,
    /// Its weight in the combined score.
    pub weight: f64,
    /// Calibrated z-score (0 = like a typical own text).
    pub z: f64,
}

/// A reason, in plain words, with how much it moved the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// What kind of evidence: `style`, `vocabulary`, `opener`, `closer`.
    pub kind: &'static str,
    /// The sentence shown to the creator.
    pub message: String,
    /// Strength of the evidence (|z| for style; fixed weights for the others). Higher first.
    pub strength: f64,
}

/// The score of one draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoiceScore {
    /// 0–100.
    pub score: f64,
    /// Combined z, standardised on the creator's own texts (0 = a typical post of theirs).
    pub z: f64,
    /// The combined similarity before calibration, in units shared by every profile: use this
    /// to compare one text against several profiles (author attribution).
    pub similarity: f64,
    /// Per-component detail.
    pub components: Vec<Component>,
    /// Raw similarities (for research and debugging).
    pub similarities: Sims,
    /// The top reasons, strongest first.
    pub reasons: Vec<Reason>,
}

/// Words typical of generic or AI-written business prose. Used only for reasons ("uses
/// 'leverage', which you never use"), and only when the creator's own writing never has them.
pub const MARKED_WORDS: &[&str] = &[
    "leverage",
    "leveraging",
    "utilize",
    "utilizing",
    "utilization",
    "synergy",
    "synergies",
    "delve",
    "delving",
    "unlock",
    "unlocking",
    "seamless",
    "seamlessly",
    "robust",
    "empower",
    "empowering",
    "elevate",
    "game-changer",
    "tapestry",
    "landscape",
    "navigate",
    "navigating",
    "journey",
    "foster",
    "holistic",
    "pivotal",
    "paramount",
    "transformative",
    "revolutionary",
    "groundbreaking",
    "cutting-edge",
    "innovative",
    "streamline",
    "optimize",
    "harness",
    "supercharge",
    "skyrocket",
    "ecosystem",
    "stakeholders",
    "actionable",
    "impactful",
    "crucial",
    "furthermore",
    "moreover",
    "additionally",
    "ultimately",
    "intentional",
    "strategic",
    "insights",
    "thrilled",
];

/// How many reasons to return.
const MAX_REASONS: usize = 5;

/// Scores a draft against a profile. `embedding` is the draft's embedding when the profile has
/// an embedding centroid (it is ignored otherwise).
pub fn score(profile: &Profile, text: &str, embedding: Option<&[f32]>) -> VoiceScore {
    let f = analyze(text);
    score_features(profile, &f, embedding)
}

/// [`score`] for a text already measured (the habit detector and the evaluation reuse features).
pub fn score_features(profile: &Profile, f: &TextFeatures, embedding: Option<&[f32]>) -> VoiceScore {
    let sims = profile.similarities(f, embedding);
    let similarity = combined_similarity(&sims);
    let z = profile.calibration.combined.z(similarity);
    let score = 100.0 * normal_cdf(z + SCORE_SHIFT);
    let components = component_z(&profile.calibration, &sims)
        .into_iter()
        .map(|(name, weight, z)| Component { name, weight, z })
        .collect();
    VoiceScore { score, z, similarity, components, similarities: sims, reasons: reasons(profile, f) }
}

/// The plain-word reasons: the scalar features furthest from the creator's habits, words the
/// creator never uses, and a missing signature opener or sign-off.
pub fn reasons(profile: &Profile, f: &TextFeatures) -> Vec<Reason> {
    let mut out: Vec<Reason> = Vec::new();
    if f.words == 0 {
        return out;
    }
    for (i, def) in SCALARS.iter().enumerate() {
        let Some(stat) = profile.scalars.get(i) else {
            continue;
        };
        let x = f.scalars[i];
        let z = (x - stat.mean) / stat.sd.max(1e-9);
        if z.abs() < 2.0 {
            continue;
        }
        // Skip a derived feature when its primary already speaks (sd follows the mean).
        if def.key == "sentence_words_sd" && out.iter().any(|r| r.message.contains("sentences average")) {
            continue;
        }
        out.push(Reason {
            kind: "style",
            message: say(def.key, def.label, def.unit, stat.mean, x, f.words),
            strength: z.abs().min(10.0),
        });
    }
    let mut never: Vec<&str> = MARKED_WORDS
        .iter()
        .copied()
        .filter(|w| f.vocabulary.contains_key(*w) && profile.vocabulary.get(*w).copied().unwrap_or(0.0) == 0.0)
        .collect();
    never.sort_unstable();
    if !never.is_empty() {
        let list = never.iter().take(3).map(|w| format!("'{w}'")).collect::<Vec<_>>().join(", ");
        out.push(Reason {
            kind: "vocabulary",
            message: format!("uses {list}, which you never use"),
            strength: 6.0 + 0.5 * never.len() as f64,
        });
    }
    let signature_openers: Vec<_> = profile.openers.iter().filter(|k| k.share >= 0.08).take(3).collect();
    let covered: f64 = signature_openers.iter().map(|k| k.share).sum();
    if covered >= 0.4 && !signature_openers.iter().any(|k| k.key == f.opener) {
        let list =
            signature_openers.iter().map(|k| format!("'{}'", short(&k.example, 24))).collect::<Vec<_>>().join(", ");
        out.push(Reason {
            kind: "opener",
            message: format!("opens differently from your usual openers ({list})"),
            strength: 3.0 + covered,
        });
    }
    if let Some(top) = profile.closers.first()
        && top.share >= 0.3
        && top.key != f.closer
    {
        out.push(Reason {
            kind: "closer",
            message: format!(
                "doesn't end with your usual sign-off '{}' (in {:.0}% of your posts)",
                top.example,
                top.share * 100.0
            ),
            strength: 3.0 + top.share,
        });
    }
    out.sort_by(|a, b| b.strength.total_cmp(&a.strength));
    out.truncate(MAX_REASONS);
    out
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}

/// One scalar difference in words: "your sentences average 7 words; this draft 21".
fn say(key: &str, label: &str, unit: Unit, you: f64, draft: f64, words: usize) -> String {
    let fmt = |v: f64| match unit {
        Unit::Number => {
            if v.abs() >= 10.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        }
        Unit::Percent => format!("{:.0}%", v * 100.0),
        Unit::Per100 | Unit::PerPost => format!("{v:.1} per 100 words"),
    };
    let count = (draft * words as f64 / 100.0).round() as usize;
    match key {
        "sentence_words" => format!("your sentences average {} words; this draft {}", fmt(you), fmt(draft)),
        "paragraph_words" => format!("your paragraphs average {} words; this draft {}", fmt(you), fmt(draft)),
        "grade" => format!("you write at reading grade {}; this draft is grade {}", fmt(you), fmt(draft)),
        "word_length" => format!("your words average {} letters; this draft {}", fmt(you), fmt(draft)),
        _ if unit == Unit::Per100 && you < 0.05 && draft > you => {
            format!("has {count} {label}; you almost never use them")
        }
        _ if unit == Unit::Per100 && draft < 0.05 && you > draft => {
            format!("has no {label}; you use about {} per 100 words", fmt_plain(you))
        }
        _ if unit == Unit::Per100 => {
            format!("{label}: you use {}; this draft {}", fmt(you), fmt(draft))
        }
        _ if unit == Unit::Percent => format!("{label}: {} of yours; {} of this draft", fmt(you), fmt(draft)),
        _ => format!("{label}: you {}; this draft {}", fmt(you), fmt(draft)),
    }
}

fn fmt_plain(v: f64) -> String {
    if v >= 10.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; error < 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592)
            * t
            * (-x * x).exp();
    sign * y
}

/// The index of a scalar, re-exported for callers that read [`TextFeatures::scalars`].
pub fn scalar_position(key: &str) -> Option<usize> {
    SCALARS.iter().any(|s| s.key == key).then(|| scalar_index(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_is_sane() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!(normal_cdf(-8.0) < 1e-9);
    }

    #[test]
    fn reasons_speak_plainly() {
        assert_eq!(
            say("sentence_words", "", Unit::Number, 9.04, 21.3, 100),
            "your sentences average 9.0 words; this draft 21"
        );
        assert_eq!(say("emoji", "emoji", Unit::Per100, 0.0, 3.0, 100), "has 3 emoji; you almost never use them");
    }
}
