//! Stylometric features of one text: the numbers a voice profile is built from.
//!
//! Three families, because each fails where another holds (see `docs/benchmarks/voice.md`):
//! - **Scalar style features** (sentence and paragraph length, line breaks, lists, punctuation,
//!   emoji, pronouns, numbers as digits, readability, …). Topic-independent and explainable: the
//!   score's plain-word reasons come from these.
//! - **Function-word counts** (the, of, and, I, you, but, …): what authorship attribution has
//!   relied on since Mosteller & Wallace, because they survive a change of topic.
//! - **Character and word-token sequences**, read by the language models in [`crate::lm`]
//!   (character 3-grams with case and line breaks kept; bigrams of words and punctuation): the
//!   strongest signals on short texts, but partly topical.
//!
//! Openers and closers (first and last line) are kept as short strings: a creator's hooks and
//! sign-offs are among the most recognisable things about them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::lm::{Events, char_events, word_events};
use crate::text::{BlockKind, Document, TextCounts, is_emoji, normalize_word, word_ranges};

/// How a scalar is shown to a creator in a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A plain number with one decimal ("9.2 words").
    Number,
    /// A share shown as a percentage.
    Percent,
    /// A count per 100 words.
    Per100,
    /// A count per post.
    PerPost,
}

/// One scalar feature: its key, how to say it, and the smallest spread the profile assumes
/// (so a creator who never uses semicolons is not infinitely surprised by one).
#[derive(Debug, Clone, Copy)]
pub struct ScalarDef {
    /// Stable key, used in JSON and tests.
    pub key: &'static str,
    /// Plain-words label: "your sentences average {you}; this draft {draft}".
    pub label: &'static str,
    /// How values are printed.
    pub unit: Unit,
    /// Floor on the standard deviation.
    pub floor: f64,
}

/// The scalar features, in the order of [`TextFeatures::scalars`].
pub const SCALARS: &[ScalarDef] = &[
    ScalarDef { key: "sentence_words", label: "words per sentence", unit: Unit::Number, floor: 1.5 },
    ScalarDef { key: "sentence_words_sd", label: "variation in sentence length", unit: Unit::Number, floor: 1.5 },
    ScalarDef { key: "paragraph_words", label: "words per paragraph", unit: Unit::Number, floor: 4.0 },
    ScalarDef { key: "lines_per_paragraph", label: "lines per paragraph", unit: Unit::Number, floor: 0.4 },
    ScalarDef { key: "one_line_paragraphs", label: "one-line paragraphs", unit: Unit::Percent, floor: 0.08 },
    ScalarDef { key: "list_lines", label: "list lines", unit: Unit::Percent, floor: 0.04 },
    ScalarDef { key: "arrows", label: "arrows (→)", unit: Unit::Per100, floor: 0.4 },
    ScalarDef { key: "questions", label: "questions", unit: Unit::Percent, floor: 0.04 },
    ScalarDef { key: "exclamations", label: "exclamation marks", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "commas", label: "commas", unit: Unit::Per100, floor: 0.8 },
    ScalarDef { key: "dashes", label: "dashes (— –)", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "colons", label: "colons", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "semicolons", label: "semicolons", unit: Unit::Per100, floor: 0.2 },
    ScalarDef { key: "parentheses", label: "parentheses", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "quotes", label: "quotation marks", unit: Unit::Per100, floor: 0.5 },
    ScalarDef { key: "emoji", label: "emoji", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "hashtags", label: "hashtags", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "digits", label: "numbers written as digits", unit: Unit::Per100, floor: 0.6 },
    ScalarDef { key: "number_words", label: "numbers spelled out", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "all_caps", label: "ALL-CAPS words", unit: Unit::Per100, floor: 0.3 },
    ScalarDef { key: "lowercase_starts", label: "sentences starting in lower case", unit: Unit::Percent, floor: 0.04 },
    ScalarDef { key: "i_rate", label: "'I/me/my'", unit: Unit::Per100, floor: 0.8 },
    ScalarDef { key: "we_rate", label: "'we/us/our'", unit: Unit::Per100, floor: 0.6 },
    ScalarDef { key: "you_rate", label: "'you/your'", unit: Unit::Per100, floor: 0.8 },
    ScalarDef { key: "contractions", label: "contractions", unit: Unit::Per100, floor: 0.6 },
    ScalarDef { key: "word_length", label: "letters per word", unit: Unit::Number, floor: 0.15 },
    ScalarDef { key: "long_words", label: "long words (7+ letters)", unit: Unit::Percent, floor: 0.025 },
    ScalarDef {
        key: "vocabulary",
        label: "vocabulary richness (distinct words per 50)",
        unit: Unit::Percent,
        floor: 0.03,
    },
    ScalarDef { key: "grade", label: "reading grade", unit: Unit::Number, floor: 1.0 },
    ScalarDef { key: "function_words", label: "function-word share", unit: Unit::Percent, floor: 0.025 },
];

/// Index of a scalar by key (panics only on a typo in this crate, caught by tests).
pub(crate) fn scalar_index(key: &str) -> usize {
    SCALARS.iter().position(|s| s.key == key).unwrap_or(0)
}

/// Function words: the closed-class words whose rates mark an author regardless of topic.
pub const FUNCTION_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "almost",
    "also",
    "although",
    "always",
    "am",
    "among",
    "an",
    "and",
    "another",
    "any",
    "anything",
    "are",
    "around",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "either",
    "enough",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "least",
    "less",
    "let",
    "like",
    "may",
    "me",
    "might",
    "mine",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "neither",
    "never",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "perhaps",
    "quite",
    "rather",
    "same",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "something",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
];

const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen", "twenty",
    "thirty", "forty", "fifty", "hundred", "thousand", "million", "dozen",
];

/// Everything measured on one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFeatures {
    /// Words.
    pub words: usize,
    /// Sentences.
    pub sentences: usize,
    /// Blank-line-separated paragraphs.
    pub paragraphs: usize,
    /// Values of [`SCALARS`], in order.
    pub scalars: Vec<f64>,
    /// Counts of [`FUNCTION_WORDS`], in order.
    pub function_words: Vec<u32>,
    /// The text as the character model reads it (see [`crate::lm`]); not serialised.
    #[serde(skip)]
    pub char_events: Events,
    /// The text as the word-token model reads it; not serialised.
    #[serde(skip)]
    pub word_events: Events,
    /// The opening words, normalised ("here's the thing").
    pub opener: String,
    /// The closing line, normalised ("run lean. — m.").
    pub closer: String,
    /// Lower-cased word counts (for vocabulary reasons and habits).
    pub vocabulary: HashMap<String, u32>,
}

/// Measures `text` (front matter is not stripped here; callers pass the body).
pub fn analyze(text: &str) -> TextFeatures {
    let doc = Document::new(text);
    let masked = doc.masked();
    let mut s = vec![0.0; SCALARS.len()];

    // Words, over the prose and headings (code and URLs masked).
    let mut words: Vec<&str> = Vec::new();
    for r in word_ranges(masked) {
        words.push(&masked[r]);
    }
    let n_words = words.len();
    let nw = n_words.max(1) as f64;
    let per100 = |c: f64| c * 100.0 / nw;

    let sentences = doc.sentences();
    let sent_lens: Vec<f64> = sentences.iter().map(|r| word_ranges(&masked[r.clone()]).len() as f64).collect();
    let ns = sent_lens.len().max(1) as f64;
    let mean_sl = sent_lens.iter().sum::<f64>() / ns;
    s[scalar_index("sentence_words")] = mean_sl;
    s[scalar_index("sentence_words_sd")] = (sent_lens.iter().map(|l| (l - mean_sl).powi(2)).sum::<f64>() / ns).sqrt();

    // Paragraphs and lines, from the text as written.
    let mut paragraphs: Vec<Vec<&str>> = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                paragraphs.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(line.trim());
        }
    }
    if !cur.is_empty() {
        paragraphs.push(cur);
    }
    let np = paragraphs.len().max(1) as f64;
    let lines: Vec<&str> = paragraphs.iter().flatten().copied().collect();
    let nl = lines.len().max(1) as f64;
    s[scalar_index("paragraph_words")] = n_words as f64 / np;
    s[scalar_index("lines_per_paragraph")] = lines.len() as f64 / np;
    s[scalar_index("one_line_paragraphs")] = paragraphs.iter().filter(|p| p.len() == 1).count() as f64 / np;
    let list_line = |l: &str| {
        let first = l.chars().next().unwrap_or(' ');
        matches!(first, '-' | '*' | '•' | '→' | '>') && l.chars().nth(1).is_some_and(|c| c == ' ')
            || is_emoji(first)
            || (first.is_ascii_digit() && l.trim_start_matches(|c: char| c.is_ascii_digit()).starts_with(['.', ')']))
            || (first == '(' && l.chars().nth(2) == Some(')'))
    };
    s[scalar_index("list_lines")] = lines.iter().filter(|l| list_line(l)).count() as f64 / nl;

    // Punctuation and symbols, over the masked text (no URLs).
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut emoji = 0usize;
    for c in masked.chars() {
        if is_emoji(c) {
            emoji += 1;
        } else if matches!(c, ',' | '!' | '—' | '–' | ':' | ';' | '(' | '"' | '“' | '”' | '→' | '#') {
            *counts.entry(c).or_default() += 1;
        }
    }
    let c = |ch: char| *counts.get(&ch).unwrap_or(&0) as f64;
    let arrows = c('→') + masked.matches("->").count() as f64;
    s[scalar_index("arrows")] = per100(arrows);
    s[scalar_index("questions")] =
        sentences.iter().filter(|r| masked[(*r).clone()].trim_end().ends_with('?')).count() as f64 / ns;
    s[scalar_index("exclamations")] = per100(c('!'));
    s[scalar_index("commas")] = per100(c(','));
    s[scalar_index("dashes")] = per100(c('—') + c('–') + masked.matches(" - ").count() as f64);
    s[scalar_index("colons")] = per100(c(':'));
    s[scalar_index("semicolons")] = per100(c(';'));
    s[scalar_index("parentheses")] = per100(c('('));
    s[scalar_index("quotes")] = per100(c('"') + c('“') + c('”'));
    s[scalar_index("emoji")] = per100(emoji as f64);
    s[scalar_index("hashtags")] =
        per100(masked.split_whitespace().filter(|w| w.starts_with('#') && w.len() > 1).count() as f64);

    // Word-level features.
    let lower: Vec<String> = words.iter().map(|w| normalize_word(w)).collect();
    let digits = lower.iter().filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit())).count();
    s[scalar_index("digits")] = per100(digits as f64);
    s[scalar_index("number_words")] =
        per100(lower.iter().filter(|w| NUMBER_WORDS.contains(&w.as_str())).count() as f64);
    s[scalar_index("all_caps")] = per100(
        words
            .iter()
            .filter(|w| {
                let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
                letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase())
            })
            .count() as f64,
    );
    s[scalar_index("lowercase_starts")] = sentences
        .iter()
        .filter(|r| masked[(*r).clone()].chars().find(|c| c.is_alphabetic()).is_some_and(char::is_lowercase))
        .count() as f64
        / ns;
    let rate = |set: &[&str]| per100(lower.iter().filter(|w| set.contains(&w.as_str())).count() as f64);
    s[scalar_index("i_rate")] = rate(&["i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"]);
    s[scalar_index("we_rate")] = rate(&["we", "us", "our", "ours", "ourselves", "we're", "we've", "we'll", "we'd"]);
    s[scalar_index("you_rate")] = rate(&["you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd"]);
    s[scalar_index("contractions")] = per100(lower.iter().filter(|w| w.contains('\'')).count() as f64);
    let letters: usize = words.iter().map(|w| w.chars().filter(|c| c.is_alphabetic()).count()).sum();
    s[scalar_index("word_length")] = letters as f64 / nw;
    s[scalar_index("long_words")] = words.iter().filter(|w| w.chars().count() >= 7).count() as f64 / nw;
    s[scalar_index("vocabulary")] = mattr(&lower, 50);
    s[scalar_index("grade")] = TextCounts::of(&doc).flesch_kincaid().clamp(-5.0, 30.0);

    let mut fw = vec![0u32; FUNCTION_WORDS.len()];
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut fw_total = 0usize;
    for w in &lower {
        if let Ok(i) = FUNCTION_WORDS.binary_search(&w.as_str()) {
            fw[i] += 1;
            fw_total += 1;
        }
        *vocabulary.entry(w.clone()).or_default() += 1;
    }
    s[scalar_index("function_words")] = fw_total as f64 / nw;

    let prose_heading = |k: BlockKind| matches!(k, BlockKind::Heading(_));
    let first_line = doc
        .blocks()
        .iter()
        .find(|b| !prose_heading(b.kind) && b.kind != BlockKind::Code)
        .and_then(|b| masked[b.range.clone()].lines().next())
        .unwrap_or("");
    let last_line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");

    TextFeatures {
        words: n_words,
        sentences: sent_lens.len(),
        paragraphs: paragraphs.len(),
        scalars: s,
        function_words: fw,
        char_events: char_events(text),
        word_events: word_events(text),
        opener: opener_key(first_line),
        closer: closer_key(last_line),
        vocabulary,
    }
}

/// Moving-average type-token ratio: distinct words per window, averaged, so that it does not
/// fall with text length the way a plain type-token ratio does.
fn mattr(words: &[String], window: usize) -> f64 {
    if words.is_empty() {
        return 0.0;
    }
    if words.len() <= window {
        let mut v: Vec<&String> = words.iter().collect();
        v.sort();
        v.dedup();
        return v.len() as f64 / words.len() as f64;
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut distinct = 0usize;
    for w in &words[..window] {
        let e = counts.entry(w.as_str()).or_default();
        if *e == 0 {
            distinct += 1;
        }
        *e += 1;
    }
    let mut total = distinct as f64;
    let mut n = 1.0;
    for i in window..words.len() {
        let out = words[i - window].as_str();
        if let Some(e) = counts.get_mut(out) {
            *e -= 1;
            if *e == 0 {
                distinct -= 1;
            }
        }
        let e = counts.entry(words[i].as_str()).or_default();
        if *e == 0 {
            distinct += 1;
        }
        *e += 1;
        total += distinct as f64;
        n += 1.0;
    }
    total / n / window as f64
}

/// The first three words of the opening line, lower-cased ("here's the thing", "quick one"),
/// with a trailing colon or full stop kept as a word: "Plainly:" and "Plainly," open differently.
pub fn opener_key(line: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for tok in line.split_whitespace() {
        let t = normalize_word(tok);
        let core: String = t.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect();
        if core.is_empty() {
            if t.chars().any(is_emoji) {
                out.push("<emoji>".into());
            }
        } else {
            out.push(core);
        }
        if tok.ends_with([':', '.', '?', '!']) || out.len() >= 3 {
            if let Some(p) = tok.chars().last().filter(|c| matches!(c, ':' | '.' | '?' | '!')) {
                out.push(p.to_string());
            }
            break;
        }
    }
    out.join(" ")
}

/// The closing line, lower-cased, when it is short enough to be a sign-off; else its last
/// three words (punctuation kept: many creators close on a question).
pub fn closer_key(line: &str) -> String {
    let t = line.trim().to_lowercase().replace('’', "'");
    if t.chars().count() <= 24 {
        return t;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let tail = words[words.len().saturating_sub(3)..].join(" ");
    format!("… {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_words_are_sorted_for_binary_search() {
        let mut v = FUNCTION_WORDS.to_vec();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v, FUNCTION_WORDS);
    }

    #[test]
    fn scalar_keys_resolve() {
        for (i, s) in SCALARS.iter().enumerate() {
            assert_eq!(scalar_index(s.key), i);
        }
    }

    #[test]
    fn measures_a_short_post() {
        let f = analyze("Quick one.\nI raised prices by 10%.\n\n→ 3 clients stayed.\n→ 1 left.\n\nRun lean. — M.");
        let g = |k: &str| f.scalars[scalar_index(k)];
        assert_eq!(f.opener, "quick one .");
        assert_eq!(f.closer, "run lean. — m.");
        assert!(g("sentence_words") < 5.0, "{}", g("sentence_words"));
        assert!(g("arrows") > 0.0);
        assert!(g("digits") > 10.0);
        assert_eq!(g("emoji"), 0.0);
        assert!((g("list_lines") - 2.0 / 5.0).abs() < 1e-9);
        assert_eq!(
            f.char_events.len(),
            crate::lm::char_stream(
                "Quick one.\nI raised prices by 10%.\n\n→ 3 clients stayed.\n→ 1 left.\n\nRun lean. — M."
            )
            .len()
        );
    }

    #[test]
    fn openers_keep_their_punctuation() {
        assert_eq!(opener_key("Plainly: you haven't raised prices"), "plainly :");
        assert_eq!(opener_key("Here's the thing about retainers."), "here's the thing");
        assert_eq!(opener_key("🚀 Big news!"), "<emoji> big news !");
    }
}
