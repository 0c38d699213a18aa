//! Duplicate detection for imports.
//!
//! Re-importing an archive, or the same post saved twice with a typo fixed, must not double the
//! library (few-shot examples and training data would over-weight it). Exact duplicates share the
//! hash of their normalised text; near-duplicates have a character-shingle Jaccard similarity of
//! at least [`NEAR_DUPLICATE`]. Candidates are found with MinHash + LSH banding so checking a batch
//! against thousands of entries stays linear, then confirmed with the exact Jaccard.
//!
//! Two entries only count as duplicates when they also share kind and platform: a creator who
//! cross-posts the same text to LinkedIn and X has two entries with two sets of metrics.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

use crate::{Kind, Platform};

/// Similarity at or above which two texts are reported as near-duplicates.
pub const NEAR_DUPLICATE: f64 = 0.85;
const SHINGLE: usize = 5;
const BANDS: usize = 16;
const ROWS: usize = 4;
const HASHES: usize = BANDS * ROWS;

/// The text as compared for exact duplicates: lowercase, whitespace collapsed, invisible
/// characters dropped. Punctuation is kept (near-duplicate detection covers the rest).
pub fn normalize_for_hash(text: &str) -> String {
    let lowered: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SHA-256 (hex) of [`normalize_for_hash`]; stored as `entries.content_hash`.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(normalize_for_hash(text).as_bytes()))
}

fn shingles(text: &str) -> Vec<u64> {
    // Letters and digits only, so punctuation and spacing edits do not count as differences.
    let norm: String =
        text.chars().flat_map(char::to_lowercase).map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    let chars: Vec<char> = norm.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect();
    let mut out: Vec<u64> =
        if chars.len() <= SHINGLE { vec![hash64(&chars)] } else { chars.windows(SHINGLE).map(hash64).collect() };
    out.sort_unstable();
    out.dedup();
    out
}

fn hash64<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: cheap, well distributed, one "hash function" per seed.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn minhash(sh: &[u64]) -> [u64; HASHES] {
    let mut sig = [u64::MAX; HASHES];
    for &s in sh {
        for (i, slot) in sig.iter_mut().enumerate() {
            let h = mix(s ^ (i as u64).wrapping_mul(0xa076_1d64_78bd_642f));
            if h < *slot {
                *slot = h;
            }
        }
    }
    sig
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 { 1.0 } else { inter as f64 / union as f64 }
}

/// A match found by [`DupIndex::find`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DupMatch<R> {
    /// The earlier entry it duplicates.
    pub of: R,
    /// Same normalised text.
    pub exact: bool,
    /// Jaccard similarity (1.0 for exact).
    pub similarity: f64,
}

struct Item<R> {
    scope: (Kind, Platform),
    shingles: Vec<u64>,
    of: R,
}

/// Texts seen so far (existing entries, then the batch as it is accepted).
pub(crate) struct DupIndex<R> {
    items: Vec<Item<R>>,
    by_hash: HashMap<(Kind, Platform, String), usize>,
    bands: HashMap<(Kind, Platform, usize, u64), Vec<usize>>,
}

impl<R: Clone> DupIndex<R> {
    pub fn new() -> Self {
        Self { items: Vec::new(), by_hash: HashMap::new(), bands: HashMap::new() }
    }

    /// Adds a text to compare later ones against.
    pub fn insert(&mut self, kind: Kind, platform: Platform, text: &str, of: R) {
        let idx = self.items.len();
        let hash = content_hash(text);
        let sh = shingles(text);
        let sig = minhash(&sh);
        for b in 0..BANDS {
            let key = hash64(&sig[b * ROWS..(b + 1) * ROWS]);
            self.bands.entry((kind, platform, b, key)).or_default().push(idx);
        }
        self.by_hash.entry((kind, platform, hash)).or_insert(idx);
        self.items.push(Item { scope: (kind, platform), shingles: sh, of });
    }

    /// The most similar earlier text of the same kind and platform, if it is a duplicate.
    pub fn find(&self, kind: Kind, platform: Platform, text: &str) -> Option<DupMatch<R>> {
        let hash = content_hash(text);
        if let Some(&i) = self.by_hash.get(&(kind, platform, hash)) {
            return Some(DupMatch { of: self.items[i].of.clone(), exact: true, similarity: 1.0 });
        }
        let sh = shingles(text);
        let sig = minhash(&sh);
        let mut best: Option<(usize, f64)> = None;
        let mut seen = std::collections::HashSet::new();
        for b in 0..BANDS {
            let key = hash64(&sig[b * ROWS..(b + 1) * ROWS]);
            for &i in self.bands.get(&(kind, platform, b, key)).into_iter().flatten() {
                if !seen.insert(i) || self.items[i].scope != (kind, platform) {
                    continue;
                }
                let s = jaccard(&sh, &self.items[i].shingles);
                if s >= NEAR_DUPLICATE && best.is_none_or(|(_, bs)| s > bs) {
                    best = Some((i, s));
                }
            }
        }
        best.map(|(i, s)| DupMatch { of: self.items[i].of.clone(), exact: false, similarity: s })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_ignores_case_and_spacing() {
        assert_eq!(content_hash("Hello  World\n"), content_hash("hello world"));
        assert_ne!(content_hash("hello world"), content_hash("hello world!"));
    }

    #[test]
    fn near_duplicates_found_and_scoped() {
        let mut idx = DupIndex::new();
        let a = "Most founders do not have a content problem. They have a calendar problem: nothing gets \
                 scheduled, so nothing gets written, so nothing gets shipped.";
        idx.insert(Kind::Post, Platform::Linkedin, a, 1);
        let b = a.replace("founders do not", "founders don't");
        let m = idx.find(Kind::Post, Platform::Linkedin, &b).unwrap();
        assert!(!m.exact && m.similarity >= NEAR_DUPLICATE, "{m:?}");
        assert!(idx.find(Kind::Post, Platform::X, &b).is_none(), "other platform is not a duplicate");
        assert!(idx.find(Kind::Post, Platform::Linkedin, "A completely different post about pricing.").is_none());
        assert!(idx.find(Kind::Post, Platform::Linkedin, &a.to_uppercase()).unwrap().exact);
    }
}
