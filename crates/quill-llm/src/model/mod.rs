//! The Llama forward pass on quantized CPU kernels.
//!
//! One definition of the architecture for inference: embedding lookup → per layer RMSNorm, q/k/v
//! (GQA), RoPE, causal attention over a preallocated KV cache, output projection, residual,
//! RMSNorm, SwiGLU, residual → final norm → head. Prompts go through every matmul as one batch;
//! decode reuses buffers allocated once at load.
//!
//! Training does not run through this path: the tuning crate reads [`Model::weights`],
//! dequantizes them and builds its own differentiable graph. LoRA deltas trained there can be
//! attached here with [`Model::set_adapter`].

mod kv_cache;
mod lora;
mod rope;
mod weights;

pub use kv_cache::KvType;
pub use lora::{LoraAdapter, LoraPair, Proj};
pub use weights::{LayerWeights, ModelWeights};

use crate::config::LlamaConfig;
use crate::error::{KernelContext, LlmError};
use crate::gguf::GgufFile;
use kv_cache::KvCache;
use quill_kernels::vecops::{add_assign, rms_norm, silu_mul};
use quill_kernels::{Pool, QMatrix, attend};
use rope::Rope;
use std::sync::Arc;

/// Options for [`Model::load`].
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// Context length; `None` uses the model's training context (SmolLM2: 8192).
    pub n_ctx: Option<usize>,
    /// Compute threads; 0 uses `QUILL_THREADS` or all cores.
    pub threads: usize,
    /// Most prompt tokens pushed through the matmuls at once.
    pub n_batch: usize,
    pub kv_type: KvType,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions { n_ctx: None, threads: 0, n_batch: 512, kv_type: KvType::F32 }
    }
}

/// Which logits [`Model::forward`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
    /// Only the last position (generation).
    Last,
    /// Every position, `n_tokens × n_vocab` row-major (perplexity, scoring).
    All,
}

/// Activation buffers sized once for `n_batch` tokens.
#[derive(Debug, Default)]
struct Scratch {
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    attn: Vec<f32>,
    tmp: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    act: Vec<f32>,
    rope: Vec<f32>,
    /// Per thread: `group · n_ctx` scores + two `head_dim` row buffers.
    per_thread: Vec<f32>,
    per_thread_stride: usize,
    lora_tmp: Vec<f32>,
    logits: Vec<f32>,
}

/// A loaded model with its KV cache. Not `Sync` (it mutates its cache); `Send`, so a server can
/// run it on a worker thread.
pub struct Model {
    weights: Arc<ModelWeights>,
    pool: Arc<Pool>,
    rope: Rope,
    kv: KvCache,
    n_ctx: usize,
    n_batch: usize,
    n_past: usize,
    scratch: Scratch,
    adapter: Option<LoraAdapter>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("arch", &self.weights.config.arch)
            .field("n_ctx", &self.n_ctx)
            .field("n_past", &self.n_past)
            .field("threads", &self.pool.threads())
            .finish()
    }
}

/// A raw pointer that may cross into pool threads. Each thread writes a disjoint region.
#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: only used inside `Pool::run`, where every task writes a region no other task touches,
// while the owning `&mut` borrow is held by the caller.
unsafe impl Send for SyncPtr {}
// SAFETY: as above.
unsafe impl Sync for SyncPtr {}

impl SyncPtr {
    /// Taking `self` makes closures capture the whole (Sync) wrapper, not the raw field.
    #[inline]
    fn get(self) -> *mut f32 {
        self.0
    }
}

impl Model {
    /// Loads weights and config from an open GGUF file. The file's memory map can be dropped
    /// afterwards: weights are copied into the kernels' layout.
    pub fn load(f: &GgufFile, opts: &ModelOptions) -> Result<Self, LlmError> {
        let config = LlamaConfig::from_gguf(f)?;
        let weights = ModelWeights::load(f, config)?;
        let pool = if opts.threads == 0 { Pool::from_env() } else { Pool::new(opts.threads) }
            .ctx(|| "creating the compute thread pool".to_string())?;
        Self::from_weights(Arc::new(weights), Arc::new(pool), opts)
    }

    /// Builds a model (fresh KV cache) over shared weights and a shared thread pool.
    pub fn from_weights(weights: Arc<ModelWeights>, pool: Arc<Pool>, opts: &ModelOptions) -> Result<Self, LlmError> {
        let c = &weights.config;
        let n_ctx = opts.n_ctx.unwrap_or(c.n_ctx_train).max(1);
        if n_ctx > (1 << 20) {
            return Err(LlmError::InvalidInput(format!("context length {n_ctx} is too large")));
        }
        let n_batch = opts.n_batch.clamp(1, 4096);
        let rope = Rope::new(c);
        let kv = KvCache::new(opts.kv_type, c.n_layer, n_ctx, c.kv_dim());
        let group = c.n_head / c.n_head_kv;
        // Scores for the group, plus (F16 cache only) the head's keys and values widened to f32.
        let widened = if opts.kv_type == KvType::F16 { 2 * n_ctx * c.head_dim } else { 0 };
        let per_thread_stride = group * n_ctx + widened;
        let threads = pool.threads().max(1);
        let scratch = Scratch {
            x: vec![0.0; n_batch * c.n_embd],
            xn: vec![0.0; n_batch * c.n_embd.max(c.q_dim())],
            q: vec![0.0; n_batch * c.q_dim()],
            k: vec![0.0; n_batch * c.kv_dim()],
            v: vec![0.0; n_batch * c.kv_dim()],
            attn: vec![0.0; n_batch * c.q_dim()],
            tmp: vec![0.0; n_batch * c.n_embd],
            gate: vec![0.0; n_batch * c.n_ff],
            up: vec![0.0; n_batch * c.n_ff],
            act: vec![0.0; n_batch * c.n_ff],
            rope: vec![0.0; n_batch * rope.table_len()],
            per_thread: vec![0.0; threads * per_thread_stride],
            per_thread_stride,
            lora_tmp: Vec::new(),
            logits: vec![0.0; c.n_vocab],
        };
        Ok(Model { weights, pool, rope, kv, n_ctx, n_batch, n_past: 0, scratch, adapter: None })
    }

    pub fn config(&self) -> &LlamaConfig {
        &self.weights.config
    }
    /// Read access to the weights (per-layer `QMatrix` handles, norms, config) for the training
    /// crate, which dequantizes them into its own f32 graph.
    pub fn weights(&self) -> &Arc<ModelWeights> {
        &self.weights
    }
    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }
    pub fn n_ctx(&self) -> usize {
        self.n_ctx
    }
    pub fn n_batch(&self) -> usize {
        self.n_batch
    }
    /// Number of positions currently in the KV cache.
    pub fn n_past(&self) -> usize {
        self.n_past
    }
    pub fn kv_type(&self) -> KvType {
        self.kv.kind()
    }

    /// Forgets the cached context.
    pub fn reset(&mut self) {
        self.n_past = 0;
    }

    /// Keeps only the first `n` cached positions (for reusing a shared prompt prefix).
    pub fn truncate(&mut self, n: usize) {
        self.n_past = self.n_past.min(n);
    }

    /// Attaches (or with `None` removes) a LoRA adapter applied on top of the quantized weights.
    pub fn set_adapter(&mut self, adapter: Option<LoraAdapter>) -> Result<(), LlmError> {
        if let Some(a) = &adapter {
            a.validate(&self.weights.config)?;
            self.scratch.lora_tmp = vec![0.0; self.n_batch * a.max_rank()];
        } else {
            self.scratch.lora_tmp = Vec::new();
        }
        self.adapter = adapter;
        Ok(())
    }

    pub fn adapter(&self) -> Option<&LoraAdapter> {
        self.adapter.as_ref()
    }

    /// Runs `tokens` at positions `n_past..`, appends them to the KV cache and returns logits:
    /// `n_vocab` floats for [`Logits::Last`], `tokens.len() × n_vocab` for [`Logits::All`].
    pub fn forward(&mut self, tokens: &[u32], want: Logits) -> Result<Vec<f32>, LlmError> {
        let mut out = Vec::new();
        self.forward_into(tokens, want, &mut out)?;
        Ok(out)
    }

    /// Like [`Model::forward`] for the last position only, returning a view of an internal
    /// buffer (no allocation per decoded token).
    pub fn forward_last(&mut self, tokens: &[u32]) -> Result<&[f32], LlmError> {
        self.check(tokens)?;
        let n_batch = self.n_batch;
        let chunks = tokens.len().div_ceil(n_batch);
        for (ci, chunk) in tokens.chunks(n_batch).enumerate() {
            let last = ci + 1 == chunks;
            self.forward_batch(chunk, if last { Some(Logits::Last) } else { None }, None)?;
        }
        Ok(&self.scratch.logits)
    }

    /// Like [`Model::forward`], writing into a caller-owned buffer (resized as needed).
    pub fn forward_into(&mut self, tokens: &[u32], want: Logits, out: &mut Vec<f32>) -> Result<(), LlmError> {
        self.check(tokens)?;
        let nv = self.weights.config.n_vocab;
        match want {
            Logits::Last => {
                self.forward_last(tokens)?;
                out.clear();
                out.extend_from_slice(&self.scratch.logits);
            }
            Logits::All => {
                out.clear();
                out.resize(tokens.len() * nv, 0.0);
                let n_batch = self.n_batch;
                for (ci, chunk) in tokens.chunks(n_batch).enumerate() {
                    let off = ci * n_batch * nv;
                    let dst = &mut out[off..off + chunk.len() * nv];
                    self.forward_batch(chunk, Some(Logits::All), Some(dst))?;
                }
            }
        }
        Ok(())
    }

    fn check(&self, tokens: &[u32]) -> Result<(), LlmError> {
        if tokens.is_empty() {
            return Err(LlmError::InvalidInput("forward: no tokens".into()));
        }
        let nv = self.weights.config.n_vocab;
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= nv) {
            return Err(LlmError::InvalidInput(format!("token id {bad} is outside the vocabulary (size {nv})")));
        }
        if self.n_past + tokens.len() > self.n_ctx {
            return Err(LlmError::ContextFull { needed: self.n_past + tokens.len(), n_ctx: self.n_ctx });
        }
        Ok(())
    }

    /// One batch of at most `n_batch` tokens. `want == None` computes no logits.
    fn forward_batch(
        &mut self,
        tokens: &[u32],
        want: Option<Logits>,
        all_out: Option<&mut [f32]>,
    ) -> Result<(), LlmError> {
        let w = Arc::clone(&self.weights);
        let c = &w.config;
        let n = tokens.len();
        let pos0 = self.n_past;
        let (d, qd, kvd, hd, nff) = (c.n_embd, c.q_dim(), c.kv_dim(), c.head_dim, c.n_ff);
        let pool: &Pool = &self.pool;
        let s = &mut self.scratch;
        let ctx = |what: &str| format!("forward pass: {what}");

        for (i, &t) in tokens.iter().enumerate() {
            w.token_embd.row(t as usize, &mut s.x[i * d..(i + 1) * d]).ctx(|| ctx("embedding lookup"))?;
        }
        let rl = self.rope.table_len();
        for i in 0..n {
            self.rope.fill(pos0 + i, &mut s.rope[i * rl..(i + 1) * rl]);
        }

        for (li, l) in w.layers.iter().enumerate() {
            let lora = self.adapter.as_ref().and_then(|a| a.layers.get(li));
            // --- attention ---
            for i in 0..n {
                rms_norm(&s.x[i * d..(i + 1) * d], &l.attn_norm, c.rms_eps, &mut s.xn[i * d..(i + 1) * d])
                    .ctx(|| ctx("attention norm"))?;
            }
            QMatrix::matmul_many(
                &[&l.wq, &l.wk, &l.wv],
                &s.xn[..n * d],
                n,
                &mut [&mut s.q[..n * qd], &mut s.k[..n * kvd], &mut s.v[..n * kvd]],
                pool,
            )
            .ctx(|| ctx("q/k/v projection"))?;
            if let Some(lp) = lora {
                for (p, y, od) in [(Proj::Q, &mut s.q, qd), (Proj::K, &mut s.k, kvd), (Proj::V, &mut s.v, kvd)] {
                    if let Some(pair) = &lp[p.index()] {
                        lora::apply(pair, &s.xn, n, d, y, od, &mut s.lora_tmp);
                    }
                }
            }
            for i in 0..n {
                let cs = &s.rope[i * rl..(i + 1) * rl];
                for h in 0..c.n_head {
                    self.rope.apply(cs, &mut s.q[i * qd + h * hd..i * qd + (h + 1) * hd]);
                }
                for h in 0..c.n_head_kv {
                    self.rope.apply(cs, &mut s.k[i * kvd + h * hd..i * kvd + (h + 1) * hd]);
                }
            }
            self.kv.store(li, pos0, &s.k[..n * kvd], &s.v[..n * kvd]);
            attention(
                pool,
                &self.kv,
                li,
                c,
                pos0,
                n,
                &s.q,
                &mut s.attn,
                &mut s.per_thread,
                s.per_thread_stride,
                self.n_ctx,
            )?;
            l.wo.matmul(&s.attn[..n * qd], n, &mut s.tmp[..n * d], pool).ctx(|| ctx("attention output"))?;
            if let Some(pair) = lora.and_then(|lp| lp[Proj::O.index()].as_ref()) {
                lora::apply(pair, &s.attn, n, qd, &mut s.tmp, d, &mut s.lora_tmp);
            }
            add_assign(&mut s.x[..n * d], &s.tmp[..n * d]).ctx(|| ctx("residual"))?;

            // --- feed-forward ---
            for i in 0..n {
                rms_norm(&s.x[i * d..(i + 1) * d], &l.ffn_norm, c.rms_eps, &mut s.xn[i * d..(i + 1) * d])
                    .ctx(|| ctx("ffn norm"))?;
            }
            QMatrix::matmul_many(
                &[&l.w_gate, &l.w_up],
                &s.xn[..n * d],
                n,
                &mut [&mut s.gate[..n * nff], &mut s.up[..n * nff]],
                pool,
            )
            .ctx(|| ctx("gate/up projection"))?;
            if let Some(lp) = lora {
                for (p, y) in [(Proj::Gate, &mut s.gate), (Proj::Up, &mut s.up)] {
                    if let Some(pair) = &lp[p.index()] {
                        lora::apply(pair, &s.xn, n, d, y, nff, &mut s.lora_tmp);
                    }
                }
            }
            silu_mul(&s.gate[..n * nff], &s.up[..n * nff], &mut s.act[..n * nff]).ctx(|| ctx("SwiGLU"))?;
            l.w_down.matmul(&s.act[..n * nff], n, &mut s.tmp[..n * d], pool).ctx(|| ctx("down projection"))?;
            if let Some(pair) = lora.and_then(|lp| lp[Proj::Down.index()].as_ref()) {
                lora::apply(pair, &s.act, n, nff, &mut s.tmp, d, &mut s.lora_tmp);
            }
            add_assign(&mut s.x[..n * d], &s.tmp[..n * d]).ctx(|| ctx("residual"))?;
        }
        self.n_past += n;

        match want {
            None => {}
            Some(Logits::Last) => {
                let i = n - 1;
                rms_norm(&s.x[i * d..(i + 1) * d], &w.output_norm, c.rms_eps, &mut s.xn[..d])
                    .ctx(|| ctx("output norm"))?;
                w.output().matmul(&s.xn[..d], 1, &mut s.logits, pool).ctx(|| ctx("output head"))?;
            }
            Some(Logits::All) => {
                for i in 0..n {
                    rms_norm(&s.x[i * d..(i + 1) * d], &w.output_norm, c.rms_eps, &mut s.xn[i * d..(i + 1) * d])
                        .ctx(|| ctx("output norm"))?;
                }
                let out = all_out.ok_or_else(|| LlmError::InvalidInput("forward: missing logits buffer".into()))?;
                w.output().matmul(&s.xn[..n * d], n, out, pool).ctx(|| ctx("output head"))?;
                if let Some(last) = out.chunks_exact(c.n_vocab).last() {
                    s.logits.copy_from_slice(last);
                }
            }
        }
        Ok(())
    }
}

/// Causal attention for `n` new tokens at positions `pos0..pos0+n` over the cache, one task
/// per (token, KV head) on [`quill_kernels::attend`], whose fixed summation order makes the
/// result bit-identical across CPUs, thread counts, batch sizes and prompt-cache reuse (the
/// int8 activation quantization would otherwise amplify last-bit differences into visibly
/// different logits). An F16 cache is widened to f32 per task, in the thread's own buffer.
#[allow(clippy::too_many_arguments)]
fn attention(
    pool: &Pool,
    kv: &KvCache,
    layer: usize,
    c: &LlamaConfig,
    pos0: usize,
    n: usize,
    q: &[f32],
    out: &mut [f32],
    per_thread: &mut [f32],
    stride: usize,
    n_ctx: usize,
) -> Result<(), LlmError> {
    let (hd, qd, nkv, kvd) = (c.head_dim, c.q_dim(), c.n_head_kv, c.kv_dim());
    let group = c.n_head / nkv;
    let scale = 1.0 / (hd as f32).sqrt();
    let out_ptr = SyncPtr(out.as_mut_ptr());
    let pt_ptr = SyncPtr(per_thread.as_mut_ptr());
    let n_threads = per_thread.len() / stride.max(1);
    let f32_layer = kv.f32_layer(layer);
    if pos0 + n > n_ctx || q.len() < n * qd || out.len() < n * qd || stride < group * n_ctx {
        return Err(LlmError::InvalidInput("attention: buffers smaller than the context".into()));
    }
    let failed = std::sync::atomic::AtomicBool::new(false);
    pool.run(n * nkv, |range, tid| {
        let tid = tid.min(n_threads.saturating_sub(1));
        // SAFETY: each pool thread id owns a disjoint `stride`-sized slice of `per_thread`
        // (`tid < n_threads` by construction of the pool and the buffer).
        let buf = unsafe { std::slice::from_raw_parts_mut(pt_ptr.get().add(tid * stride), stride) };
        let (scores, wide) = buf.split_at_mut(group * n_ctx);
        for task in range {
            let (i, g) = (task / nkv, task % nkv);
            let len = pos0 + i + 1;
            let (k, v, kstride): (&[f32], &[f32], usize) = match f32_layer {
                Some((k, v)) => (&k[g * hd..], &v[g * hd..], kvd),
                None => {
                    if wide.len() < 2 * len * hd {
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                    let (kw, vw) = wide.split_at_mut(len * hd);
                    for t in 0..len {
                        kv.copy_rows(layer, t, g * hd, &mut kw[t * hd..(t + 1) * hd], &mut vw[t * hd..(t + 1) * hd]);
                    }
                    (&*kw, &vw[..len * hd], hd)
                }
            };
            let qrows = &q[i * qd + g * group * hd..i * qd + (g + 1) * group * hd];
            // SAFETY: the output rows of (token i, heads of group g) belong to this task only.
            let o = unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(i * qd + g * group * hd), group * hd) };
            let p = attend::HeadGroup { q: qrows, k, v, stride: kstride, group, head_dim: hd, len, scale };
            if attend::attend(&p, scores, o).is_err() {
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    if failed.into_inner() {
        return Err(LlmError::InvalidInput("attention: a cache or scratch buffer is too small".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RopeScaling;
    use half::f16;

    fn cfg() -> LlamaConfig {
        LlamaConfig {
            arch: "llama".into(),
            n_embd: 64,
            n_layer: 1,
            n_head: 4,
            n_head_kv: 2,
            head_dim: 16,
            n_ff: 32,
            n_vocab: 10,
            n_ctx_train: 128,
            rope_dim: 16,
            rope_freq_base: 10000.0,
            rope_scaling: RopeScaling::None,
            rms_eps: 1e-5,
            tied_output: true,
        }
    }

    fn rnd(n: usize, seed: u64) -> Vec<f32> {
        let mut r = crate::sampling::Rng::new(seed);
        (0..n).map(|_| r.next_f64() as f32 * 2.0 - 1.0).collect()
    }

    /// Attention over an F32 cache and over an F16 cache holding the same (f16-exact) values is
    /// bit-identical, and equals a float64 reference, for batches that start mid-context.
    #[test]
    fn attention_matches_reference_for_both_cache_types() {
        let small = cfg();
        let smol = LlamaConfig { n_embd: 576, n_head: 9, n_head_kv: 3, head_dim: 64, rope_dim: 64, ..cfg() };
        for c in [small, smol] {
            check_attention(&c, 128);
        }
    }

    fn check_attention(c: &LlamaConfig, n_ctx: usize) {
        let pool = Pool::new(2).unwrap();
        let (qd, kvd, hd) = (c.q_dim(), c.kv_dim(), c.head_dim);
        let group = c.n_head / c.n_head_kv;
        let f16_exact = |v: Vec<f32>| v.into_iter().map(|x| f16::from_f32(x).to_f32()).collect::<Vec<_>>();
        for (pos0, n) in [(0, 1), (5, 1), (0, 3), (7, 4), (0, 40), (9, 70), (3, 5), (0, 52), (45, 7)] {
            let k = f16_exact(rnd((pos0 + n) * kvd, 1));
            let v = f16_exact(rnd((pos0 + n) * kvd, 2));
            let q = rnd(n * qd, 3);
            let mut outs = Vec::new();
            for kind in [KvType::F32, KvType::F16] {
                let mut kv = KvCache::new(kind, 1, n_ctx, kvd);
                kv.store(0, 0, &k, &v);
                let stride = group * n_ctx + 2 * n_ctx * hd;
                let mut pt = vec![0.0; 2 * stride];
                let mut out = vec![0.0; n * qd];
                attention(&pool, &kv, 0, c, pos0, n, &q, &mut out, &mut pt, stride, n_ctx).unwrap();
                outs.push(out);
            }
            assert_eq!(outs[0], outs[1], "pos0 {pos0} n {n}: F32 and F16 caches differ");
            for i in 0..n {
                for h in 0..c.n_head {
                    let g = h / group;
                    let len = pos0 + i + 1;
                    let qh = &q[i * qd + h * hd..i * qd + (h + 1) * hd];
                    let s: Vec<f64> = (0..len)
                        .map(|t| {
                            let kt = &k[t * kvd + g * hd..t * kvd + (g + 1) * hd];
                            qh.iter().zip(kt).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>() / (hd as f64).sqrt()
                        })
                        .collect();
                    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let z: f64 = s.iter().map(|x| (x - m).exp()).sum();
                    for d in 0..hd {
                        let want: f64 = (0..len).map(|t| (s[t] - m).exp() / z * v[t * kvd + g * hd + d] as f64).sum();
                        let got = outs[0][i * qd + h * hd + d] as f64;
                        assert!((got - want).abs() < 1e-5, "pos0 {pos0} n {n} token {i} head {h}: {got} vs {want}");
                    }
                }
            }
        }
    }
}
