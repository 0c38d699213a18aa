//! Choosing few-shot examples from the library.
//!
//! Anchor tools pick examples by similarity alone. Quill also weighs the creator's own results —
//! engagement normalised per platform, so a LinkedIn post and a tweet compare — and their rating,
//! then diversifies with maximal marginal relevance so three examples show three things. Items
//! held out for evaluation, and near-duplicates of them, are never shown: otherwise the
//! evaluation would grade the model on text it was given.

use std::collections::HashSet;

use serde::Serialize;

/// A library entry the relevance search returned.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Library id.
    pub id: i64,
    /// Text shown to the model.
    pub text: String,
    /// Platform key of the entry.
    pub platform: String,
    /// Relevance to the brief, 0-1 (from the hybrid index).
    pub relevance: f64,
    /// Rank in the relevance list (1 = best).
    pub relevance_rank: usize,
    /// Engagement ÷ platform median (1.0 = typical), if the entry has metrics.
    pub performance: Option<f64>,
    /// 1-5, if rated.
    pub rating: Option<u8>,
}

/// A chosen example with the reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    /// Library id.
    pub id: i64,
    /// The text.
    pub text: String,
    /// Platform key.
    pub platform: String,
    /// Combined score used for the choice.
    pub score: f64,
    /// Why it was chosen, in plain words (`--explain`).
    pub why: String,
}

/// Weights of the selection score; they sum to 1.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// Relevance to the brief.
    pub relevance: f64,
    /// Normalised performance.
    pub performance: f64,
    /// Rating.
    pub rating: f64,
    /// MMR trade-off: 1 = pure score, 0 = pure diversity.
    pub lambda: f64,
    /// Bonus for matching the brief's platform.
    pub same_platform: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self { relevance: 0.55, performance: 0.25, rating: 0.20, lambda: 0.7, same_platform: 0.15 }
    }
}

/// Character 5-gram shingles, for cheap text similarity (diversity and near-duplicate checks).
pub fn shingles(text: &str) -> HashSet<u64> {
    use std::hash::{Hash, Hasher};
    let norm: Vec<char> = text.to_lowercase().chars().filter(|c| c.is_alphanumeric() || *c == ' ').collect();
    let mut out = HashSet::new();
    for w in norm.windows(5) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        w.hash(&mut h);
        out.insert(h.finish());
    }
    out
}

/// Jaccard similarity of two shingle sets.
pub fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let inter = a.intersection(b).count() as f64;
    inter / ((a.len() + b.len()) as f64 - inter)
}

/// Maps performance (ratio to the platform median) to 0-1: the median is 0.5, 4× is 1, ¼ is 0.
fn perf_unit(p: Option<f64>) -> f64 {
    match p {
        Some(r) if r > 0.0 => (0.5 + r.log2() / 4.0).clamp(0.0, 1.0),
        Some(_) => 0.0,
        None => 0.4, // unknown: slightly below a typical post
    }
}

fn rating_unit(r: Option<u8>) -> f64 {
    r.map(|r| (f64::from(r) - 1.0) / 4.0).unwrap_or(0.4)
}

/// Picks `k` examples: held-out ids and near-duplicates of `held_out_texts` excluded, scored by
/// relevance, performance and rating, diversified by MMR.
pub fn choose(
    candidates: &[Candidate],
    k: usize,
    platform: &str,
    held_out: &HashSet<i64>,
    held_out_texts: &[String],
    w: Weights,
) -> Vec<Chosen> {
    let held: Vec<HashSet<u64>> = held_out_texts.iter().map(|t| shingles(t)).collect();
    let pool: Vec<(&Candidate, HashSet<u64>, f64)> = candidates
        .iter()
        .filter(|c| !held_out.contains(&c.id))
        .map(|c| (c, shingles(&c.text)))
        .filter(|(_, s)| held.iter().all(|h| jaccard(s, h) < 0.8))
        .map(|(c, s)| {
            let plat = if c.platform == platform { w.same_platform } else { 0.0 };
            let score = w.relevance * c.relevance
                + w.performance * perf_unit(c.performance)
                + w.rating * rating_unit(c.rating)
                + plat;
            (c, s, score)
        })
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut passed_over: Vec<(usize, usize, f64)> = Vec::new(); // (candidate, similar-to chosen, sim)
    while chosen.len() < k && chosen.len() < pool.len() {
        let mut best: Option<(usize, f64, f64, Option<usize>)> = None;
        for (i, (_, s, score)) in pool.iter().enumerate() {
            if chosen.contains(&i) {
                continue;
            }
            let (max_sim, sim_to) = chosen
                .iter()
                .map(|&j| (jaccard(s, &pool[j].1), j))
                .fold((0.0, None), |acc, (sim, j)| if sim > acc.0 { (sim, Some(j)) } else { acc });
            let mmr = w.lambda * score - (1.0 - w.lambda) * max_sim;
            if best.is_none_or(|b| mmr > b.1) {
                best = Some((i, mmr, max_sim, sim_to));
            }
        }
        let Some((i, _, _, _)) = best else { break };
        // Record the strongest candidate that lost because it resembled something already chosen.
        for (j, (_, s, score)) in pool.iter().enumerate() {
            if j == i || chosen.contains(&j) || *score <= pool[i].2 {
                continue;
            }
            if let Some((sim, to)) =
                chosen.iter().map(|&c| (jaccard(s, &pool[c].1), c)).max_by(|a, b| a.0.total_cmp(&b.0))
            {
                passed_over.push((j, to, sim));
            }
        }
        chosen.push(i);
    }
    chosen
        .iter()
        .map(|&i| {
            let (c, _, score) = &pool[i];
            let perf = match c.performance {
                Some(p) => format!("{p:.1}× the {} median", c.platform),
                None => "no metrics".into(),
            };
            let rating = c.rating.map(|r| format!("rated {r}")).unwrap_or_else(|| "unrated".into());
            let mut why = format!(
                "relevance {:.2} (rank {} of {}), performance {perf}, {rating}{}",
                c.relevance,
                c.relevance_rank,
                candidates.len(),
                if c.platform == platform { ", same platform" } else { "" }
            );
            if let Some((j, _, sim)) = passed_over.iter().find(|(_, to, _)| *to == i) {
                why.push_str(&format!(
                    "; #{} scored higher but is {:.0}% similar to this one",
                    pool[*j].0.id,
                    sim * 100.0
                ));
            }
            Chosen { id: c.id, text: c.text.clone(), platform: c.platform.clone(), score: *score, why }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: i64, text: &str, rel: f64, perf: Option<f64>, rating: Option<u8>) -> Candidate {
        Candidate {
            id,
            text: text.into(),
            platform: "linkedin".into(),
            relevance: rel,
            relevance_rank: id as usize,
            performance: perf,
            rating,
        }
    }

    #[test]
    fn jaccard_bounds() {
        let a = shingles("the quick brown fox jumps");
        assert!((jaccard(&a, &a) - 1.0).abs() < 1e-9);
        assert_eq!(jaccard(&a, &shingles("zzzzzzzzzz")), 0.0);
    }

    #[test]
    fn performance_breaks_relevance_ties() {
        let c = vec![
            cand(1, "handoffs lose margin in agencies", 0.8, Some(0.5), Some(3)),
            cand(2, "meetings eat the calendar every week", 0.8, Some(4.0), Some(5)),
        ];
        let out = choose(&c, 1, "linkedin", &HashSet::new(), &[], Weights::default());
        assert_eq!(out[0].id, 2);
        assert!(out[0].why.contains("4.0×"), "{}", out[0].why);
    }

    #[test]
    fn held_out_and_near_duplicates_never_chosen() {
        let held_text = "Your onboarding call is not a kickoff. It is a sales call you already won.".to_string();
        let c = vec![
            cand(1, &held_text, 1.0, Some(9.0), Some(5)),
            cand(
                2,
                "Your onboarding call is not a kickoff. It is a sales call you already won!",
                0.99,
                Some(9.0),
                Some(5),
            ),
            cand(3, "Pricing by the hour punishes you for getting faster.", 0.2, None, None),
        ];
        let held: HashSet<i64> = [1].into();
        let out = choose(&c, 3, "linkedin", &held, &[held_text], Weights::default());
        assert_eq!(out.iter().map(|c| c.id).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn mmr_prefers_diverse_examples() {
        let base = "Most agencies do not have a sales problem. They have a handoff problem between sales and delivery.";
        let c = vec![
            cand(1, base, 0.9, Some(2.0), Some(5)),
            cand(2, &format!("{base} Truly."), 0.89, Some(2.0), Some(5)),
            cand(3, "Raise your prices before you hire. Margin first, headcount second.", 0.6, Some(2.0), Some(5)),
        ];
        let out = choose(&c, 2, "linkedin", &HashSet::new(), &[], Weights::default());
        let ids: Vec<i64> = out.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![1, 3]);
        assert!(out[0].why.contains("#2"), "{}", out[0].why);
    }
}
