//! The prompt linter: scores a prompt (or a brief) and lists what it is missing.
//!
//! The seed's lazy prompt ("Write a LinkedIn post about AI for creators in my voice.") names a
//! platform and nothing else; its structured prompt names audience, tone, format, main point,
//! required elements, what to avoid, a CTA and examples. The linter looks for each of those
//! elements with plain patterns a creator can understand, so every point it takes off comes with
//! the sentence to add.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde::Serialize;

use crate::Brief;

/// An element of a strong prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    /// Where it will be published.
    Platform,
    /// Who it is for.
    Audience,
    /// How it should sound.
    Tone,
    /// Formatting constraints (paragraphs, lists, line breaks).
    Format,
    /// The one takeaway.
    MainPoint,
    /// Elements that must appear.
    MustInclude,
    /// Examples of the creator's style.
    Examples,
    /// The call to action.
    Cta,
    /// What to avoid.
    Avoid,
    /// Length.
    Length,
}

impl Element {
    /// All elements with their weight (out of 100) and the fix to suggest when missing.
    pub const ALL: [(Element, u32, &'static str); 10] = [
        (Element::Platform, 10, "Name the platform and format: \"Write a LinkedIn post ...\""),
        (Element::Audience, 12, "Say who it is for: \"for agency owners who ...\""),
        (Element::Tone, 12, "Describe the tone: \"Tone: direct, practical, anti-hype.\""),
        (Element::Format, 8, "Give format constraints: \"Keep paragraphs to one or two sentences.\""),
        (Element::MainPoint, 16, "State the main point: \"Main point: ...\""),
        (Element::MustInclude, 8, "List what must be in it: \"Include one number and one practical takeaway.\""),
        (
            Element::Examples,
            14,
            "Show 2-3 examples of your own writing (quill prompt --brief picks them from your library).",
        ),
        (Element::Cta, 8, "Say what the reader should do next: \"End with a CTA to ...\""),
        (Element::Avoid, 6, "Say what to avoid: \"Avoid clichés, hype words and fake inspiration.\""),
        (Element::Length, 6, "Give a length: \"150-200 words\" or \"under 280 characters\"."),
    ];

    fn name(self) -> &'static str {
        match self {
            Element::Platform => "platform",
            Element::Audience => "audience",
            Element::Tone => "tone",
            Element::Format => "format constraints",
            Element::MainPoint => "main point",
            Element::MustInclude => "must-include elements",
            Element::Examples => "examples",
            Element::Cta => "call to action",
            Element::Avoid => "avoid list",
            Element::Length => "length",
        }
    }
}

/// One missing element and how to add it.
#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    /// The element.
    pub element: Element,
    /// Its name in plain words.
    pub name: &'static str,
    /// Points it would add.
    pub points: u32,
    /// The sentence to add.
    pub fix: &'static str,
}

/// The linter's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    /// 0-100: the weights of the elements present.
    pub score: u32,
    /// "strong" (≥ 80), "okay" (≥ 50) or "lazy".
    pub grade: &'static str,
    /// Elements found.
    pub found: Vec<Element>,
    /// Elements missing, most valuable first.
    pub missing: Vec<Missing>,
    /// Other problems (vague voice references, very short prompts).
    pub warnings: Vec<String>,
}

fn re(p: &str) -> Regex {
    // The patterns are constants tested below; a failure is a programming error caught by tests.
    RegexBuilder::new(p).case_insensitive(true).build().unwrap_or_else(|e| panic!("bad lint pattern {p}: {e}"))
}

static PATTERNS: LazyLock<Vec<(Element, Regex)>> = LazyLock::new(|| {
    vec![
        (
            Element::Platform,
            re(
                r"\b(linkedin|twitter|tweets?|x (post|thread)|thread|newsletter|e-?mail|instagram|youtube|blog|caption|substack|tiktok|facebook)\b",
            ),
        ),
        (
            Element::Audience,
            re(
                r"\b(audience|readers?\b|aimed at|targeting|written for|speaking to|for (\w[\w'-]*[ ,]+){0,6}?(who|that|in)\b (use|run|want|are|need|have|work|struggle|build|sell|manage|lead|write|do)|my (clients|customers|subscribers|followers|community))",
            ),
        ),
        (
            Element::Tone,
            re(
                r"\b(tone|sound(s|ing)? like|direct|casual|formal|conversational|witty|playful|warm|sharp|practical|anti-hype|friendly|authoritative|punchy|humou?rous|serious|blunt|empathetic|confident|plain-spoken|plainspoken)\b",
            ),
        ),
        (
            Element::Format,
            re(
                r"\b(paragraphs?|bullets?|bullet points|lists?|line breaks?|headlines?|subject line|short sentences|numbered|bold|hashtags?|emojis?|sections?|subheads?|format(ting)?)\b",
            ),
        ),
        (
            Element::MainPoint,
            re(
                r"\b(main point|key (point|message|idea|takeaway)|the point is|core (message|idea)|thesis|argue that|the message is|central idea|big idea|one idea)\b",
            ),
        ),
        (
            Element::MustInclude,
            re(r"\b(include|includes|including|mention|must (have|include|contain)|make sure (to|it)|required)\b"),
        ),
        (
            Element::Examples,
            re(
                r"(\bexamples?\b|here (are|is) (\d+ |some |a few |three |two )?(of )?my|\[examples?\]|sample posts?|like this:|for reference)",
            ),
        ),
        (
            Element::Cta,
            re(
                r"(\bcta\b|call to action|ask (them|readers|people|the reader) to|end (with|by) (asking|inviting|a question|an invitation)|invite (them|readers)|\bsign up\b|\bbook a\b|reply with|link in)",
            ),
        ),
        (
            Element::Avoid,
            re(
                r"(\bavoid\b|\bdon'?t\b|\bdo not\b|\bnever\b|\bno (clichés?|jargon|hype|emojis?|hashtags|buzzwords)\b|without (jargon|hype|clichés?)|steer clear)",
            ),
        ),
        (
            Element::Length,
            re(
                r"(\d+\s*(-|to)?\s*\d*\s*(words?|characters?|chars|sentences?|lines?|paragraphs?|bullets?|posts?)\b|\b(short|brief|concise|long-form|one-liner|under \d+)\b)",
            ),
        ),
    ]
});

static VOICE_REF: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(in my (voice|style|tone)|sound(s)? like me|my (own )?voice)\b"));

fn grade(score: u32) -> &'static str {
    match score {
        80.. => "strong",
        50.. => "okay",
        _ => "lazy",
    }
}

fn report(found: Vec<Element>, warnings: Vec<String>) -> LintReport {
    let mut score = 0;
    let mut missing = Vec::new();
    for (el, points, fix) in Element::ALL {
        if found.contains(&el) {
            score += points;
        } else {
            missing.push(Missing { element: el, name: el.name(), points, fix });
        }
    }
    missing.sort_by_key(|m| std::cmp::Reverse(m.points));
    LintReport { score, grade: grade(score), found, missing, warnings }
}

/// Lints free prompt text.
pub fn lint_prompt(text: &str) -> LintReport {
    let found: Vec<Element> = PATTERNS.iter().filter(|(_, r)| r.is_match(text)).map(|(e, _)| *e).collect();
    let mut warnings = Vec::new();
    let words = text.split_whitespace().count();
    if words < 25 {
        warnings.push(format!("The prompt is {words} words long; the model fills every gap with generic defaults."));
    }
    if VOICE_REF.is_match(text) && !found.contains(&Element::Examples) {
        warnings.push(
            "It asks for \"your voice\" without showing any: the model cannot guess it. Add 2-3 examples.".into(),
        );
    }
    report(found, warnings)
}

/// Lints a brief: the same elements, read from its fields (the platform preset supplies format
/// conventions and a default length, so those count as present).
pub fn lint_brief(brief: &Brief) -> LintReport {
    let set = |s: &str| !s.trim().is_empty();
    let mut found = vec![Element::Platform, Element::Format, Element::Length];
    if set(&brief.audience) {
        found.push(Element::Audience);
    }
    if set(&brief.tone) {
        found.push(Element::Tone);
    }
    if set(&brief.main_point) {
        found.push(Element::MainPoint);
    }
    if !brief.must_include.is_empty() {
        found.push(Element::MustInclude);
    }
    if brief.examples > 0 {
        found.push(Element::Examples);
    }
    if set(&brief.cta) {
        found.push(Element::Cta);
    }
    if !brief.avoid.is_empty() {
        found.push(Element::Avoid);
    }
    let mut warnings = Vec::new();
    if brief.main_point.split_whitespace().count() > 40 {
        warnings.push("The main point is over 40 words: a main point is one sentence.".into());
    }
    report(found, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAZY: &str = include_str!("../tests/fixtures/lazy.txt");
    const STRUCTURED: &str = include_str!("../tests/fixtures/structured.txt");

    #[test]
    fn seed_lazy_prompt_scores_low_and_lists_what_it_lacks() {
        let r = lint_prompt(LAZY);
        assert!(r.score <= 20, "score {}", r.score);
        assert_eq!(r.grade, "lazy");
        let missing: Vec<Element> = r.missing.iter().map(|m| m.element).collect();
        for el in
            [Element::Audience, Element::Tone, Element::MainPoint, Element::Examples, Element::Cta, Element::Avoid]
        {
            assert!(missing.contains(&el), "{el:?} should be missing: {r:?}");
        }
        assert!(r.warnings.iter().any(|w| w.contains("your voice")), "{:?}", r.warnings);
    }

    #[test]
    fn seed_structured_prompt_scores_high() {
        let r = lint_prompt(STRUCTURED);
        assert!(r.score >= 90, "score {} missing {:?}", r.score, r.missing);
        assert_eq!(r.grade, "strong");
    }

    #[test]
    fn each_element_is_detected_alone() {
        let cases = [
            (Element::Audience, "for founders who run small agencies"),
            (Element::Tone, "Tone: warm"),
            (Element::MainPoint, "Main point: meetings cost money"),
            (Element::Cta, "End with a CTA to book a call"),
            (Element::Avoid, "Avoid jargon"),
            (Element::Length, "about 150 words"),
        ];
        for (el, text) in cases {
            assert!(lint_prompt(text).found.contains(&el), "{el:?} not found in {text:?}");
        }
    }

    #[test]
    fn brief_with_everything_is_strong() {
        let b = Brief {
            audience: "agency owners".into(),
            tone: "direct".into(),
            main_point: "handoffs lose margin".into(),
            must_include: vec!["a number".into()],
            avoid: vec!["leverage".into()],
            cta: "reply AUDIT".into(),
            ..Brief::default()
        };
        assert_eq!(lint_brief(&b).score, 100);
        let empty = Brief { examples: 0, ..Brief::default() };
        assert!(lint_brief(&empty).score < 50);
    }
}
