//! Dense search: brute-force cosine over every stored vector.
//!
//! At the scale of one creator's documents (up to ~100k chunks) an exact scan is fast enough and
//! has nothing to tune or rebuild: the vectors live in one contiguous `f32` matrix in memory
//! (loaded from SQLite once per change, see `kb_state.generation`), and each query is one pass of
//! dot products — vectors are unit length, so the dot product is the cosine — using AVX-512 or
//! AVX2 when the CPU has them, split across the rayon pool.

use rayon::prelude::*;
use rusqlite::Connection;

use crate::search::{Scope, SearchScope};
use crate::{Error, Result};

/// Every stored vector of one model, row-major.
#[derive(Debug, Default, Clone)]
pub struct VectorIndex {
    dim: usize,
    ids: Vec<i64>,
    scopes: Vec<Scope>,
    data: Vec<f32>,
    rows: std::collections::HashMap<i64, usize>,
}

/// Rows per parallel task: big enough that scheduling costs nothing, small enough to balance.
const BLOCK: usize = 4096;

impl VectorIndex {
    /// Loads every vector stored for `model`. Their length is taken from the rows themselves;
    /// rows of another length are an error rather than silently wrong scores.
    pub fn load(conn: &Connection, model: &str) -> Result<Self> {
        let mut idx = Self::default();
        let mut stmt = conn.prepare(
            "SELECT e.chunk_id, d.scope, e.dim, e.vector FROM kb_embeddings e
             JOIN kb_chunks c ON c.id = e.chunk_id JOIN kb_documents d ON d.id = c.document_id
             WHERE e.model = ?1 ORDER BY e.chunk_id",
        )?;
        let mut rows = stmt.query([model])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let scope: String = r.get(1)?;
            let dim = r.get::<_, i64>(2)? as usize;
            if idx.dim == 0 {
                idx.dim = dim;
            }
            let blob = r.get_ref(3)?.as_blob().map_err(rusqlite::Error::from)?;
            if blob.len() != idx.dim * 4 {
                return Err(Error::BadVector { chunk: id, found: blob.len(), expected: idx.dim * 4 });
            }
            idx.push(id, Scope::from_db(&scope), blob);
        }
        Ok(idx)
    }

    fn push(&mut self, id: i64, scope: Scope, blob: &[u8]) {
        self.rows.insert(id, self.ids.len());
        self.ids.push(id);
        self.scopes.push(scope);
        self.data.extend(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
    }

    /// Adds a vector (used by benchmarks that build an index without SQLite).
    pub fn push_vec(&mut self, id: i64, scope: Scope, v: &[f32]) {
        if self.dim == 0 {
            self.dim = v.len();
        }
        self.rows.insert(id, self.ids.len());
        self.ids.push(id);
        self.scopes.push(scope);
        self.data.extend_from_slice(v);
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The stored vector of a chunk.
    pub fn vector(&self, chunk_id: i64) -> Option<&[f32]> {
        let r = *self.rows.get(&chunk_id)?;
        Some(&self.data[r * self.dim..(r + 1) * self.dim])
    }

    /// The `k` most similar chunks to the unit vector `q` within `scope`, best first.
    pub fn top_k(&self, q: &[f32], k: usize, scope: SearchScope) -> Vec<(i64, f32)> {
        if self.dim == 0 || q.len() != self.dim || k == 0 {
            return Vec::new();
        }
        let dim = self.dim;
        let mut scores = vec![f32::NEG_INFINITY; self.ids.len()];
        scores.par_chunks_mut(BLOCK).enumerate().for_each(|(bi, out)| {
            let base = bi * BLOCK;
            for (j, s) in out.iter_mut().enumerate() {
                let r = base + j;
                if scope.admits(self.scopes[r]) {
                    *s = dot(q, &self.data[r * dim..(r + 1) * dim]);
                }
            }
        });
        let mut cand: Vec<usize> = (0..scores.len()).filter(|&r| scores[r].is_finite()).collect();
        let by_score = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]);
        if cand.len() > k {
            cand.select_nth_unstable_by(k - 1, by_score);
            cand.truncate(k);
        }
        cand.sort_by(by_score);
        cand.into_iter().map(|r| (self.ids[r], scores[r])).collect()
    }
}

/// Dot product, dispatched once per call to the widest SIMD the CPU has.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            return unsafe { dot_avx512(a, b) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn dot_avx512(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

/// 32 independent accumulators: the compiler turns them into two (AVX-512) or four (AVX2)
/// vector registers without needing to reorder floating-point sums.
#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = 32;
    let n = a.len().min(b.len());
    let mut acc = [0f32; L];
    let (ac, bc) = (a[..n].chunks_exact(L), b[..n].chunks_exact(L));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..L {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// Encodes a vector as the little-endian `f32` blob stored in `kb_embeddings`.
pub fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..389).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..389).map(|i| (i as f32 * 0.11).cos()).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
        assert!((dot_lanes(&a, &b) - naive).abs() < 1e-4);
    }

    #[test]
    fn top_k_orders_and_filters_scope() {
        let mut idx = VectorIndex::default();
        idx.push_vec(10, Scope::Docs, &[1.0, 0.0]);
        idx.push_vec(11, Scope::Library, &[0.9, 0.1]);
        idx.push_vec(12, Scope::Docs, &[0.0, 1.0]);
        idx.push_vec(13, Scope::Docs, &[0.7, 0.7]);
        let all = idx.top_k(&[1.0, 0.0], 3, SearchScope::All);
        assert_eq!(all.iter().map(|h| h.0).collect::<Vec<_>>(), vec![10, 11, 13]);
        let docs = idx.top_k(&[1.0, 0.0], 10, SearchScope::Docs);
        assert_eq!(docs.iter().map(|h| h.0).collect::<Vec<_>>(), vec![10, 13, 12]);
        assert_eq!(idx.vector(12), Some(&[0.0f32, 1.0][..]));
    }
}
