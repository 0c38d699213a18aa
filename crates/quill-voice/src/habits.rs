//! The habit detector: which phrases, openers, closers, emoji and structures a batch of drafts
//! uses far more often than the creator does — "your most repetitive habits promoted to
//! management".
//!
//! # Method
//! The unit is the document: an item either appears in a draft or not, so one draft that
//! repeats a phrase five times is one observation, not five. For each item seen in at least
//! `min_docs` drafts, the batch's document frequency is compared with the creator's in a 2×2
//! table by a one-sided Fisher exact test (exact for the tiny counts a batch of ten drafts
//! gives; the G² log-likelihood ratio is reported alongside as the effect statistic). The
//! p-values of all items tested are corrected with Benjamini–Hochberg, and an item is flagged
//! only when its q-value is below `alpha` *and* its smoothed rate ratio is at least
//! `min_ratio`, so a significant but trivial difference is not shouted about.
//!
//! # Amplification index
//! One number for the batch: over the creator's *signature* items (multi-word phrases with a
//! content word, openers, closers, emoji and structures in at least 10% of their texts), the batch's summed document
//! frequency divided by the creator's. 1 means "uses your habits as often as you do"; 2 means
//! twice as often. Choosing the signature items and measuring their rate on the same texts
//! would bias the index low (items picked for being frequent regress toward the mean), so it
//! is cross-fitted: items are chosen on one half of the creator's texts and their rate measured
//! on the other half, both ways round, and averaged.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::features::{FUNCTION_WORDS, closer_key, opener_key};
use crate::text::{Document, is_emoji, words_lower};

/// What kind of habit an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HabitKind {
    /// A word n-gram (1–4 words) within a sentence.
    Phrase,
    /// The first words of the text.
    Opener,
    /// The last line of the text.
    Closer,
    /// One emoji.
    Emoji,
    /// A shape: ends with a question, uses an arrow list, has hashtags, …
    Structure,
}

/// Knobs; the defaults are what `quill voice habits` uses.
#[derive(Debug, Clone)]
pub struct HabitOptions {
    /// Longest phrase, in words.
    pub max_n: usize,
    /// Test only items present in at least this many drafts.
    pub min_docs: usize,
    /// False-discovery rate for the Benjamini–Hochberg correction.
    pub alpha: f64,
    /// Minimum smoothed ratio of batch rate to creator rate.
    pub min_ratio: f64,
    /// Share of the creator's texts an item needs to count as a signature item.
    pub signature_share: f64,
}

impl Default for HabitOptions {
    fn default() -> Self {
        Self { max_n: 4, min_docs: 2, alpha: 0.05, min_ratio: 2.0, signature_share: 0.10 }
    }
}

/// One item used significantly more in the batch than by the creator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Habit {
    /// Its kind.
    pub kind: HabitKind,
    /// The phrase, opener, closer, emoji or structure name.
    pub item: String,
    /// Drafts containing it.
    pub batch_docs: usize,
    /// Drafts in the batch.
    pub batch_total: usize,
    /// Creator texts containing it.
    pub creator_docs: usize,
    /// Creator texts.
    pub creator_total: usize,
    /// Smoothed ratio of the two rates (add-½).
    pub ratio: f64,
    /// G² log-likelihood ratio statistic.
    pub g2: f64,
    /// One-sided Fisher exact p-value.
    pub p_value: f64,
    /// Benjamini–Hochberg q-value.
    pub q_value: f64,
    /// Plain words: "'here's the thing' opens 9 of 10 drafts; 19% of your posts".
    pub message: String,
}

/// The batch's habits and its amplification index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HabitReport {
    /// Flagged items, most over-used first.
    pub habits: Vec<Habit>,
    /// Batch rate of the creator's signature items over the creator's own rate (1 = same).
    pub amplification: f64,
    /// How many signature items the index averages over (per fold, mean).
    pub signature_items: usize,
    /// Drafts in the batch.
    pub batch_size: usize,
    /// Creator texts compared against.
    pub creator_size: usize,
    /// Items tested (the multiple-comparison family).
    pub tested: usize,
}

/// The set of items in one text.
pub fn items(text: &str, max_n: usize) -> BTreeSet<(HabitKind, String)> {
    let mut out = BTreeSet::new();
    let doc = Document::new(text);
    let masked = doc.masked();
    for r in doc.sentences() {
        let words = words_lower(&masked[r]);
        for n in 1..=max_n {
            for w in words.windows(n) {
                out.insert((HabitKind::Phrase, w.join(" ")));
            }
        }
    }
    let first = text.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).unwrap_or("");
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.is_empty() {
        out.insert((HabitKind::Opener, opener_key(first)));
    }
    if !last.is_empty() {
        out.insert((HabitKind::Closer, closer_key(last)));
    }
    for c in masked.chars().filter(|c| is_emoji(*c)) {
        out.insert((HabitKind::Emoji, c.to_string()));
    }
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut structure = |name: &str, yes: bool| {
        if yes {
            out.insert((HabitKind::Structure, name.to_string()));
        }
    };
    structure("ends with a question", last.trim_end().ends_with('?'));
    structure("arrow list (→)", lines.iter().any(|l| l.starts_with('→') || l.starts_with("->")));
    structure("dash list (-)", lines.iter().filter(|l| l.starts_with("- ") || l.starts_with("* ")).count() >= 2);
    structure(
        "numbered list",
        lines
            .iter()
            .filter(|l| {
                l.split_once(['.', ')']).is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
            .count()
            >= 2,
    );
    structure("emoji bullets", lines.iter().filter(|l| l.chars().next().is_some_and(is_emoji)).count() >= 2);
    structure("hashtags", masked.split_whitespace().any(|w| w.starts_with('#') && w.len() > 1));
    structure("em dash", masked.contains('—'));
    structure("exclamation", masked.contains('!'));
    structure("opens with a question", first.trim_end().ends_with('?'));
    let paragraphs = text.split("\n\n").filter(|p| !p.trim().is_empty()).count().max(1);
    structure("one line per paragraph", paragraphs >= 3 && lines.len() == paragraphs);
    structure("all lower case", !text.chars().any(char::is_uppercase) && text.chars().any(char::is_alphabetic));
    out
}

fn is_signature_candidate(kind: HabitKind, item: &str) -> bool {
    match kind {
        HabitKind::Phrase => {
            // Multi-word phrases with a content word: "the" or "to the" say nothing about a
            // creator, and single topic words ("calendar") are subject matter, not habit.
            item.contains(' ')
                && item
                    .split(' ')
                    .any(|w| FUNCTION_WORDS.binary_search(&w).is_err() && w.chars().any(char::is_alphabetic))
        }
        _ => true,
    }
}

/// Compares a batch of drafts with the creator's own texts. See the module docs for the method.
pub fn detect_habits(creator: &[&str], batch: &[&str], opts: &HabitOptions) -> HabitReport {
    let cre: Vec<BTreeSet<(HabitKind, String)>> = creator.iter().map(|t| items(t, opts.max_n)).collect();
    let bat: Vec<BTreeSet<(HabitKind, String)>> = batch.iter().map(|t| items(t, opts.max_n)).collect();
    let df = |sets: &[BTreeSet<(HabitKind, String)>]| {
        let mut m: HashMap<(HabitKind, String), usize> = HashMap::new();
        for s in sets {
            for it in s {
                *m.entry(it.clone()).or_default() += 1;
            }
        }
        m
    };
    let cdf = df(&cre);
    let bdf = df(&bat);
    let (nr, nb) = (cre.len(), bat.len());

    // Test every item the batch repeats and uses at a higher rate than the creator.
    let mut tested: Vec<Habit> = Vec::new();
    for ((kind, item), &kb) in &bdf {
        if kb < opts.min_docs.max(1) {
            continue;
        }
        let kr = cdf.get(&(*kind, item.clone())).copied().unwrap_or(0);
        let rate_b = (kb as f64 + 0.5) / (nb as f64 + 1.0);
        let rate_r = (kr as f64 + 0.5) / (nr as f64 + 1.0);
        if rate_b <= rate_r {
            continue;
        }
        let p = fisher_greater(kb, nb, kr, nr);
        tested.push(Habit {
            kind: *kind,
            item: item.clone(),
            batch_docs: kb,
            batch_total: nb,
            creator_docs: kr,
            creator_total: nr,
            ratio: rate_b / rate_r,
            g2: g2(kb, nb, kr, nr),
            p_value: p,
            q_value: 1.0,
            message: String::new(),
        });
    }
    let family = tested.len();
    benjamini_hochberg(&mut tested);
    let mut habits: Vec<Habit> =
        tested.into_iter().filter(|h| h.q_value <= opts.alpha && h.ratio >= opts.min_ratio).collect();
    // A phrase inside a longer flagged phrase with the same drafts adds nothing.
    let longer: Vec<(HabitKind, String, usize)> =
        habits.iter().map(|h| (h.kind, h.item.clone(), h.batch_docs)).collect();
    habits.retain(|h| {
        h.kind != HabitKind::Phrase
            || !longer.iter().any(|(k, it, d)| {
                *k == HabitKind::Phrase && it.len() > h.item.len() && *d == h.batch_docs && contains_words(it, &h.item)
            })
    });
    for h in &mut habits {
        h.message = describe(h);
    }
    habits.sort_by(|a, b| a.p_value.total_cmp(&b.p_value).then(b.ratio.total_cmp(&a.ratio)).then(a.item.cmp(&b.item)));

    let (amplification, signature_items) = amplification(&cre, &bat, opts);
    HabitReport { habits, amplification, signature_items, batch_size: nb, creator_size: nr, tested: family }
}

fn contains_words(long: &str, short: &str) -> bool {
    format!(" {long} ").contains(&format!(" {short} "))
}

fn describe(h: &Habit) -> String {
    let what = match h.kind {
        HabitKind::Phrase => format!("'{}' appears in", h.item),
        HabitKind::Opener => format!("opener '{}' starts", h.item),
        HabitKind::Closer => format!("closing line '{}' ends", h.item),
        HabitKind::Emoji => format!("{} appears in", h.item),
        HabitKind::Structure => format!("{} in", h.item),
    };
    let yours = 100.0 * h.creator_docs as f64 / h.creator_total.max(1) as f64;
    format!("{what} {} of {} drafts; {yours:.0}% of your texts", h.batch_docs, h.batch_total)
}

/// Cross-fitted amplification over signature items (see the module docs).
fn amplification(
    cre: &[BTreeSet<(HabitKind, String)>],
    bat: &[BTreeSet<(HabitKind, String)>],
    opts: &HabitOptions,
) -> (f64, usize) {
    if cre.len() < 4 || bat.is_empty() {
        return (1.0, 0);
    }
    let folds: [Vec<usize>; 2] = [(0..cre.len()).step_by(2).collect(), (1..cre.len()).step_by(2).collect()];
    let mut ratios = Vec::new();
    let mut sizes = Vec::new();
    for f in 0..2 {
        let (select, measure) = (&folds[f], &folds[1 - f]);
        let mut count: BTreeMap<&(HabitKind, String), usize> = BTreeMap::new();
        for &i in select {
            for it in &cre[i] {
                *count.entry(it).or_default() += 1;
            }
        }
        let need = ((select.len() as f64) * opts.signature_share).ceil().max(2.0) as usize;
        let sig: Vec<&(HabitKind, String)> = count
            .into_iter()
            .filter(|(it, c)| *c >= need && is_signature_candidate(it.0, &it.1))
            .map(|(it, _)| it)
            .collect();
        if sig.is_empty() {
            continue;
        }
        let rate = |docs: &[&BTreeSet<(HabitKind, String)>]| -> f64 {
            let n = docs.len().max(1) as f64;
            sig.iter().map(|it| docs.iter().filter(|d| d.contains(*it)).count() as f64 / n).sum()
        };
        let measure_docs: Vec<&BTreeSet<(HabitKind, String)>> = measure.iter().map(|&i| &cre[i]).collect();
        let batch_docs: Vec<&BTreeSet<(HabitKind, String)>> = bat.iter().collect();
        let base = rate(&measure_docs);
        if base > 0.0 {
            ratios.push(rate(&batch_docs) / base);
            sizes.push(sig.len());
        }
    }
    if ratios.is_empty() {
        return (1.0, 0);
    }
    (ratios.iter().sum::<f64>() / ratios.len() as f64, sizes.iter().sum::<usize>() / sizes.len())
}

/// G² for the 2×2 table (batch with/without, creator with/without).
pub fn g2(kb: usize, nb: usize, kr: usize, nr: usize) -> f64 {
    let obs = [kb as f64, (nb - kb) as f64, kr as f64, (nr - kr) as f64];
    let n = (nb + nr) as f64;
    let col = [(kb + kr) as f64, (nb - kb + nr - kr) as f64];
    let row = [nb as f64, nr as f64];
    let exp = [row[0] * col[0] / n, row[0] * col[1] / n, row[1] * col[0] / n, row[1] * col[1] / n];
    2.0 * obs.iter().zip(exp).filter(|(o, e)| **o > 0.0 && *e > 0.0).map(|(o, e)| o * (o / e).ln()).sum::<f64>()
}

/// One-sided Fisher exact p-value: P(X ≥ kb) for X hypergeometric with the table's margins,
/// i.e. the chance of the batch having at least this many drafts with the item if drafts and
/// the creator's texts used it at the same rate.
pub fn fisher_greater(kb: usize, nb: usize, kr: usize, nr: usize) -> f64 {
    let k = kb + kr;
    let n = nb + nr;
    let lo = kb;
    let hi = k.min(nb);
    let denom = ln_choose(n, k);
    let mut p = 0.0;
    for x in lo..=hi {
        if k - x > nr {
            continue;
        }
        p += (ln_choose(nb, x) + ln_choose(nr, k - x) - denom).exp();
    }
    p.min(1.0)
}

fn ln_choose(n: usize, k: usize) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

fn ln_factorial(n: usize) -> f64 {
    ln_gamma(n as f64 + 1.0)
}

/// Lanczos approximation of ln Γ(x) (g = 7, n = 9), accurate to ~1e-13 for x > 0.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Benjamini–Hochberg q-values, in place.
fn benjamini_hochberg(tests: &mut [Habit]) {
    let m = tests.len();
    if m == 0 {
        return;
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| tests[a].p_value.total_cmp(&tests[b].p_value));
    let mut running = 1.0f64;
    for rank in (0..m).rev() {
        let i = order[rank];
        let q = (tests[i].p_value * m as f64 / (rank + 1) as f64).min(1.0);
        running = running.min(q);
        tests[i].q_value = running;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_matches_known_values() {
        // Lady tasting tea: 4 of 4 right out of 8 cups → p = 1/70.
        assert!((fisher_greater(4, 4, 0, 4) - 1.0 / 70.0).abs() < 1e-12);
        assert!((fisher_greater(0, 5, 3, 5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ln_gamma_is_accurate() {
        assert!((ln_gamma(1.0)).abs() < 1e-12);
        assert!((ln_gamma(11.0) - (3_628_800f64).ln()).abs() < 1e-9);
    }

    #[test]
    fn g2_is_zero_when_rates_match() {
        assert!(g2(2, 10, 20, 100).abs() < 1e-9);
        assert!(g2(8, 10, 10, 100) > 10.0);
    }

    #[test]
    fn bh_is_monotone() {
        let mk = |p: f64| Habit {
            kind: HabitKind::Phrase,
            item: String::new(),
            batch_docs: 0,
            batch_total: 0,
            creator_docs: 0,
            creator_total: 0,
            ratio: 0.0,
            g2: 0.0,
            p_value: p,
            q_value: 1.0,
            message: String::new(),
        };
        let mut t = vec![mk(0.01), mk(0.04), mk(0.03), mk(0.5)];
        benjamini_hochberg(&mut t);
        let q: Vec<f64> = t.iter().map(|h| (h.q_value * 1000.0).round() / 1000.0).collect();
        assert_eq!(q, vec![0.04, 0.053, 0.053, 0.5]);
    }
}
