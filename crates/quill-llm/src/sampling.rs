//! Token sampling with llama.cpp's semantics and order: logit bias and banned sequences →
//! repetition/frequency/presence penalties → top-k → top-p → min-p → temperature → draw.
//!
//! The random generator is our own (xoshiro256**), so the same seed gives the same text on
//! every platform and release of Quill.

use std::collections::HashMap;

/// Sampling settings. Defaults are llama.cpp's (`temp 0.8, top_k 40, top_p 0.95, min_p 0.05`,
/// penalties off).
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// ≤ 0 means greedy (argmax after penalties and bias).
    pub temperature: f32,
    /// ≤ 0 disables.
    pub top_k: i32,
    /// ≥ 1 disables.
    pub top_p: f32,
    /// ≤ 0 disables.
    pub min_p: f32,
    /// Multiplicative repetition penalty (1 = off), llama.cpp style.
    pub repeat_penalty: f32,
    /// How many recent tokens the penalties look at (0 = none).
    pub repeat_last_n: usize,
    pub frequency_penalty: f32,
    pub presence_penalty: f32,
    /// `None` draws a seed from the clock.
    pub seed: Option<u64>,
    /// Added to the logits of these tokens (−∞ bans).
    pub logit_bias: Vec<(u32, f32)>,
    /// Token sequences that must not be generated: when the history ends with all but the last
    /// token of a sequence, that last token is banned (a one-token sequence is always banned).
    pub banned_sequences: Vec<Vec<u32>>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
            seed: None,
            logit_bias: Vec::new(),
            banned_sequences: Vec::new(),
        }
    }
}

impl SamplingParams {
    /// Deterministic argmax decoding.
    pub fn greedy() -> Self {
        SamplingParams { temperature: 0.0, ..Default::default() }
    }
}

/// xoshiro256** seeded through splitmix64.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng { s: [next(), next(), next(), next()] }
    }

    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A seed from the clock, for `seed: None`.
pub fn random_seed() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (t as u64) ^ ((t >> 64) as u64) ^ (std::process::id() as u64).rotate_left(32)
}

/// A sampler with its own RNG and reusable buffers (no allocation per token after the first).
#[derive(Debug, Clone)]
pub struct Sampler {
    params: SamplingParams,
    rng: Rng,
    seed: u64,
    cand: Vec<(u32, f32)>,
    counts: HashMap<u32, u32>,
}

impl Sampler {
    pub fn new(params: SamplingParams) -> Self {
        let seed = params.seed.unwrap_or_else(random_seed);
        Sampler { rng: Rng::new(seed), seed, params, cand: Vec::new(), counts: HashMap::new() }
    }

    /// The seed in use (report it so a run can be repeated).
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn params(&self) -> &SamplingParams {
        &self.params
    }

    /// Applies bias, bans and penalties to `logits` in place (shared by all modes).
    pub fn apply_constraints(&mut self, logits: &mut [f32], history: &[u32]) {
        let p = &self.params;
        for &(id, b) in &p.logit_bias {
            if let Some(l) = logits.get_mut(id as usize) {
                *l += b;
            }
        }
        for seq in &p.banned_sequences {
            let Some((&last, prefix)) = seq.split_last() else {
                continue;
            };
            if history.ends_with(prefix)
                && let Some(l) = logits.get_mut(last as usize)
            {
                *l = f32::NEG_INFINITY;
            }
        }
        let penalize =
            p.repeat_last_n > 0 && (p.repeat_penalty != 1.0 || p.frequency_penalty != 0.0 || p.presence_penalty != 0.0);
        if penalize {
            self.counts.clear();
            let start = history.len().saturating_sub(p.repeat_last_n);
            for &t in &history[start..] {
                *self.counts.entry(t).or_insert(0) += 1;
            }
            for (&t, &count) in &self.counts {
                let Some(l) = logits.get_mut(t as usize) else {
                    continue;
                };
                if *l <= 0.0 {
                    *l *= p.repeat_penalty;
                } else {
                    *l /= p.repeat_penalty;
                }
                *l -= count as f32 * p.frequency_penalty + if count > 0 { p.presence_penalty } else { 0.0 };
            }
        }
    }

    /// Picks the next token. `history` is the context so far (prompt + generated), used by the
    /// penalties and banned sequences. `logits` is modified.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        self.apply_constraints(logits, history);
        let p = self.params.clone();
        if p.temperature <= 0.0 {
            return argmax(logits);
        }
        // Candidates: drop tokens whose probability is below e^-40 of the best; they cannot
        // survive any of the filters below and skipping them avoids sorting the vocabulary.
        let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        if !max.is_finite() {
            return argmax(logits);
        }
        self.cand.clear();
        self.cand.extend(logits.iter().enumerate().filter(|(_, l)| **l >= max - 40.0).map(|(i, &l)| (i as u32, l)));
        let by_logit = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        // top-k
        if p.top_k > 0 && (p.top_k as usize) < self.cand.len() {
            let k = p.top_k as usize;
            self.cand.select_nth_unstable_by(k - 1, by_logit);
            self.cand.truncate(k);
        }
        self.cand.sort_by(by_logit);
        // top-p on the softmax at temperature 1 (llama.cpp applies temperature last)
        if p.top_p < 1.0 {
            let m = self.cand[0].1;
            let total: f64 = self.cand.iter().map(|c| ((c.1 - m) as f64).exp()).sum();
            let mut cum = 0.0;
            let mut keep = self.cand.len();
            for (i, c) in self.cand.iter().enumerate() {
                cum += ((c.1 - m) as f64).exp() / total;
                if cum >= p.top_p as f64 {
                    keep = i + 1;
                    break;
                }
            }
            self.cand.truncate(keep.max(1));
        }
        // min-p: keep p_i ≥ min_p · p_max  ⇔  logit_i ≥ max + ln(min_p)
        if p.min_p > 0.0 && p.min_p <= 1.0 {
            let thresh = self.cand[0].1 + p.min_p.ln();
            let keep = self.cand.iter().take_while(|c| c.1 >= thresh).count().max(1);
            self.cand.truncate(keep);
        }
        // temperature + draw
        let m = self.cand[0].1;
        let t = p.temperature;
        let total: f64 = self.cand.iter().map(|c| (((c.1 - m) / t) as f64).exp()).sum();
        let mut r = self.rng.next_f64() * total;
        for c in &self.cand {
            r -= (((c.1 - m) / t) as f64).exp();
            if r <= 0.0 {
                return c.0;
            }
        }
        self.cand.last().map(|c| c.0).unwrap_or(0)
    }
}

/// Index of the largest value (first on ties); 0 for an empty slice.
pub fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as u32
}

/// Holds back generated text that could be the start of a stop string, so a stop string split
/// across tokens never leaks to the stream.
#[derive(Debug, Clone, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    text: String,
    emitted: usize,
}

impl StopMatcher {
    pub fn new(stops: &[String]) -> Self {
        StopMatcher {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            text: String::new(),
            emitted: 0,
        }
    }

    /// Adds decoded text; returns (text safe to emit now, whether a stop string was hit).
    pub fn push(&mut self, s: &str) -> (String, bool) {
        self.text.push_str(s);
        // Earliest stop string occurrence that starts in the not-yet-emitted region (earlier
        // ones were already ruled out by the hold-back).
        let from = floor_boundary(&self.text, self.emitted.saturating_sub(self.max_stop_len()));
        let mut hit: Option<usize> = None;
        for st in &self.stops {
            if let Some(i) = self.text[from..].find(st.as_str()) {
                let at = from + i;
                hit = Some(hit.map_or(at, |h| h.min(at)));
            }
        }
        if let Some(at) = hit {
            let at = at.max(self.emitted);
            let out = self.text[self.emitted..at].to_string();
            self.text.truncate(at);
            self.emitted = at;
            return (out, true);
        }
        // Longest suffix of the text that is a proper prefix of a stop string.
        let mut hold = 0;
        for st in &self.stops {
            for (k, _) in st.char_indices().skip(1) {
                if k > hold && self.text.ends_with(&st[..k]) {
                    hold = k;
                }
            }
        }
        let end = floor_boundary(&self.text, self.text.len() - hold).max(self.emitted);
        let out = self.text[self.emitted..end].to_string();
        self.emitted = end;
        (out, false)
    }

    /// Whatever was held back (generation ended without completing a stop string).
    pub fn flush(&mut self) -> String {
        let out = self.text[self.emitted..].to_string();
        self.emitted = self.text.len();
        out
    }

    /// The full text accepted so far (without any stop string).
    pub fn text(&self) -> &str {
        &self.text
    }

    fn max_stop_len(&self) -> usize {
        self.stops.iter().map(|s| s.len()).max().unwrap_or(0)
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_is_argmax_after_bias_and_bans() {
        let mut s = Sampler::new(SamplingParams { logit_bias: vec![(2, -10.0)], ..SamplingParams::greedy() });
        let mut l = vec![0.0, 1.0, 5.0, 2.0];
        assert_eq!(s.sample(&mut l, &[]), 3);
        // ban "7 1": after history ending in 7, token 1 is banned
        let mut s =
            Sampler::new(SamplingParams { banned_sequences: vec![vec![7, 1], vec![3]], ..SamplingParams::greedy() });
        let mut l = vec![0.0, 5.0, 1.0, 9.0];
        assert_eq!(s.sample(&mut l, &[7]), 2);
        let mut l = vec![0.0, 5.0, 1.0, 9.0];
        assert_eq!(s.sample(&mut l, &[8]), 1);
    }

    #[test]
    fn penalties_follow_llama_cpp() {
        let mut s = Sampler::new(SamplingParams {
            repeat_penalty: 2.0,
            frequency_penalty: 0.5,
            presence_penalty: 0.25,
            ..SamplingParams::greedy()
        });
        let mut l = vec![4.0, -2.0, 3.0];
        s.apply_constraints(&mut l, &[0, 0, 1]);
        assert_eq!(l, vec![4.0 / 2.0 - 1.0 - 0.25, -2.0 * 2.0 - 0.5 - 0.25, 3.0]);
    }

    #[test]
    fn same_seed_same_draws_and_filters_hold() {
        let logits: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 1000) as f32 / 100.0).collect();
        let params =
            SamplingParams { seed: Some(42), temperature: 1.0, top_k: 0, top_p: 1.0, min_p: 0.0, ..Default::default() };
        let draw = |p: &SamplingParams| {
            let mut s = Sampler::new(p.clone());
            (0..50).map(|_| s.sample(&mut logits.clone(), &[])).collect::<Vec<_>>()
        };
        assert_eq!(draw(&params), draw(&params));
        let other = SamplingParams { seed: Some(43), ..params.clone() };
        assert_ne!(draw(&params), draw(&other));
        // top_k = 3 only ever yields the 3 best tokens
        let top3: Vec<u32> = {
            let mut idx: Vec<u32> = (0..1000).collect();
            idx.sort_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
            idx[..3].to_vec()
        };
        let k3 = SamplingParams { top_k: 3, ..params.clone() };
        assert!(draw(&k3).iter().all(|t| top3.contains(t)));
        // min_p = 1 keeps only the max
        let mp = SamplingParams { min_p: 1.0, ..params.clone() };
        assert!(draw(&mp).iter().all(|&t| t == top3[0]));
        // tiny top_p keeps only the max
        let tp = SamplingParams { top_p: 1e-6, ..params.clone() };
        assert!(draw(&tp).iter().all(|&t| t == top3[0]));
    }

    #[test]
    fn rng_is_uniformish() {
        let mut r = Rng::new(1);
        let mean = (0..10000).map(|_| r.next_f64()).sum::<f64>() / 10000.0;
        assert!((mean - 0.5).abs() < 0.02);
    }

    #[test]
    fn stop_strings_split_across_pieces_are_held_back() {
        let mut m = StopMatcher::new(&["</end>".to_string(), "STOP".to_string()]);
        assert_eq!(m.push("Hello </"), ("Hello ".to_string(), false));
        assert_eq!(m.push("en"), (String::new(), false));
        assert_eq!(m.push("d> tail"), (String::new(), true));
        assert_eq!(m.text(), "Hello ");
        let mut m = StopMatcher::new(&["STOP".to_string()]);
        assert_eq!(m.push("ST"), (String::new(), false));
        assert_eq!(m.push("ART"), ("START".to_string(), false));
        assert_eq!(m.push("S"), (String::new(), false));
        assert_eq!(m.flush(), "S");
        let mut m = StopMatcher::new(&[]);
        assert_eq!(m.push("é"), ("é".to_string(), false));
        let mut m = StopMatcher::new(&["ab".to_string()]);
        assert_eq!(m.push("xxab"), ("xx".to_string(), true));
    }
}
