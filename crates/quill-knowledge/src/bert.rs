//! A lean BERT encoder forward pass for sentence embeddings on the CPU.
//!
//! candle's `BertModel` (kept as the reference path, see [`crate::embed::Backend`]) computes the
//! same thing but spends a large share of a 2-core budget outside matrix multiplies: a spinning
//! barrier pool for element-wise ops next to the rayon pool used by gemm, a scalar `erf` in GELU,
//! padded batches, and a copy per transpose. This encoder does what sentence embeddings need and
//! nothing else:
//!
//! * **no padding at all**: the tokens of every text in a batch are stacked into one
//!   `[tokens, hidden]` matrix, so each linear layer is one big matrix multiply over real tokens
//!   only; just attention looks at sequence boundaries;
//! * **Q, K and V fused** into one `[hidden, 3·hidden]` weight (one multiply instead of three);
//! * **one thread pool**: gemm and the element-wise kernels both run on the current rayon pool;
//! * **vectorisable kernels**: GELU's `erf` and softmax's `exp` are polynomial approximations
//!   (max error ~2e-7, far inside the 1e-4 parity budget) that the compiler turns into AVX-512 /
//!   AVX2 code, selected at run time.
//!
//! The maths is HF `BertModel`'s: embeddings (word + position + token type 0) → LayerNorm, then per
//! layer: self-attention with key masking, output projection + residual + LayerNorm, GELU(erf)
//! feed-forward + residual + LayerNorm.

use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};

/// Weights of one encoder layer, linear weights stored transposed (`[in, out]`, row-major).
struct Layer {
    qkv_w: Vec<f32>,
    qkv_b: Vec<f32>,
    o_w: Vec<f32>,
    o_b: Vec<f32>,
    ln1_g: Vec<f32>,
    ln1_b: Vec<f32>,
    i_w: Vec<f32>,
    i_b: Vec<f32>,
    out_w: Vec<f32>,
    out_b: Vec<f32>,
    ln2_g: Vec<f32>,
    ln2_b: Vec<f32>,
}

/// The encoder.
pub(crate) struct Bert {
    hidden: usize,
    heads: usize,
    inter: usize,
    eps: f32,
    max_pos: usize,
    word: Vec<f32>,
    pos: Vec<f32>,
    tok_type0: Vec<f32>,
    emb_ln_g: Vec<f32>,
    emb_ln_b: Vec<f32>,
    layers: Vec<Layer>,
}

/// Architecture numbers from `config.json`.
pub(crate) struct BertShape {
    pub hidden: usize,
    pub heads: usize,
    pub layers: usize,
    pub inter: usize,
    pub eps: f64,
    pub max_pos: usize,
    pub vocab: usize,
}

impl Bert {
    /// Reads the weights from a safetensors buffer (F32, HF names, optional `bert.` prefix).
    pub(crate) fn load(bytes: &[u8], s: &BertShape) -> Result<Self, String> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
        let prefix = if st.names().iter().any(|n| n.starts_with("bert.")) { "bert." } else { "" };
        let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, String> {
            let full = format!("{prefix}{name}");
            let t = st.tensor(&full).map_err(|e| format!("{full}: {e}"))?;
            if t.dtype() != Dtype::F32 {
                return Err(format!("{full}: dtype {:?}, expected F32", t.dtype()));
            }
            if t.shape() != shape {
                return Err(format!("{full}: shape {:?}, expected {shape:?}", t.shape()));
            }
            Ok(t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
        };
        // LayerNorm parameters are `weight`/`bias` in new checkpoints and `gamma`/`beta` in old ones.
        let ln = |base: &str| -> Result<(Vec<f32>, Vec<f32>), String> {
            let g =
                get(&format!("{base}.weight"), &[s.hidden]).or_else(|_| get(&format!("{base}.gamma"), &[s.hidden]))?;
            let b = get(&format!("{base}.bias"), &[s.hidden]).or_else(|_| get(&format!("{base}.beta"), &[s.hidden]))?;
            Ok((g, b))
        };
        let h = s.hidden;
        let word = get("embeddings.word_embeddings.weight", &[s.vocab, h])?;
        let pos = get("embeddings.position_embeddings.weight", &[s.max_pos, h])?;
        let tt = get("embeddings.token_type_embeddings.weight", &[2, h])
            .or_else(|_| get("embeddings.token_type_embeddings.weight", &[1, h]))?;
        let (emb_ln_g, emb_ln_b) = ln("embeddings.LayerNorm")?;
        let mut layers = Vec::with_capacity(s.layers);
        for i in 0..s.layers {
            let p = format!("encoder.layer.{i}");
            let q = get(&format!("{p}.attention.self.query.weight"), &[h, h])?;
            let k = get(&format!("{p}.attention.self.key.weight"), &[h, h])?;
            let v = get(&format!("{p}.attention.self.value.weight"), &[h, h])?;
            let mut qkv_w = vec![0f32; h * 3 * h];
            for (part, w) in [&q, &k, &v].into_iter().enumerate() {
                for o in 0..h {
                    for inp in 0..h {
                        qkv_w[inp * 3 * h + part * h + o] = w[o * h + inp];
                    }
                }
            }
            let mut qkv_b = get(&format!("{p}.attention.self.query.bias"), &[h])?;
            qkv_b.extend(get(&format!("{p}.attention.self.key.bias"), &[h])?);
            qkv_b.extend(get(&format!("{p}.attention.self.value.bias"), &[h])?);
            let (ln1_g, ln1_b) = ln(&format!("{p}.attention.output.LayerNorm"))?;
            let (ln2_g, ln2_b) = ln(&format!("{p}.output.LayerNorm"))?;
            layers.push(Layer {
                qkv_w,
                qkv_b,
                o_w: transpose(&get(&format!("{p}.attention.output.dense.weight"), &[h, h])?, h, h),
                o_b: get(&format!("{p}.attention.output.dense.bias"), &[h])?,
                ln1_g,
                ln1_b,
                i_w: transpose(&get(&format!("{p}.intermediate.dense.weight"), &[s.inter, h])?, s.inter, h),
                i_b: get(&format!("{p}.intermediate.dense.bias"), &[s.inter])?,
                out_w: transpose(&get(&format!("{p}.output.dense.weight"), &[h, s.inter])?, h, s.inter),
                out_b: get(&format!("{p}.output.dense.bias"), &[h])?,
                ln2_g,
                ln2_b,
            });
        }
        if s.heads == 0 || !h.is_multiple_of(s.heads) {
            return Err(format!("hidden size {h} is not a multiple of {} heads", s.heads));
        }
        Ok(Self {
            hidden: h,
            heads: s.heads,
            inter: s.inter,
            eps: s.eps as f32,
            max_pos: s.max_pos,
            word,
            pos,
            tok_type0: tt[..h].to_vec(),
            emb_ln_g,
            emb_ln_b,
            layers,
        })
    }

    /// Final hidden states of every token of every sequence, stacked: `[Σ len, hidden]`.
    /// Token ids must be in the vocabulary and sequences at most `max_pos` long (the tokenizer
    /// guarantees both; out-of-range ids map to `[UNK]`-like row 0 rather than panicking).
    pub(crate) fn forward(&self, seqs: &[&[u32]]) -> Vec<f32> {
        let h = self.hidden;
        let offsets: Vec<usize> = seqs
            .iter()
            .scan(0, |acc, s| {
                let o = *acc;
                *acc += s.len().min(self.max_pos);
                Some(o)
            })
            .collect();
        let total: usize = seqs.iter().map(|s| s.len().min(self.max_pos)).sum();
        let vocab = self.word.len() / h;
        let mut x = vec![0f32; total * h];
        for (s, &off) in seqs.iter().zip(&offsets) {
            for (t, &id) in s.iter().take(self.max_pos).enumerate() {
                let id = if (id as usize) < vocab { id as usize } else { 0 };
                let row = &mut x[(off + t) * h..(off + t + 1) * h];
                let (w, p) = (&self.word[id * h..(id + 1) * h], &self.pos[t * h..(t + 1) * h]);
                for j in 0..h {
                    row[j] = w[j] + p[j] + self.tok_type0[j];
                }
            }
        }
        layer_norm_rows(&mut x, h, &self.emb_ln_g, &self.emb_ln_b, self.eps);
        let spans: Vec<(usize, usize)> =
            seqs.iter().zip(&offsets).map(|(s, &o)| (o, s.len().min(self.max_pos))).collect();
        let mut qkv = vec![0f32; total * 3 * h];
        let mut ctx = vec![0f32; total * h];
        let mut tmp = vec![0f32; total * h];
        let mut inter = vec![0f32; total * self.inter];
        for l in &self.layers {
            matmul_bias(&x, total, h, &l.qkv_w, 3 * h, &l.qkv_b, &mut qkv);
            self.attention(&qkv, &spans, &mut ctx);
            matmul_bias(&ctx, total, h, &l.o_w, h, &l.o_b, &mut tmp);
            add_layer_norm(&mut x, &tmp, h, &l.ln1_g, &l.ln1_b, self.eps);
            matmul_bias(&x, total, h, &l.i_w, self.inter, &l.i_b, &mut inter);
            gelu(&mut inter);
            matmul_bias(&inter, total, self.inter, &l.out_w, h, &l.out_b, &mut tmp);
            add_layer_norm(&mut x, &tmp, h, &l.ln2_g, &l.ln2_b, self.eps);
        }
        x
    }

    /// Multi-head self-attention within each sequence; one rayon task per (sequence, head).
    fn attention(&self, qkv: &[f32], spans: &[(usize, usize)], ctx: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let heads = self.heads;
        // Each task writes the `d` columns of its head in its sequence's rows: disjoint regions,
        // gathered here then scattered, which keeps the code safe without raw pointers.
        let results: Vec<(usize, usize, Vec<f32>)> = spans
            .par_iter()
            .flat_map_iter(|&(off, len)| (0..heads).map(move |hd| (off, len, hd)))
            .map(|(off, len, hd)| {
                let mut out = vec![0f32; len * d];
                let mut p = vec![0f32; len];
                attend(&qkv[off * 3 * h..(off + len) * 3 * h], h, hd * d, d, scale, &mut p, &mut out);
                (off, hd, out)
            })
            .collect();
        for (off, hd, out) in results {
            for (t, row) in out.chunks_exact(d).enumerate() {
                ctx[(off + t) * h + hd * d..(off + t) * h + hd * d + d].copy_from_slice(row);
            }
        }
    }
}

fn transpose(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0f32; w.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = w[r * cols + c];
        }
    }
    t
}

/// `out[m×n] = a[m×k] · b[k×n] + bias` (all row-major), on the current rayon pool.
fn matmul_bias(a: &[f32], m: usize, k: usize, b: &[f32], n: usize, bias: &[f32], out: &mut [f32]) {
    assert!(a.len() >= m * k && b.len() >= k * n && out.len() >= m * n && bias.len() == n, "matmul shapes");
    if m == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let par = if threads > 1 && m * n * k > 64 * 64 * 64 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the assert above guarantees every slice covers the m×k, k×n and m×n row-major
    // matrices the strides describe; `out` is exclusively borrowed, so nothing aliases it.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
    out[..m * n].par_chunks_mut(n * 64).for_each(|rows| {
        for row in rows.chunks_exact_mut(n) {
            add_assign(row, bias);
        }
    });
}

// ---- vectorisable kernels, dispatched to AVX-512 / AVX2 at run time ----

macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident : $ty:ty),*) $(-> $ret:ty)? => $imp:ident) => {
        $(#[$doc])*
        #[inline]
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                fn v4($($arg: $ty),*) $(-> $ret)? { $imp($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                fn v3($($arg: $ty),*) $(-> $ret)? { $imp($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
                    // SAFETY: the CPU has the features `v4` is compiled for (checked above).
                    return unsafe { v4($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has AVX2 and FMA (checked above).
                    return unsafe { v3($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

dispatch!(
    /// `x += y`.
    fn add_assign(x: &mut [f32], y: &[f32]) => add_assign_imp
);
#[inline(always)]
fn add_assign_imp(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

dispatch!(
    /// One attention head over one sequence: `rows` holds the sequence's `[len, 3·h]` QKV rows,
    /// the head's columns start at `col` (`d` wide) in each of Q, K and V; `out` gets `[len, d]`.
    fn attend(rows: &[f32], h: usize, col: usize, d: usize, scale: f32, p: &mut [f32], out: &mut [f32]) => attend_imp
);
#[inline(always)]
fn attend_imp(rows: &[f32], h: usize, col: usize, d: usize, scale: f32, p: &mut [f32], out: &mut [f32]) {
    let len = p.len();
    let stride = 3 * h;
    for i in 0..len {
        let qi = &rows[i * stride + col..i * stride + col + d];
        for (j, pj) in p.iter_mut().enumerate() {
            let kj = &rows[j * stride + h + col..j * stride + h + col + d];
            *pj = dot_imp(qi, kj) * scale;
        }
        softmax_imp(p);
        let o = &mut out[i * d..(i + 1) * d];
        for (j, &pj) in p.iter().enumerate() {
            let vj = &rows[j * stride + 2 * h + col..j * stride + 2 * h + col + d];
            for (oc, vc) in o.iter_mut().zip(vj) {
                *oc += pj * vc;
            }
        }
    }
}

/// Sum with 16 independent lanes, so the compiler may vectorise it (a plain `+=` loop is a
/// serial dependency it must not reorder).
#[inline(always)]
fn sum_lanes(x: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let c = x.chunks_exact(16);
    let tail: f32 = c.remainder().iter().sum();
    for ch in c {
        for i in 0..16 {
            acc[i] += ch[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Maximum with 16 independent lanes.
#[inline(always)]
fn max_lanes(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 16];
    let c = x.chunks_exact(16);
    let tail = c.remainder().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for ch in c {
        for i in 0..16 {
            acc[i] = if ch[i] > acc[i] { ch[i] } else { acc[i] };
        }
    }
    acc.iter().copied().fold(tail, f32::max)
}

/// Dot product with independent lanes.
#[inline(always)]
fn dot_imp(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = 16;
    let mut acc = [0f32; L];
    let (ac, bc) = (a.chunks_exact(L), b.chunks_exact(L));
    let tail: f32 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..L {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// In-place softmax of one row (numerically stable: max subtracted first).
#[inline(always)]
fn softmax_imp(p: &mut [f32]) {
    let max = max_lanes(p);
    for x in p.iter_mut() {
        *x = exp_approx(*x - max);
    }
    let inv = 1.0 / sum_lanes(p);
    for x in p.iter_mut() {
        *x *= inv;
    }
}

/// GELU with the exact (erf) formulation HF BERT uses, over a large buffer, in parallel.
fn gelu(x: &mut [f32]) {
    x.par_chunks_mut(16 * 1024).for_each(gelu_chunk);
}

dispatch!(
    /// GELU on one chunk.
    fn gelu_chunk(x: &mut [f32]) => gelu_imp
);
#[inline(always)]
fn gelu_imp(x: &mut [f32]) {
    for v in x.iter_mut() {
        let a = *v;
        *v = 0.5 * a * (1.0 + erf_approx(a * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// `x = LayerNorm(x + y)` row by row, in parallel.
fn add_layer_norm(x: &mut [f32], y: &[f32], h: usize, g: &[f32], b: &[f32], eps: f32) {
    x.par_chunks_mut(h * 32).zip(y.par_chunks(h * 32)).for_each(|(xs, ys)| {
        for (xr, yr) in xs.chunks_exact_mut(h).zip(ys.chunks_exact(h)) {
            add_assign(xr, yr);
            layer_norm_row(xr, g, b, eps);
        }
    });
}

fn layer_norm_rows(x: &mut [f32], h: usize, g: &[f32], b: &[f32], eps: f32) {
    x.par_chunks_mut(h * 32).for_each(|xs| {
        for xr in xs.chunks_exact_mut(h) {
            layer_norm_row(xr, g, b, eps);
        }
    });
}

dispatch!(
    /// LayerNorm of one row: two passes (mean, then variance) like torch, biased variance.
    fn layer_norm_row(x: &mut [f32], g: &[f32], b: &[f32], eps: f32) => layer_norm_imp
);
#[inline(always)]
fn layer_norm_imp(x: &mut [f32], g: &[f32], b: &[f32], eps: f32) {
    let n = x.len() as f32;
    let mean = sum_lanes(x) / n;
    let mut sq = [0f32; 16];
    let c = x.chunks_exact(16);
    let tail: f32 = c.remainder().iter().map(|v| (v - mean) * (v - mean)).sum();
    for ch in c {
        for i in 0..16 {
            sq[i] += (ch[i] - mean) * (ch[i] - mean);
        }
    }
    let var = (sq.iter().sum::<f32>() + tail) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, gg), bb) in x.iter_mut().zip(g).zip(b) {
        *v = (*v - mean) * inv * gg + bb;
    }
}

/// `e^x` for `x ≤ 0`-ish inputs (softmax, erf): range reduction to `2^n · e^r`, `|r| ≤ ln2/2`,
/// degree-6 polynomial; relative error < 2e-7. Branch-free, so it vectorises.
#[inline(always)]
fn exp_approx(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E).round();
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.0
        + r * (1.0 + r * (0.5 + r * (0.166_666_67 + r * (0.041_666_668 + r * (0.008_333_452 + r * 0.001_388_875)))));
    let bits = ((n as i32 + 127) as u32) << 23;
    p * f32::from_bits(bits)
}

/// `erf(x)` by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), odd-extended.
#[inline(always)]
fn erf_approx(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp_approx(-a * a);
    if x < 0.0 { -y } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_are_accurate() {
        for i in -8000..=200 {
            let x = i as f32 / 100.0;
            let (e, r) = (exp_approx(x), x.exp());
            assert!((e - r).abs() <= 3e-7 * r.max(1e-30), "exp({x}) = {e} vs {r}");
        }
        // libm-free reference for erf: a long Taylor series in f64 on |x| ≤ 3.
        let erf64 = |x: f64| {
            let (mut term, mut sum) = (x, x);
            for n in 1..200 {
                term *= -x * x / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        };
        for i in -300..=300 {
            let x = i as f32 / 100.0;
            let d = (erf_approx(x) as f64 - erf64(x as f64)).abs();
            assert!(d < 3e-7, "erf({x}) off by {d}");
        }
    }

    #[test]
    fn matmul_matches_naive() {
        let (m, k, n) = (37, 29, 23);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 7.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 5.0).collect();
        let bias: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let mut out = vec![0f32; m * n];
        matmul_bias(&a, m, k, &b, n, &bias, &mut out);
        for i in 0..m {
            for j in 0..n {
                let r: f32 = (0..k).map(|t| a[i * k + t] * b[t * n + j]).sum::<f32>() + bias[j];
                assert!((out[i * n + j] - r).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn softmax_and_layer_norm() {
        let mut p = vec![1.0, 2.0, 3.0];
        softmax_imp(&mut p);
        let s: f32 = [1f32, 2.0, 3.0].iter().map(|x| x.exp()).sum();
        for (i, v) in p.iter().enumerate() {
            assert!((v - ((i + 1) as f32).exp() / s).abs() < 1e-6);
        }
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        layer_norm_row(&mut x, &[1.0; 4], &[0.0; 4], 1e-12);
        let mean: f32 = x.iter().sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6);
        assert!((x.iter().map(|v| v * v).sum::<f32>() / 4.0 - 1.0).abs() < 1e-5);
    }
}
