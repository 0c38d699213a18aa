//! Exact and near-duplicate detection: MinHash signatures (one-permutation hashing) over word
//! 3-gram shingles, with LSH
//! banding to find candidate pairs in linear time, and the exact Jaccard similarity of the
//! shingle sets to confirm each candidate (so the LSH only decides what to compare, never what
//! to report).
//!
//! 64 hash functions in 16 bands of 4 rows: a pair with Jaccard s becomes a candidate with
//! probability 1 − (1 − s⁴)¹⁶ — 0.99 at s = 0.7, 0.23 at s = 0.3 — so pairs at the reporting
//! threshold are almost never missed while unrelated texts are rarely compared.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::text::for_each_word;

/// Number of MinHash functions.
pub const NUM_HASHES: usize = 64;
/// LSH bands (× [`ROWS`] = [`NUM_HASHES`]).
pub const BANDS: usize = 16;
/// Rows per band.
pub const ROWS: usize = 4;
/// Word n-gram size of a shingle.
pub const SHINGLE: usize = 3;
/// Jaccard similarity at or above which two texts are near-duplicates.
pub const NEAR_THRESHOLD: f64 = 0.7;
/// Buckets larger than this are not expanded into pairs (a degenerate text shared by thousands
/// of examples is reported through the exact-duplicate check instead).
const MAX_BUCKET: usize = 256;

/// A text's shingle set and MinHash signature.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Sorted, unique 64-bit shingle hashes.
    pub shingles: Vec<u64>,
    /// MinHash signature (all `u64::MAX` for an empty text).
    pub sig: [u64; NUM_HASHES],
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One-permutation MinHash with rotation densification (Shrivastava & Li, 2014/2017): each
/// shingle is hashed once and lands in one of [`NUM_HASHES`] bins, which keeps the minimum; an
/// empty bin borrows the next non-empty bin's value, salted by the distance. O(shingles) per
/// text instead of O(shingles × hashes), with the same collision probability per bin.
fn signature(shingles: &[u64]) -> [u64; NUM_HASHES] {
    const BITS: u32 = NUM_HASHES.trailing_zeros();
    let mut sig = [u64::MAX; NUM_HASHES];
    for &s in shingles {
        let h = splitmix(s ^ 0x0DD5_EED5);
        let bin = (h >> (64 - BITS)) as usize;
        let v = h & (u64::MAX >> BITS);
        if v < sig[bin] {
            sig[bin] = v;
        }
    }
    if shingles.is_empty() {
        return sig;
    }
    let filled = sig;
    for i in 0..NUM_HASHES {
        if filled[i] == u64::MAX {
            let mut d = 1;
            while filled[(i + d) % NUM_HASHES] == u64::MAX {
                d += 1;
            }
            sig[i] = splitmix(filled[(i + d) % NUM_HASHES] ^ (d as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
    }
    sig
}

impl Doc {
    /// Shingles and signs a text.
    pub fn new(text: &str) -> Self {
        let mut hashes: Vec<u64> = Vec::new();
        for_each_word(text, |x| hashes.push(fnv1a(x)));
        let mut shingles: Vec<u64> = if hashes.len() < SHINGLE {
            if hashes.is_empty() {
                Vec::new()
            } else {
                vec![splitmix(hashes.iter().fold(0, |a, &h| a.rotate_left(21) ^ h))]
            }
        } else {
            hashes.windows(SHINGLE).map(|g| splitmix(g[0] ^ g[1].rotate_left(21) ^ g[2].rotate_left(42))).collect()
        };
        shingles.sort_unstable();
        shingles.dedup();
        Self { sig: signature(&shingles), shingles }
    }

    /// Whether the text had no words.
    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty()
    }

    fn band_key(&self, band: usize) -> u64 {
        let mut h = splitmix(band as u64 + 0x5151);
        for v in &self.sig[band * ROWS..(band + 1) * ROWS] {
            h = splitmix(h ^ v);
        }
        h
    }
}

/// Exact Jaccard similarity of two shingle sets.
pub fn jaccard(a: &Doc, b: &Doc) -> f64 {
    let inter = intersection(&a.shingles, &b.shingles);
    let union = a.shingles.len() + b.shingles.len() - inter;
    if union == 0 { 0.0 } else { inter as f64 / union as f64 }
}

/// Share of `part`'s shingles found in `whole` (a passage copied into a longer text).
pub fn containment(part: &Doc, whole: &Doc) -> f64 {
    if part.shingles.is_empty() {
        return 0.0;
    }
    intersection(&part.shingles, &whole.shingles) as f64 / part.shingles.len() as f64
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Signs many texts in parallel.
pub fn docs<S: AsRef<str> + Sync>(texts: &[S]) -> Vec<Doc> {
    texts.par_iter().map(|t| Doc::new(t.as_ref())).collect()
}

/// An LSH index over a set of docs, for "which of these is close to that?" queries.
pub struct Index<'a> {
    docs: &'a [Doc],
    buckets: HashMap<u64, Vec<u32>>,
}

impl<'a> Index<'a> {
    /// Indexes `docs` (empty texts are left out).
    pub fn new(docs: &'a [Doc]) -> Self {
        let mut buckets: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            if d.is_empty() {
                continue;
            }
            for band in 0..BANDS {
                buckets.entry(d.band_key(band)).or_default().push(i as u32);
            }
        }
        Self { docs, buckets }
    }

    /// Indexed docs whose Jaccard similarity with `q` is at least `threshold`, best first.
    pub fn query(&self, q: &Doc, threshold: f64) -> Vec<(usize, f64)> {
        if q.is_empty() {
            return Vec::new();
        }
        let mut seen: Vec<u32> = Vec::new();
        for band in 0..BANDS {
            if let Some(b) = self.buckets.get(&q.band_key(band)) {
                seen.extend(b.iter().take(MAX_BUCKET * 4));
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut out: Vec<(usize, f64)> = seen
            .into_iter()
            .map(|i| (i as usize, jaccard(q, &self.docs[i as usize])))
            .filter(|&(_, s)| s >= threshold)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// All pairs `(i, j)`, `i < j`, with Jaccard ≥ `threshold`, found through shared buckets.
    /// `skip[i]` leaves a doc out (e.g. it is an exact duplicate already reported).
    pub fn pairs_within(&self, threshold: f64, skip: &[bool]) -> Vec<(usize, usize, f64)> {
        let mut cand: Vec<(u32, u32)> = Vec::new();
        for b in self.buckets.values() {
            if b.len() < 2 || b.len() > MAX_BUCKET {
                continue;
            }
            for x in 0..b.len() {
                for y in x + 1..b.len() {
                    let (i, j) = (b[x].min(b[y]), b[x].max(b[y]));
                    if !skip.get(i as usize).copied().unwrap_or(false)
                        && !skip.get(j as usize).copied().unwrap_or(false)
                    {
                        cand.push((i, j));
                    }
                }
            }
        }
        cand.sort_unstable();
        cand.dedup();
        let mut out: Vec<(usize, usize, f64)> = cand
            .par_iter()
            .map(|&(i, j)| (i as usize, j as usize, jaccard(&self.docs[i as usize], &self.docs[j as usize])))
            .filter(|&(_, _, s)| s >= threshold)
            .collect();
        out.sort_by_key(|a| (a.0, a.1));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_are_found_and_unrelated_texts_are_not() {
        let base = "Send the welcome email within 4 hours of the signed contract. Name 1 person as their main contact. Book the kickoff before you hang up the sales call. Share a 1-page calendar of the first 30 days.";
        let edited = "Send the welcome email within 4 hours of the signed contract. Name 1 person as their main contact. Book the kickoff before you hang up the call. Share a 1-page calendar of the first 30 days.";
        let other = "Meetings eat the calendar. I cap mine at 6 hours a week and guard the rest for deep work and client delivery, with no exceptions on Fridays.";
        let d = docs(&[base, edited, other]);
        let s = jaccard(&d[0], &d[1]);
        assert!(s > 0.8, "{s}");
        let idx = Index::new(&d);
        assert_eq!(idx.pairs_within(NEAR_THRESHOLD, &[false; 3]), vec![(0, 1, s)]);
        assert_eq!(idx.query(&Doc::new(edited), NEAR_THRESHOLD).first().map(|x| x.0), Some(1));
        assert!(jaccard(&d[0], &d[2]) < 0.05);
    }

    #[test]
    fn containment_sees_a_passage_inside_a_longer_text() {
        let passage = Doc::new("Book the kickoff before you hang up the sales call and send the calendar.");
        let whole = Doc::new(
            "Quick one. Book the kickoff before you hang up the sales call and send the calendar. Then wait for nothing and nobody.",
        );
        assert!(containment(&passage, &whole) > 0.99);
        assert!(jaccard(&passage, &whole) < 0.7);
    }
}
