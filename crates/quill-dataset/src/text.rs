//! Word-level text helpers shared by brief derivation, leakage and duplicate checks.
//!
//! One definition of "a word" everywhere matters: the no-leak guarantee of a brief ("no 6-gram of
//! the post appears in its prompt") is only as good as the tokenisation the check and the test
//! agree on.

use std::collections::HashSet;

/// Lowercased words: runs of letters/digits, with an apostrophe kept inside a word ("here's").
/// Curly apostrophes are folded to `'` so "Here’s" and "Here's" are the same word.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(text, |w| out.push(w.to_string()));
    out
}

/// Calls `f` with each word of [`words`] without allocating a string per word (one reused
/// buffer): the hot path of duplicate detection over 100k-line files.
pub fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            if c.is_ascii() {
                cur.push(c.to_ascii_lowercase());
            } else {
                cur.extend(c.to_lowercase());
            }
        } else if (c == '\'' || c == '’') && !cur.is_empty() && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
            cur.push('\'');
        } else if !cur.is_empty() {
            f(&cur);
            cur.clear();
        }
    }
    if !cur.is_empty() {
        f(&cur);
    }
}

/// A 64-bit hash of [`normalize`]`(text)`, computed without building the string.
pub fn norm_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for_each_word(text, |w| {
        for b in w.bytes().chain(std::iter::once(b' ')) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    });
    h
}

/// The word n-grams of `text`, joined by single spaces.
pub fn ngrams(words: &[String], n: usize) -> HashSet<String> {
    if n == 0 || words.len() < n {
        return HashSet::new();
    }
    words.windows(n).map(|w| w.join(" ")).collect()
}

/// The n-grams of `target` that also appear in `prompt` (sorted, for stable messages).
pub fn shared_ngrams(target: &str, prompt: &str, n: usize) -> Vec<String> {
    let t = ngrams(&words(target), n);
    let p = ngrams(&words(prompt), n);
    let mut shared: Vec<String> = t.intersection(&p).cloned().collect();
    shared.sort();
    shared
}

/// Text normalised for exact-duplicate comparison: lowercased words joined by spaces, so
/// punctuation, case and whitespace differences do not hide a duplicate.
pub fn normalize(text: &str) -> String {
    words(text).join(" ")
}

/// English function words: never keywords, and a dangling one at the end of a text is a sign
/// the text was cut off.
pub const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
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
    "don't",
    "down",
    "during",
    "each",
    "even",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "here's",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "just",
    "let",
    "like",
    "made",
    "make",
    "many",
    "me",
    "more",
    "most",
    "much",
    "must",
    "my",
    "never",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
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
    "same",
    "she",
    "should",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they're",
    "thing",
    "things",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "way",
    "we",
    "we're",
    "were",
    "what",
    "what's",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won't",
    "would",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "it'll",
    "isn't",
    "aren't",
    "wasn't",
    "didn't",
    "doesn't",
    "can't",
    "ever",
    "really",
    "week",
    "day",
    "days",
    "time",
    "said",
    "say",
    "says",
    "go",
    "going",
    "know",
    "want",
    "need",
    "see",
    "first",
    "last",
    "next",
    "new",
    "yes",
    "yet",
    "nobody",
    "nothing",
    "someone",
    "something",
    "everyone",
    "anything",
    "two",
    "three",
    "quick",
    "true",
    "story",
];

/// Whether `w` (lowercase) is a function word.
pub fn is_stopword(w: &str) -> bool {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().copied().collect()).contains(w)
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_inner_apostrophes_and_fold_curly_ones() {
        assert_eq!(
            words("Here’s the thing: it's 3 days—not 9."),
            ["here's", "the", "thing", "it's", "3", "days", "not", "9"]
        );
        assert_eq!(words("'quoted' → done"), ["quoted", "done"]);
    }

    #[test]
    fn shared_ngrams_finds_copied_runs() {
        let t = "Send the welcome email within 4 hours of the contract.";
        assert_eq!(
            shared_ngrams(t, "please send the welcome email within 4 hours ok", 6),
            ["send the welcome email within 4", "the welcome email within 4 hours"]
        );
        assert!(shared_ngrams(t, "welcome email, contract, hours", 6).is_empty());
    }
}
