//! The creator's voice profile: what their own writing looks like, measured, weighted toward
//! their best work, and calibrated against itself.
//!
//! # Calibration
//! A raw similarity means nothing on its own (−1.9 nats per character — is that close?). So every
//! component is calibrated on the creator's own texts by leave-one-out: each text is compared
//! with the profile built from all the *other* texts, and the mean and spread of those
//! similarities become the yardstick. A draft's component score is then a z-score: 0 means "as
//! close as a typical post of yours", −3 means "further than nearly all of them". Because the
//! yardstick is the creator's own variation, the combined score means the same thing for a
//! creator with a tight, consistent style and for one who ranges widely — which is also what
//! lets one author's profile be compared with another's in the attribution test.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::features::{FUNCTION_WORDS, SCALARS, TextFeatures, analyze};
use crate::lm::{Counts, Kind, NgramModel};
use crate::{Error, Result};

/// Profile format version; bump when the stored layout or the meaning of a number changes.
pub const PROFILE_VERSION: u32 = 3;

/// One of the creator's texts, with how much it should count.
#[derive(Debug, Clone, Copy)]
pub struct ProfileText<'a> {
    /// The text (body only, no front matter).
    pub text: &'a str,
    /// Relative weight; see [`weight_for`]. Must be positive.
    pub weight: f64,
    /// Its sentence embedding, when an embedder is available.
    pub embedding: Option<&'a [f32]>,
}

/// The weight of a library entry: best work counts more. A 5-star post counts 1.5×, a 1-star
/// 0.5×, unrated 1×; a performance score in [0, 1] (the entry's percentile among the creator's
/// posts on that platform) scales it by 0.75–1.25.
pub fn weight_for(rating: Option<u8>, performance: Option<f64>) -> f64 {
    let r = rating.map(|r| 1.0 + 0.25 * (r.clamp(1, 5) as f64 - 3.0)).unwrap_or(1.0);
    let p = performance.map(|p| 0.75 + 0.5 * p.clamp(0.0, 1.0)).unwrap_or(1.0);
    r * p
}

/// Mean and spread of one scalar feature in the creator's writing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarStat {
    /// Feature key (see [`SCALARS`]).
    pub key: String,
    /// Weighted mean.
    pub mean: f64,
    /// Weighted standard deviation, with the feature's floor folded in.
    pub sd: f64,
}

/// A recurring opener or closer and how often (weighted share of texts) it appears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyShare {
    /// Normalised key.
    pub key: String,
    /// Weighted share of texts, 0–1.
    pub share: f64,
    /// The line as the creator wrote it (for reasons).
    pub example: String,
}

/// Mean and spread of a similarity on the creator's own texts (leave-one-out).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Yardstick {
    /// Mean similarity of an own text to the rest.
    pub mean: f64,
    /// Its standard deviation.
    pub sd: f64,
}

impl Yardstick {
    /// `(x - mean) / sd`.
    pub fn z(&self, x: f64) -> f64 {
        (x - self.mean) / self.sd.max(1e-9)
    }
}

/// The calibration of every component and of the combined score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Mean log-probability per character under the character model.
    pub char_ngrams: Yardstick,
    /// Mean log-probability per token under the word-token model.
    pub words: Yardstick,
    /// Mean log-probability of the function words under the creator's distribution.
    pub function_words: Yardstick,
    /// Mean Gaussian log-density of the scalar features.
    pub style: Yardstick,
    /// Log-probability of the opener and the closer.
    pub signature: Yardstick,
    /// Embedding cosine to the centroid, when embeddings were given.
    pub embedding: Option<Yardstick>,
    /// The combined similarity of own texts, to standardise the final score.
    pub combined: Yardstick,
}

/// A creator's voice profile. Serialisable: the workspace stores it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// [`PROFILE_VERSION`] when built.
    pub version: u32,
    /// Number of texts.
    pub texts: usize,
    /// Their total weight.
    pub total_weight: f64,
    /// Total words.
    pub words: usize,
    /// Scalar features ([`SCALARS`] order).
    pub scalars: Vec<ScalarStat>,
    /// Smoothed log-probabilities of [`FUNCTION_WORDS`] (given a function word).
    pub function_word_logp: Vec<f64>,
    /// The character model (n-grams up to [`crate::lm::CHAR_ORDER`]).
    pub char_model: NgramModel,
    /// The word-token model (n-grams up to [`crate::lm::WORD_ORDER`]).
    pub word_model: NgramModel,
    /// Openers by weighted share, most common first.
    pub openers: Vec<KeyShare>,
    /// Closers by weighted share, most common first.
    pub closers: Vec<KeyShare>,
    /// Every word the creator used, with its weighted count (for the vocabulary reasons).
    pub vocabulary: BTreeMap<String, f64>,
    /// Mean embedding, when embeddings were given.
    pub embedding: Option<Vec<f32>>,
    /// Leave-one-out calibration.
    pub calibration: Calibration,
}

/// Additive smoothing for function-word probabilities (pseudo-counts spread evenly).
const FW_ALPHA: f64 = 0.5;
/// How many different openers (or closers) an unseen one is assumed to be one of.
const KEY_KINDS: f64 = 1000.0;
/// |z| above this counts no more (one wild feature must not decide the score).
pub(crate) const Z_CAP: f64 = 4.0;

/// Component weights and scales in the combined similarity.
///
/// Each component is divided by a fixed *scale* so the components add up in the same units for
/// every profile; that shared unit is what makes the combined similarity comparable across
/// profiles (attribution ranks by it). The per-creator calibration is applied afterwards and
/// only maps it onto 0–100.
///
/// Scales and weights were chosen on *training* texts only, by 5-fold cross-validation within
/// each author's training texts in two benchmarks, counted equally: 20 authors of ~150-word
/// passages (19 novelists and the sample creator) and the 9 authors of short posts in
/// `examples/`. A component's scale is the spread of its similarity across the candidate
/// profiles; the weights are a non-negative conditional-logit fit (softmax over the
/// candidates) for picking the true author. Function words
/// got no weight: on ~150-word texts they add nothing the two language models do not already
/// carry (alone 0.34 top-1 on the novels in cross-validation, the character and word models
/// 0.855 and 0.85, all together 0.88). They stay in the output for inspection. See
/// `docs/benchmarks/voice.md` and the ignored test
/// `component_weights_by_cross_validation_on_training_texts` in `tests/attribution_novels.rs`.
/// The embedding's weight and scale are a prior, not a measurement.
///
/// An earlier design z-scored each component by each author's own spread before combining;
/// broad, varied authors then absorbed everyone else's texts, see `docs/benchmarks/voice.md`.
pub(crate) const COMPONENTS: &[(&str, f64, f64)] = &[
    // (name, weight, scale)
    ("char_ngrams", 1.0, 0.124),
    ("words", 0.67, 0.50),
    ("function_words", 0.0, 0.14),
    ("style", 0.41, 0.46),
    ("signature", 0.15, 0.92),
    ("embedding", 0.5, 0.05),
];

/// Running sums from which the profile — and every leave-one-out profile — is computed.
struct Sums<'f> {
    feats: &'f [TextFeatures],
    weights: Vec<f64>,
    total_w: f64,
    sx: Vec<f64>,
    sxx: Vec<f64>,
    fw: Vec<f64>,
    chars: Counts,
    words: Counts,
    vocab: HashMap<&'f str, f64>,
    openers: HashMap<String, f64>,
    closers: HashMap<String, f64>,
    emb: Option<Vec<f64>>,
    embs: Vec<Option<Vec<f32>>>,
}

impl<'f> Sums<'f> {
    fn new(feats: &'f [TextFeatures], weights: Vec<f64>, embs: Vec<Option<Vec<f32>>>) -> Self {
        let k = SCALARS.len();
        let mut s = Sums {
            feats,
            total_w: weights.iter().sum(),
            weights,
            sx: vec![0.0; k],
            sxx: vec![0.0; k],
            fw: vec![0.0; FUNCTION_WORDS.len()],
            chars: Counts::default(),
            words: Counts::default(),
            vocab: HashMap::new(),
            openers: HashMap::new(),
            closers: HashMap::new(),
            emb: None,
            embs,
        };
        let all_emb = s.embs.iter().all(Option::is_some) && !s.embs.is_empty();
        let dim = s.embs.first().and_then(|e| e.as_ref().map(Vec::len)).unwrap_or(0);
        if all_emb && dim > 0 && s.embs.iter().all(|e| e.as_ref().is_some_and(|v| v.len() == dim)) {
            s.emb = Some(vec![0.0; dim]);
        }
        for (i, f) in feats.iter().enumerate() {
            let w = s.weights[i];
            for (j, &x) in f.scalars.iter().enumerate() {
                s.sx[j] += w * x;
                s.sxx[j] += w * x * x;
            }
            for (j, &c) in f.function_words.iter().enumerate() {
                s.fw[j] += w * c as f64;
            }
            s.chars.add(&f.char_events, w);
            s.words.add(&f.word_events, w);
            for (word, &c) in &f.vocabulary {
                *s.vocab.entry(word.as_str()).or_default() += w * c as f64;
            }
            *s.openers.entry(f.opener.clone()).or_default() += w;
            *s.closers.entry(f.closer.clone()).or_default() += w;
            if let (Some(acc), Some(Some(e))) = (s.emb.as_mut(), s.embs.get(i)) {
                for (a, &x) in acc.iter_mut().zip(e.iter()) {
                    *a += w * x as f64;
                }
            }
        }
        s
    }

    /// Scalar means and sds, optionally leaving text `skip` out.
    fn scalar_stats(&self, skip: Option<usize>) -> (Vec<f64>, Vec<f64>) {
        let (mut w, mut sx, mut sxx) = (self.total_w, self.sx.clone(), self.sxx.clone());
        if let Some(i) = skip {
            let wi = self.weights[i];
            w -= wi;
            for (j, &x) in self.feats[i].scalars.iter().enumerate() {
                sx[j] -= wi * x;
                sxx[j] -= wi * x * x;
            }
        }
        let w = w.max(1e-9);
        let mean: Vec<f64> = sx.iter().map(|s| s / w).collect();
        let sd = mean
            .iter()
            .zip(&sxx)
            .zip(SCALARS)
            .map(|((m, q), def)| ((q / w - m * m).max(0.0) + def.floor * def.floor).sqrt())
            .collect();
        (mean, sd)
    }

    fn fw_logp(&self, skip: Option<usize>) -> Vec<f64> {
        let mut c = self.fw.clone();
        if let Some(i) = skip {
            let wi = self.weights[i];
            for (j, &x) in self.feats[i].function_words.iter().enumerate() {
                c[j] -= wi * x as f64;
            }
        }
        let total: f64 = c.iter().map(|x| x.max(0.0)).sum::<f64>() + FW_ALPHA * c.len() as f64;
        c.iter().map(|x| ((x.max(0.0) + FW_ALPHA) / total).ln()).collect()
    }

    /// Leave-one-out mean log-probability of text `i`'s characters.
    fn char_sim(&self, i: usize) -> f64 {
        let f = &self.feats[i];
        self.chars.mean_logp(Kind::Chars, &f.char_events, Some((&Counts::of(&f.char_events), self.weights[i])))
    }

    /// Leave-one-out mean log-probability of text `i`'s word tokens.
    fn word_sim(&self, i: usize) -> Option<f64> {
        let f = &self.feats[i];
        (!f.word_events.is_empty()).then(|| {
            self.words.mean_logp(Kind::Words, &f.word_events, Some((&Counts::of(&f.word_events), self.weights[i])))
        })
    }

    fn key_sim(map: &HashMap<String, f64>, total: f64, key: &str, skip_w: f64) -> f64 {
        let c = (map.get(key).copied().unwrap_or(0.0) - skip_w).max(0.0);
        let kinds = map.len() - usize::from(c <= 1e-9 && map.contains_key(key));
        key_logp(c, total - skip_w, kinds as f64)
    }

    fn sig_sim(&self, i: usize) -> f64 {
        let f = &self.feats[i];
        let wi = self.weights[i];
        Self::key_sim(&self.openers, self.total_w, &f.opener, wi)
            + Self::key_sim(&self.closers, self.total_w, &f.closer, wi)
    }

    fn emb_sim(&self, i: usize) -> Option<f64> {
        let acc = self.emb.as_ref()?;
        let e = self.embs.get(i)?.as_ref()?;
        let wi = self.weights[i];
        let rest: Vec<f64> = acc.iter().zip(e.iter()).map(|(a, &x)| a - wi * x as f64).collect();
        Some(cosine64(e, &rest))
    }
}

/// Builds a profile from the creator's texts.
///
/// Needs at least 3 texts with words (the leave-one-out calibration needs a spread). Weights
/// must be positive; use [`weight_for`] to derive them from ratings and performance.
pub fn build_profile(texts: &[ProfileText<'_>]) -> Result<Profile> {
    let feats: Vec<TextFeatures> = texts.iter().map(|t| analyze(t.text)).collect();
    let keep: Vec<usize> = (0..texts.len()).filter(|&i| feats[i].words > 0 && texts[i].weight > 0.0).collect();
    if keep.len() < 3 {
        return Err(Error::NotEnoughData(format!(
            "a voice profile needs at least 3 of your texts with words in them; found {}\n  hint: import posts with `quill library import`",
            keep.len()
        )));
    }
    let feats: Vec<TextFeatures> = keep.iter().map(|&i| feats[i].clone()).collect();
    let weights: Vec<f64> = keep.iter().map(|&i| texts[i].weight).collect();
    let embs: Vec<Option<Vec<f32>>> = keep.iter().map(|&i| texts[i].embedding.map(<[f32]>::to_vec)).collect();
    let raw: Vec<&str> = keep.iter().map(|&i| texts[i].text).collect();
    Ok(build_from_features(&feats, weights, embs, &raw))
}

pub(crate) fn build_from_features(
    feats: &[TextFeatures],
    weights: Vec<f64>,
    embs: Vec<Option<Vec<f32>>>,
    raw: &[&str],
) -> Profile {
    let sums = Sums::new(feats, weights, embs);
    let n = feats.len();

    // Leave-one-out similarities of every own text, per component.
    let mut loo: Vec<Sims> = Vec::with_capacity(n);
    for (i, f) in feats.iter().enumerate() {
        let (mean, sd) = sums.scalar_stats(Some(i));
        let logp = sums.fw_logp(Some(i));
        loo.push(Sims {
            char_ngrams: sums.char_sim(i),
            words: sums.word_sim(i),
            function_words: fw_sim(&f.function_words, &logp),
            style: style_sim(&f.scalars, &mean, &sd),
            signature: sums.sig_sim(i),
            embedding: sums.emb_sim(i),
        });
    }
    let w = &sums.weights;
    let yard = |get: &dyn Fn(&Sims) -> Option<f64>| -> Option<Yardstick> {
        let pts: Vec<(f64, f64)> = loo.iter().zip(w).filter_map(|(s, &w)| get(s).map(|x| (x, w))).collect();
        if pts.len() < 2 {
            return None;
        }
        Some(weighted_yardstick(&pts))
    };
    let fw_fallback = Yardstick { mean: 0.0, sd: 1.0 };
    // A component that never varies on own texts (every opener unique) would make any draft
    // look infinitely far; its spread is floored at half its shared scale.
    let floor = |y: Option<Yardstick>, name: &str| {
        y.map(|y| {
            let scale = COMPONENTS.iter().find(|c| c.0 == name).map(|c| c.2).unwrap_or(1.0);
            Yardstick { mean: y.mean, sd: y.sd.max(0.5 * scale) }
        })
    };
    let mut calibration = Calibration {
        char_ngrams: floor(yard(&|s| Some(s.char_ngrams)), "char_ngrams").unwrap_or(fw_fallback),
        words: floor(yard(&|s| s.words), "words").unwrap_or(fw_fallback),
        function_words: floor(yard(&|s| s.function_words), "function_words").unwrap_or(fw_fallback),
        style: floor(yard(&|s| Some(s.style)), "style").unwrap_or(fw_fallback),
        signature: floor(yard(&|s| Some(s.signature)), "signature").unwrap_or(fw_fallback),
        embedding: if sums.emb.is_some() { floor(yard(&|s| s.embedding), "embedding") } else { None },
        combined: Yardstick { mean: 0.0, sd: 1.0 },
    };
    let combined: Vec<(f64, f64)> = loo.iter().zip(w).map(|(s, &w)| (combined_similarity(s), w)).collect();
    calibration.combined = weighted_yardstick(&combined);
    calibration.combined.sd = calibration.combined.sd.max(0.25);

    let (mean, sd) = sums.scalar_stats(None);
    let scalars = SCALARS
        .iter()
        .zip(mean.iter().zip(&sd))
        .map(|(d, (&m, &s))| ScalarStat { key: d.key.to_string(), mean: m, sd: s })
        .collect();
    let total_w = sums.total_w;
    let vocabulary: BTreeMap<String, f64> = sums.vocab.iter().map(|(&w, &c)| (w.to_string(), c)).collect();
    let examples = |first: bool| -> HashMap<String, String> {
        let mut m = HashMap::new();
        for (f, t) in feats.iter().zip(raw) {
            let line = if first {
                t.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            } else {
                t.lines().rev().find(|l| !l.trim().is_empty())
            };
            let key = if first { &f.opener } else { &f.closer };
            let line = line.unwrap_or("").trim();
            // Show an opener as the creator wrote its first words, not the whole first line.
            let shown = if first {
                let n = key
                    .split(' ')
                    .filter(|w| w.chars().any(char::is_alphanumeric) || w.starts_with('<'))
                    .count()
                    .max(1);
                line.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
            } else {
                line.to_string()
            };
            m.entry(key.clone()).or_insert(shown);
        }
        m
    };
    let shares = |map: &HashMap<String, f64>, ex: HashMap<String, String>| -> Vec<KeyShare> {
        let mut v: Vec<KeyShare> = map
            .iter()
            .map(|(k, &c)| KeyShare {
                key: k.clone(),
                share: c / total_w,
                example: ex.get(k).cloned().unwrap_or_default(),
            })
            .collect();
        v.sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.key.cmp(&b.key)));
        v
    };
    Profile {
        version: PROFILE_VERSION,
        texts: n,
        total_weight: total_w,
        words: feats.iter().map(|f| f.words).sum(),
        scalars,
        function_word_logp: sums.fw_logp(None),
        char_model: sums.chars.to_model(Kind::Chars),
        word_model: sums.words.to_model(Kind::Words),
        openers: shares(&sums.openers, examples(true)),
        closers: shares(&sums.closers, examples(false)),
        vocabulary,
        embedding: sums.emb.as_ref().map(|acc| acc.iter().map(|a| (a / total_w) as f32).collect()),
        calibration,
    }
}

/// Raw similarities of one text to a profile, per component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sims {
    /// Mean log-probability per character under the character model.
    pub char_ngrams: f64,
    /// Mean log-probability per token under the word-token model (None when the text has none).
    pub words: Option<f64>,
    /// Mean function-word log-probability (None when the text has no function words).
    pub function_words: Option<f64>,
    /// Mean Gaussian log-density of the scalar features (|z| capped).
    pub style: f64,
    /// Opener + closer log-probability.
    pub signature: f64,
    /// Embedding cosine (None without embeddings).
    pub embedding: Option<f64>,
}

/// Witten–Bell log-probability of an opener or closer seen with weight `count` among `total`
/// texts with `kinds` different ones; an unseen one shares the "something new" mass.
fn key_logp(count: f64, total: f64, kinds: f64) -> f64 {
    let kinds = kinds.max(1.0);
    let den = total.max(0.0) + kinds;
    if count > 1e-9 { (count / den).ln() } else { (kinds / den / KEY_KINDS).ln() }
}

pub(crate) fn fw_sim(counts: &[u32], logp: &[f64]) -> Option<f64> {
    let n: u32 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    Some(counts.iter().zip(logp).map(|(&c, &l)| c as f64 * l).sum::<f64>() / n as f64)
}

/// Mean Gaussian log-density of the scalar features under the profile's means and spreads,
/// each |z| capped at [`Z_CAP`] so one wild feature cannot decide. The `ln sd` term matters when
/// profiles are compared: a writer who varies a lot explains any value a little, a consistent
/// one explains their own values well and others badly. (The first design used the mean |z|
/// without it; on the novels benchmark's cross-validation the density does better.)
pub(crate) fn style_sim(x: &[f64], mean: &[f64], sd: &[f64]) -> f64 {
    let k = x.len().max(1) as f64;
    -x.iter()
        .zip(mean)
        .zip(sd)
        .map(|((x, m), s)| {
            let s = s.max(1e-9);
            0.5 * ((x - m) / s).abs().min(Z_CAP).powi(2) + s.ln()
        })
        .sum::<f64>()
        / k
}

/// The combined similarity: the weighted mean of each available component divided by its
/// scale. Same units for every profile, so it can rank profiles against each other.
pub fn combined_similarity(s: &Sims) -> f64 {
    let mut num = 0.0;
    let mut den = 0.0;
    for &(name, w, scale) in COMPONENTS {
        let v = match name {
            "char_ngrams" => Some(s.char_ngrams),
            "words" => s.words,
            "function_words" => s.function_words,
            "style" => Some(s.style),
            "signature" => Some(s.signature),
            _ => s.embedding,
        };
        if let Some(v) = v {
            num += w * v / scale;
            den += w;
        }
    }
    if den > 0.0 { num / den } else { 0.0 }
}

/// Each available component's calibrated z-score (0 = like a typical own text), for display.
pub(crate) fn component_z(cal: &Calibration, s: &Sims) -> Vec<(&'static str, f64, f64)> {
    let cap = |z: f64| z.clamp(-3.0 * Z_CAP, Z_CAP);
    let mut parts: Vec<(&'static str, f64, f64)> = Vec::new();
    for &(name, w, _) in COMPONENTS {
        let z = match name {
            "char_ngrams" => Some(cal.char_ngrams.z(s.char_ngrams)),
            "words" => s.words.map(|x| cal.words.z(x)),
            "function_words" => s.function_words.map(|f| cal.function_words.z(f)),
            "style" => Some(cal.style.z(s.style)),
            "signature" => Some(cal.signature.z(s.signature)),
            _ => s.embedding.zip(cal.embedding).map(|(e, y)| y.z(e)),
        };
        if let Some(z) = z {
            parts.push((name, w, cap(z)));
        }
    }
    parts
}

fn weighted_yardstick(pts: &[(f64, f64)]) -> Yardstick {
    let w: f64 = pts.iter().map(|p| p.1).sum::<f64>().max(1e-9);
    let mean = pts.iter().map(|p| p.0 * p.1).sum::<f64>() / w;
    let var = pts.iter().map(|p| p.1 * (p.0 - mean).powi(2)).sum::<f64>() / w;
    let n = pts.len() as f64;
    let sd = (var * n / (n - 1.0).max(1.0)).sqrt();
    Yardstick { mean, sd: sd.max(1e-6) }
}

fn cosine64(a: &[f32], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(&x, &y)| x as f64 * y).sum();
    let na: f64 = a.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}

impl Profile {
    /// Raw similarities of a measured text to this profile.
    pub fn similarities(&self, f: &TextFeatures, embedding: Option<&[f32]>) -> Sims {
        let mean: Vec<f64> = self.scalars.iter().map(|s| s.mean).collect();
        let sd: Vec<f64> = self.scalars.iter().map(|s| s.sd).collect();
        let key = |list: &[KeyShare], key: &str| {
            let share = list.iter().find(|k| k.key == key).map_or(0.0, |k| k.share);
            key_logp(share * self.total_weight, self.total_weight, list.len() as f64)
        };
        let embedding = match (&self.embedding, embedding) {
            (Some(c), Some(e)) if c.len() == e.len() => {
                Some(cosine64(e, &c.iter().map(|&x| x as f64).collect::<Vec<_>>()))
            }
            _ => None,
        };
        Sims {
            char_ngrams: self.char_model.mean_logp(Kind::Chars, &f.char_events),
            words: (!f.word_events.is_empty()).then(|| self.word_model.mean_logp(Kind::Words, &f.word_events)),
            function_words: fw_sim(&f.function_words, &self.function_word_logp),
            style: style_sim(&f.scalars, &mean, &sd),
            signature: key(&self.openers, &f.opener) + key(&self.closers, &f.closer),
            embedding,
        }
    }

    /// The scalar stat for a key.
    pub fn scalar(&self, key: &str) -> Option<&ScalarStat> {
        self.scalars.iter().find(|s| s.key == key)
    }

    /// Checks a profile read back from storage is one this build understands.
    pub fn validate(&self) -> Result<()> {
        if self.version != PROFILE_VERSION {
            return Err(Error::Profile(format!(
                "it was built by format {}, this Quill reads {PROFILE_VERSION}",
                self.version
            )));
        }
        if self.scalars.len() != SCALARS.len() || self.function_word_logp.len() != FUNCTION_WORDS.len() {
            return Err(Error::Profile("its feature list does not match this Quill".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_favour_best_work() {
        assert!(weight_for(Some(5), Some(1.0)) > weight_for(Some(3), None));
        assert!(weight_for(Some(1), Some(0.0)) < weight_for(None, None));
        assert_eq!(weight_for(None, None), 1.0);
    }

    #[test]
    fn too_few_texts_is_a_clear_error() {
        let e = build_profile(&[ProfileText { text: "One post.", weight: 1.0, embedding: None }]).unwrap_err();
        assert!(e.to_string().contains("at least 3"), "{e}");
    }
}
