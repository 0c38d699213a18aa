//! Combining keyword and semantic results.
//!
//! BM25 scores and cosines live on unrelated scales, so they are fused by rank, not by score:
//! reciprocal rank fusion (Cormack et al., 2009) gives each chunk `Σ 1 / (k + rank)` over the
//! lists it appears in, with `k = 60` as in the paper. It needs no tuning and no score
//! normalisation, and a chunk that both retrievers like beats one that only one of them likes.
//! Smaller `k` and convex combinations of normalised scores (Bruch et al., 2023) were checked
//! against it on the labelled set with cross-validation and did no better out of sample
//! (`docs/benchmarks/knowledge.md`, `tests/retrieval.rs`).
//!
//! Maximal marginal relevance (Carbonell & Goldstein, 1998) optionally re-orders the fused list
//! so that near-duplicate passages (the same paragraph in two exports, overlapping chunks) do not
//! fill every slot of a prompt.

use std::collections::HashMap;

/// The `k` constant of reciprocal rank fusion.
pub const RRF_K: f64 = 60.0;

/// Fuses ranked lists of chunk ids (best first) into one list of `(id, score)`, best first.
/// Ties keep the order in which ids were first seen, so results are deterministic.
pub fn rrf(lists: &[&[i64]], k: f64) -> Vec<(i64, f64)> {
    let mut score: HashMap<i64, (f64, usize)> = HashMap::new();
    let mut seen = 0;
    for list in lists {
        for (rank, id) in list.iter().enumerate() {
            let e = score.entry(*id).or_insert_with(|| {
                seen += 1;
                (0.0, seen)
            });
            e.0 += 1.0 / (k + rank as f64 + 1.0);
        }
    }
    let mut out: Vec<(i64, f64, usize)> = score.into_iter().map(|(id, (s, o))| (id, s, o)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    out.into_iter().map(|(id, s, _)| (id, s)).collect()
}

/// Re-ranks `candidates` (best first, any positive score) by maximal marginal relevance:
/// each pick maximises `λ · relevance − (1 − λ) · max similarity to what is already picked`,
/// where relevance is the candidate's score divided by the best score and similarity is the
/// cosine of the stored vectors (0 when a vector is missing). `λ = 1` keeps the input order.
pub fn mmr<'a>(
    candidates: &[(i64, f64)],
    vector: impl Fn(i64) -> Option<&'a [f32]>,
    lambda: f64,
    k: usize,
) -> Vec<(i64, f64)> {
    let max = candidates.iter().map(|c| c.1).fold(f64::MIN, f64::max);
    if candidates.is_empty() || max <= 0.0 {
        return candidates.iter().take(k).copied().collect();
    }
    let vecs: Vec<Option<&[f32]>> = candidates.iter().map(|c| vector(c.0)).collect();
    let mut left: Vec<usize> = (0..candidates.len()).collect();
    let mut max_sim = vec![0f64; candidates.len()];
    let mut out = Vec::with_capacity(k.min(candidates.len()));
    while out.len() < k && !left.is_empty() {
        let (pos, _) = left
            .iter()
            .enumerate()
            .map(|(p, &i)| (p, lambda * candidates[i].1 / max - (1.0 - lambda) * max_sim[i]))
            .fold((0, f64::MIN), |best, cur| if cur.1 > best.1 { cur } else { best });
        let chosen = left.remove(pos);
        out.push(candidates[chosen]);
        if let Some(cv) = vecs[chosen] {
            for &i in &left {
                if let Some(v) = vecs[i] {
                    max_sim[i] = max_sim[i].max(crate::vector::dot(cv, v) as f64);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_rewards_agreement() {
        let bm25 = [1, 2, 3];
        let dense = [3, 4, 1];
        let fused = rrf(&[&bm25, &dense], RRF_K);
        let ids: Vec<i64> = fused.iter().map(|f| f.0).collect();
        assert_eq!(ids, vec![1, 3, 2, 4]);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-12);
    }

    #[test]
    fn mmr_skips_near_duplicates() {
        let v: HashMap<i64, Vec<f32>> =
            [(1, vec![1.0, 0.0]), (2, vec![1.0, 0.0]), (3, vec![0.0, 1.0])].into_iter().collect();
        let cands = [(1, 1.0), (2, 0.95), (3, 0.8)];
        let plain = mmr(&cands, |id| v.get(&id).map(|x| x.as_slice()), 1.0, 2);
        assert_eq!(plain.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1, 2]);
        let diverse = mmr(&cands, |id| v.get(&id).map(|x| x.as_slice()), 0.5, 2);
        assert_eq!(diverse.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1, 3]);
    }
}
