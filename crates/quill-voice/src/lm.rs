//! Smoothed n-gram language models of a writer: one over characters, one over word tokens.
//!
//! Attribution asks "which writer would most likely have produced this text?", and a language
//! model answers it directly: the mean log-probability of the text under each writer's model is
//! in the same unit (nats per character, or per token) for every writer, so it compares across
//! profiles without any other writer's data, and the difference between two writers is a log
//! Bayes factor. These replace the character n-gram *cosine* to a centroid of the first design,
//! which is dominated by the n-grams every English text shares: on the 20-author novels benchmark
//! the cosine reached 0.66 top-1 where the character model reaches 0.81, and the combined score
//! went from 0.58 to 0.845 (see `docs/benchmarks/voice.md`).
//!
//! - **Characters** ([`CHAR_ORDER`]-grams, case, punctuation and line breaks kept): spelling,
//!   punctuation habits, morphology, favourite short words — the strongest single signal.
//! - **Word tokens** (bigrams of lower-cased words, punctuation marks, line and paragraph
//!   breaks): phrasing ("said he", "at all events", "Quick one.") that characters only see in
//!   fragments.
//!
//! The word model is interpolated Witten–Bell (PPM-C's escape, without exclusions): a context
//! seen `c` times with `t` distinct continuations keeps `c / (c + t)` of the probability for what
//! followed it and passes `t / (c + t)` to the next shorter context, down to a uniform floor.
//! The character model is interpolated Kneser–Ney: each count is lowered by a discount
//! `D = n1 / (n1 + 2 n2)` per order (Ney's estimate from how many n-grams were seen once and
//! twice), the freed mass goes to the next shorter context, and the shorter orders count in how
//! many *different* contexts a character sequence followed (continuation counts) rather than how
//! often. In 5-fold cross-validation on training texts it beat Witten–Bell a little (character
//! model alone 0.855 against 0.848 on the novels; combined score 0.880 / 1.000 against
//! 0.878 / 0.991 on novels / posts), and it was then level on the held-out test passages
//! (see `docs/benchmarks/voice.md`). Absolute discounting without continuation counts did no
//! better than Witten–Bell, and the order was chosen by cross-validation (see [`CHAR_ORDER`]).
//!
//! Both support *leave-one-out*: the log-probability of one training text under the model of
//! all the others, by subtracting its counts; the profile's calibration needs it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::text::is_emoji;

/// Longest n-gram of the character model (a context of 2 characters). Chosen, like the component
/// weights, by 5-fold cross-validation within the training texts of both benchmarks (novels and
/// posts): the conditional-logit log-likelihood of the combined score was best at 3 (orders 2–6:
/// −0.53, −0.46, −0.47, −0.48, −0.49). Longer contexts help the character model alone on the
/// novels a little (top-1 0.85 at 3, 0.86 at 4) but memorise names and topics, and lose on short
/// posts with few training texts (0.91 at 3, 0.83 at 4). With Kneser–Ney smoothing 3 is still
/// best (log-likelihood −0.45 at 3, −0.48 at 4).
pub const CHAR_ORDER: usize = 3;

/// Longest n-gram of the word-token model.
pub const WORD_ORDER: usize = 2;

/// Alphabet the character model falls back to for a character it never saw.
const CHAR_ALPHABET: f64 = 256.0;

/// Vocabulary the word model falls back to for a token it never saw.
const WORD_VOCABULARY: f64 = 100_000.0;

/// Which model: the n-gram length and the uniform floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Characters.
    Chars,
    /// Word tokens.
    Words,
}

impl Kind {
    /// The longest n-gram.
    pub fn order(self) -> usize {
        match self {
            Kind::Chars => CHAR_ORDER,
            Kind::Words => WORD_ORDER,
        }
    }

    fn floor(self) -> f64 {
        match self {
            Kind::Chars => 1.0 / CHAR_ALPHABET,
            Kind::Words => 1.0 / WORD_VOCABULARY,
        }
    }
}

/// A text as one model reads it: for every position and every context length `k` in
/// `0..order`, the hash of the context and the hash of the context followed by the symbol
/// (flattened, `order` pairs per position).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Events {
    order: usize,
    pairs: Vec<(u32, u32)>,
    /// Whether counting them keeps Kneser–Ney continuation counts (the character model).
    continuation: bool,
}

impl Events {
    /// Number of positions (characters or tokens).
    pub fn len(&self) -> usize {
        self.pairs.len().checked_div(self.order).unwrap_or(0)
    }

    /// True when there is nothing to predict.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn positions(&self) -> std::slice::ChunksExact<'_, (u32, u32)> {
        self.pairs.chunks_exact(self.order.max(1))
    }

    /// Events of a symbol sequence, preceded by start markers so the first symbols are predicted
    /// from "start of text" rather than from nothing.
    fn of(symbols: &[u32], order: usize, seed: u32) -> Events {
        let mut seq = vec![START; order - 1];
        seq.extend_from_slice(symbols);
        let mut pairs = Vec::with_capacity(symbols.len() * order);
        for i in order - 1..seq.len() {
            for k in 0..order {
                let ctx = &seq[i - k..i];
                pairs.push((fnv(seed ^ (0x100 | k as u32), ctx), fnv(seed ^ (0x200 | k as u32), &seq[i - k..=i])));
            }
        }
        Events { order, pairs, continuation: false }
    }
}

const START: u32 = 0x2;

fn fnv(seed: u32, symbols: &[u32]) -> u32 {
    let mut h: u32 = 0x811c_9dc5 ^ seed;
    for &s in symbols {
        for b in s.to_le_bytes() {
            h ^= b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// The text as the character model reads it: `\r` dropped, tabs as spaces, runs of spaces
/// collapsed; case, punctuation and line breaks kept (they are part of a voice).
pub fn char_stream(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    let mut prev_space = false;
    for c in text.chars() {
        let c = match c {
            '\r' => continue,
            '\t' => ' ',
            c => c,
        };
        if c == ' ' {
            if prev_space {
                continue;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
        chars.push(c);
    }
    chars
}

/// The text as the word model reads it: lower-cased words (apostrophes inside a word kept, `’`
/// folded to `'`), every other visible character (punctuation, emoji, arrows) as a token of its
/// own, a line break as `"\n"` and a blank line as `"\n\n"`.
pub fn word_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().map(|c| if c == '’' { '\'' } else { c }).collect();
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut newlines = 0usize;
    let flush_nl = |out: &mut Vec<String>, n: &mut usize| {
        if *n > 0 && !out.is_empty() {
            out.push(if *n >= 2 { "\n\n".into() } else { "\n".into() });
        }
        *n = 0;
    };
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe = c == '\'' && !word.is_empty() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            flush_nl(&mut out, &mut newlines);
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c == '\n' {
            newlines += 1;
        } else if !c.is_whitespace() && (!c.is_control() || is_emoji(c)) {
            flush_nl(&mut out, &mut newlines);
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The character model's events of a text.
pub fn char_events(text: &str) -> Events {
    let symbols: Vec<u32> = char_stream(text).into_iter().map(|c| c as u32).collect();
    Events { continuation: kn(Kind::Chars), ..Events::of(&symbols, CHAR_ORDER, 0) }
}

/// The word model's events of a text.
pub fn word_events(text: &str) -> Events {
    let symbols: Vec<u32> =
        word_tokens(text).iter().map(|t| fnv(0x77, &t.chars().map(|c| c as u32).collect::<Vec<_>>())).collect();
    Events { continuation: kn(Kind::Words), ..Events::of(&symbols, WORD_ORDER, 0x5700_0000) }
}

/// Weighted n-gram and context counts, from which a model — or a leave-one-out model — is read.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// n-gram hash → (its context's hash, weighted count, its context's length).
    pub grams: HashMap<u32, (u32, f64, u8)>,
    /// context hash → (weighted count, distinct continuations).
    pub contexts: HashMap<u32, (f64, u32)>,
    /// Kneser–Ney continuation count of every lower-order n-gram: how many distinct one-longer
    /// n-grams end with it.
    pub cont: HashMap<u32, f64>,
    /// Lower-order context hash → (sum of its n-grams' continuation counts, how many of them).
    pub cont_ctx: HashMap<u32, (f64, u32)>,
    /// n-gram hash → (hash of the n-gram one shorter that ends it, that one's context hash).
    pub suffix: HashMap<u32, (u32, u32)>,
    /// [`Counts::count_of_counts`], computed once per model for the leave-one-out scores.
    coc: std::sync::OnceLock<Vec<[f64; 2]>>,
}

/// Whether a model is interpolated Kneser–Ney (the character model) or Witten–Bell (the words).
fn kn(kind: Kind) -> bool {
    kind == Kind::Chars
}

impl Counts {
    /// Adds a text's events with a weight.
    pub fn add(&mut self, events: &Events, weight: f64) {
        self.coc = std::sync::OnceLock::new();
        for pos in events.positions() {
            for (k, &(ctx, gram)) in pos.iter().enumerate() {
                let g = self.grams.entry(gram).or_insert((ctx, 0.0, k as u8));
                let new = g.1 == 0.0;
                g.1 += weight;
                let c = self.contexts.entry(ctx).or_insert((0.0, 0));
                c.0 += weight;
                if new {
                    c.1 += 1;
                    if k > 0 && events.continuation {
                        let (lctx, lgram) = pos[k - 1];
                        self.suffix.insert(gram, (lgram, lctx));
                        let cc = self.cont.entry(lgram).or_insert(0.0);
                        let first = *cc == 0.0;
                        *cc += 1.0;
                        let x = self.cont_ctx.entry(lctx).or_insert((0.0, 0));
                        x.0 += 1.0;
                        if first {
                            x.1 += 1;
                        }
                    }
                }
            }
        }
    }

    /// The counts of one text.
    pub fn of(events: &Events) -> Counts {
        let mut c = Counts::default();
        c.add(events, 1.0);
        c
    }

    /// The stored form, sorted by hash.
    pub fn to_model(&self, kind: Kind) -> NgramModel {
        let kn = kn(kind);
        let mut grams: Vec<(u32, f32)> = self
            .grams
            .iter()
            .map(|(&h, &(_, c, _))| (h, if kn { self.cont.get(&h).map_or(c, |&x| x) } else { c } as f32))
            .collect();
        grams.sort_unstable_by_key(|g| g.0);
        let mut contexts: Vec<(u32, f32, u32)> = self
            .contexts
            .iter()
            .map(|(&h, &(c, t))| {
                let (c, t) = if kn { self.cont_ctx.get(&h).copied().unwrap_or((c, t)) } else { (c, t) };
                (h, c as f32, t)
            })
            .collect();
        contexts.sort_unstable_by_key(|c| c.0);
        let discounts = if kn { self.discounts(kind).into_iter().map(|d| d as f32).collect() } else { Vec::new() };
        NgramModel { grams, contexts, discounts }
    }

    /// Kneser–Ney discount per context length, `n1 / (n1 + 2 n2)` over the counts each order
    /// uses (continuation counts below the longest).
    pub fn discounts(&self, kind: Kind) -> Vec<f64> {
        discounts_of(&self.count_of_counts(kind))
    }

    /// The count that Kneser–Ney reads for an n-gram: its continuation count below the longest
    /// order, its count at the longest.
    fn kn_count(&self, h: u32) -> f64 {
        self.cont.get(&h).copied().unwrap_or_else(|| self.grams.get(&h).map_or(0.0, |g| g.1))
    }

    /// Per context length, how many n-grams have a (Kneser–Ney) count of about 1 and about 2.
    fn count_of_counts(&self, kind: Kind) -> Vec<[f64; 2]> {
        let mut n = vec![[0.0; 2]; kind.order()];
        for (&h, &(_, _, k)) in &self.grams {
            bucket(&mut n[k as usize], self.kn_count(h), 1.0);
        }
        n
    }

    /// Kneser–Ney mean log-probability, optionally leaving one text out exactly: n-gram types
    /// that only it had disappear, and with them the continuation counts they gave the n-grams
    /// one shorter, and the count-of-counts behind the discounts.
    fn kn_mean_logp_loo(&self, kind: Kind, events: &Events, own: Option<(&Counts, f64)>) -> f64 {
        let top = (kind.order() - 1) as u8;
        let mut coc = self.coc.get_or_init(|| self.count_of_counts(kind)).clone();
        let mut gram_new: HashMap<u32, f64> = HashMap::new();
        let mut ctx_new: HashMap<u32, (f64, f64)> = HashMap::new();
        if let Some((own, w)) = own {
            for (&h, &(ctx, c, k)) in &own.grams {
                let Some(&(_, all, _)) = self.grams.get(&h) else { continue };
                let left = (all - w * c).max(0.0);
                let gone = left <= 1e-9;
                if k == top {
                    bucket(&mut coc[k as usize], all, -1.0);
                    bucket(&mut coc[k as usize], left, 1.0);
                    gram_new.insert(h, left);
                    let e = ctx_new.entry(ctx).or_insert_with(|| {
                        let (n, t) = self.contexts.get(&ctx).map_or((0.0, 0), |x| *x);
                        let on = own.contexts.get(&ctx).map_or(0.0, |x| x.0);
                        ((n - w * on).max(0.0), t as f64)
                    });
                    if gone {
                        e.1 -= 1.0;
                    }
                }
                if gone && k > 0 {
                    let Some(&(sg, sctx)) = self.suffix.get(&h) else { continue };
                    let old = *gram_new.entry(sg).or_insert_with(|| self.kn_count(sg));
                    let new = (old - 1.0).max(0.0);
                    gram_new.insert(sg, new);
                    bucket(&mut coc[k as usize - 1], old, -1.0);
                    bucket(&mut coc[k as usize - 1], new, 1.0);
                    let e = ctx_new
                        .entry(sctx)
                        .or_insert_with(|| self.cont_ctx.get(&sctx).map_or((0.0, 0.0), |x| (x.0, x.1 as f64)));
                    e.0 -= 1.0;
                    if new <= 0.0 {
                        e.1 -= 1.0;
                    }
                }
            }
        }
        kn_mean_logp(
            kind,
            events,
            &discounts_of(&coc),
            |h| gram_new.get(&h).copied().unwrap_or_else(|| self.kn_count(h)),
            |h| {
                ctx_new.get(&h).copied().unwrap_or_else(|| match self.cont_ctx.get(&h) {
                    Some(&(c, t)) => (c, t as f64),
                    None => self.contexts.get(&h).map_or((0.0, 0.0), |&(c, t)| (c, t as f64)),
                })
            },
        )
    }

    /// Mean log-probability per position of `events` under these counts, optionally with one
    /// text's own counts (`own`, times its weight) taken out first: leave-one-out.
    pub fn mean_logp(&self, kind: Kind, events: &Events, own: Option<(&Counts, f64)>) -> f64 {
        if kn(kind) {
            return self.kn_mean_logp_loo(kind, events, own);
        }
        let Some((own, w)) = own else {
            return mean_logp(
                kind,
                events,
                |h| self.grams.get(&h).map_or(0.0, |g| g.1),
                |h| self.contexts.get(&h).map_or((0.0, 0.0), |c| (c.0, c.1 as f64)),
            );
        };
        // Continuations that only this text had disappear from their context's distinct count.
        let mut lost: HashMap<u32, u32> = HashMap::new();
        for (h, &(ctx, c, _)) in &own.grams {
            if self.grams.get(h).is_some_and(|g| g.1 - w * c <= 1e-9) {
                *lost.entry(ctx).or_default() += 1;
            }
        }
        mean_logp(
            kind,
            events,
            |h| {
                let all = self.grams.get(&h).map_or(0.0, |g| g.1);
                (all - w * own.grams.get(&h).map_or(0.0, |g| g.1)).max(0.0)
            },
            |h| {
                let (c, t) = self.contexts.get(&h).map_or((0.0, 0), |c| *c);
                let oc = own.contexts.get(&h).map_or(0.0, |c| c.0);
                ((c - w * oc).max(0.0), t.saturating_sub(lost.get(&h).copied().unwrap_or(0)) as f64)
            },
        )
    }
}

/// A writer's n-gram model as stored in the profile: sorted by hash, read by binary search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NgramModel {
    /// (n-gram hash, weighted count), for every n-gram up to the model's order.
    pub grams: Vec<(u32, f32)>,
    /// (context hash, weighted count, distinct continuations).
    pub contexts: Vec<(u32, f32, u32)>,
    /// Kneser–Ney discounts per context length; empty for Witten–Bell.
    #[serde(default)]
    pub discounts: Vec<f32>,
}

impl NgramModel {
    /// Mean log-probability per position (character or token) of a text's events.
    pub fn mean_logp(&self, kind: Kind, events: &Events) -> f64 {
        if !self.discounts.is_empty() {
            let d: Vec<f64> = self.discounts.iter().map(|&d| d as f64).collect();
            return kn_mean_logp(
                kind,
                events,
                &d,
                |h| self.grams.binary_search_by_key(&h, |g| g.0).map_or(0.0, |i| self.grams[i].1 as f64),
                |h| {
                    self.contexts
                        .binary_search_by_key(&h, |c| c.0)
                        .map_or((0.0, 0.0), |i| (self.contexts[i].1 as f64, self.contexts[i].2 as f64))
                },
            );
        }
        mean_logp(
            kind,
            events,
            |h| self.grams.binary_search_by_key(&h, |g| g.0).map_or(0.0, |i| self.grams[i].1 as f64),
            |h| {
                self.contexts
                    .binary_search_by_key(&h, |c| c.0)
                    .map_or((0.0, 0.0), |i| (self.contexts[i].1 as f64, self.contexts[i].2 as f64))
            },
        )
    }
}

/// Adds `by` to the bucket of a count of about 1 or about 2 (weighted counts are rounded).
fn bucket(n: &mut [f64; 2], c: f64, by: f64) {
    if c > 1e-9 && c < 1.5 {
        n[0] += by;
    } else if (1.5..2.5).contains(&c) {
        n[1] += by;
    }
}

/// Ney's discount `n1 / (n1 + 2 n2)` per context length, kept within [0.1, 0.95].
fn discounts_of(coc: &[[f64; 2]]) -> Vec<f64> {
    coc.iter().map(|&[n1, n2]| if n1 + n2 > 0.0 { (n1 / (n1 + 2.0 * n2)).clamp(0.1, 0.95) } else { 0.5 }).collect()
}

/// Interpolated Kneser–Ney (continuation counts below the longest order, supplied by the
/// lookups), from the empty context up to the longest.
fn kn_mean_logp(
    kind: Kind,
    events: &Events,
    d: &[f64],
    gram: impl Fn(u32) -> f64,
    ctx: impl Fn(u32) -> (f64, f64),
) -> f64 {
    if events.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for pos in events.positions() {
        let mut p = kind.floor();
        for (k, &(c, g)) in pos.iter().enumerate() {
            let (n, t) = ctx(c);
            if n <= 0.0 {
                break;
            }
            let dk = d.get(k).copied().unwrap_or(0.75);
            p = ((gram(g) - dk).max(0.0) + dk * t.max(1.0) * p) / n;
        }
        total += p.ln();
    }
    total / events.len() as f64
}

/// Interpolated Witten–Bell, from the empty context up to the longest.
fn mean_logp(kind: Kind, events: &Events, gram: impl Fn(u32) -> f64, ctx: impl Fn(u32) -> (f64, f64)) -> f64 {
    if events.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for pos in events.positions() {
        let mut p = kind.floor();
        for &(c, g) in pos {
            let (n, t) = ctx(c);
            if n <= 0.0 {
                break;
            }
            let t = t.max(1.0);
            p = (gram(g) + t * p) / (n + t);
        }
        total += p.ln();
    }
    total / events.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_sum_to_one_over_the_alphabet() {
        let model = Counts::of(&char_events("abracadabra, said the cat")).to_model(Kind::Chars);
        // P(next | "abr") summed over every character of the alphabet.
        let seen: Vec<char> = "abrcdehilstw, ".chars().collect();
        let p = |c: char| {
            let ev = char_events(&format!("abr{c}"));
            let last = Events { pairs: ev.pairs[3 * ev.order..].to_vec(), ..ev.clone() };
            model.mean_logp(Kind::Chars, &last).exp()
        };
        let sum: f64 = seen.iter().map(|&c| p(c)).sum::<f64>() + p('\u{263a}') * (CHAR_ALPHABET - seen.len() as f64);
        assert!((sum - 1.0).abs() < 1e-6, "{sum}");
    }

    #[test]
    fn leave_one_out_matches_a_rebuilt_model() {
        let texts = ["The cat sat on the mat.", "A dog sat on a log!", "The cat ran off."];
        for (kind, events) in [(Kind::Chars, char_events as fn(&str) -> Events), (Kind::Words, word_events)] {
            let ev: Vec<Events> = texts.iter().map(|t| events(t)).collect();
            let mut all = Counts::default();
            for (e, w) in ev.iter().zip([1.0, 2.0, 0.5]) {
                all.add(e, w);
            }
            let mut rest = Counts::default();
            rest.add(&ev[1], 2.0);
            rest.add(&ev[2], 0.5);
            let loo = all.mean_logp(kind, &ev[0], Some((&Counts::of(&ev[0]), 1.0)));
            let rebuilt = rest.to_model(kind).mean_logp(kind, &ev[0]);
            assert!((loo - rebuilt).abs() < 1e-5, "{kind:?}: {loo} vs {rebuilt}");
            assert!((rest.mean_logp(kind, &ev[0], None) - rebuilt).abs() < 1e-5);
        }
    }

    #[test]
    fn a_writer_predicts_their_own_text_better() {
        let a = Counts::of(&char_events("Quick one. Run lean. Ship the boring system. Quick one. Run lean."));
        let b = Counts::of(&char_events("It is a truth universally acknowledged, that a single man in possession"));
        let t = char_events("Quick one. Ship it lean.");
        assert!(
            a.to_model(Kind::Chars).mean_logp(Kind::Chars, &t) > b.to_model(Kind::Chars).mean_logp(Kind::Chars, &t)
        );
    }

    #[test]
    fn word_tokens_keep_punctuation_and_breaks() {
        assert_eq!(
            word_tokens("Quick one.\nDon’t 'panic' — it's fine!\n\n→ 3 clients"),
            [
                "quick", "one", ".", "\n", "don't", "'", "panic", "'", "—", "it's", "fine", "!", "\n\n", "→", "3",
                "clients"
            ]
        );
    }
}
