//! The differentiable training graph: a Llama forward pass with LoRA on its linear layers,
//! ending in a masked, weighted cross-entropy.
//!
//! Two graphs compute the same function:
//! - [`Graph::Reference`] uses only candle ops that have a backward pass (explicit RMSNorm,
//!   interleaved RoPE with `narrow`/`cat`, `softmax`, additive causal mask, `log_softmax` +
//!   `gather`). It is slow and memory-hungry but obviously correct, and it is what the
//!   finite-difference tests check first.
//! - [`Graph::Fused`] (the default) runs each transformer block as one custom autograd node
//!   with a hand-written backward pass ([`crate::ops`]): frozen linear layers compute only the
//!   input gradient (never a gradient for the frozen weight, which candle's matmul backward
//!   always would), attention keeps only a log-sum-exp per row and recomputes its
//!   probabilities, and the LM head + cross-entropy run in chunks so the full
//!   `tokens × vocab` logits never exist. Tests assert both graphs give the same loss and
//!   gradients, with dropout, packing and padding, and that both match finite differences.
//!
//! Both stay inside candle's autograd, so `loss.backward()` delivers gradients to the LoRA
//! `Var`s and nothing else.

use std::sync::Arc;

use candle_core::{D, DType, Device, Tensor};

use crate::batch::Batch;
use crate::lora::{LoraPair, LoraParams, Target};
use crate::ops;
use crate::rng::Rng;
use crate::rope::RopeTable;
use crate::weights::BaseWeights;
use crate::{Result, TuneError};

/// Which implementation of the graph to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Graph {
    /// Built-in candle ops only (reference for tests).
    Reference,
    /// Fused custom ops with hand-written backward passes (fast, low memory).
    Fused,
}

/// A base model plus trainable adapters, ready to compute losses.
#[derive(Debug, Clone)]
pub struct TrainModel {
    /// Frozen weights.
    pub base: Arc<BaseWeights>,
    /// Trainable adapters.
    pub lora: LoraParams,
    /// Graph implementation.
    pub graph: Graph,
    rope: Arc<RopeTable>,
}

/// Dropout masks for one micro-batch, drawn lazily in a fixed order so a resumed run draws the
/// same masks.
pub(crate) struct Dropout {
    pub p: f32,
    pub rng: Rng,
}

impl Dropout {
    /// A keep-mask scaled by `1/(1-p)` for `n` values.
    pub(crate) fn mask(&mut self, n: usize) -> Vec<f32> {
        let keep = 1.0 - self.p;
        let scale = 1.0 / keep;
        // 16 random bits per value, four values per draw: dropout needs no more resolution, and
        // this keeps mask generation far below the cost of the matmuls it feeds.
        let threshold = (self.p * 65536.0) as u64;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let mut r = self.rng.next_u64();
            for _ in 0..4 {
                if out.len() == n {
                    break;
                }
                out.push(if (r & 0xFFFF) >= threshold { scale } else { 0.0 });
                r >>= 16;
            }
        }
        out
    }
}

impl TrainModel {
    /// Wraps a base model and adapters. `max_pos` bounds the positions a batch may use.
    pub fn new(base: Arc<BaseWeights>, lora: LoraParams, graph: Graph, max_pos: usize) -> Result<Self> {
        if lora.n_layer() != base.cfg.n_layer {
            return Err(TuneError::Config(format!(
                "adapter has {} layers, base model {}",
                lora.n_layer(),
                base.cfg.n_layer
            )));
        }
        let rope = Arc::new(RopeTable::new(base.cfg.head_dim, base.cfg.rope_base, max_pos.max(1)));
        Ok(TrainModel { base, lora, graph, rope })
    }

    /// Largest position the RoPE table covers.
    pub fn max_pos(&self) -> usize {
        self.rope.max_pos()
    }

    /// The training loss of `batch`: `Σ weight·(−log p(target)) / norm`, as a scalar tensor whose
    /// `backward()` fills the LoRA gradients. `norm` is the weight sum of the whole optimizer
    /// step (all micro-batches), so accumulated gradients equal one big batch's. `dropout`
    /// seeds the adapter-input dropout (`None` = evaluation, no dropout).
    pub fn loss(&self, batch: &Batch, norm: f32, dropout: Option<Rng>) -> Result<Tensor> {
        self.check_batch(batch)?;
        let mut drop = match dropout {
            Some(rng) if self.lora.cfg.dropout > 0.0 => Some(Dropout { p: self.lora.cfg.dropout, rng }),
            _ => None,
        };
        match self.graph {
            Graph::Reference => self.loss_reference(batch, norm, drop.as_mut()),
            Graph::Fused => ops::fused_loss(self, &self.rope, batch, norm, drop.as_mut(), false),
        }
    }

    /// Mean loss per weighted token of `batch` and the batch's weight, without dropout and
    /// without building anything for a backward pass (validation).
    pub fn eval_loss(&self, batch: &Batch) -> Result<(f64, f64)> {
        self.check_batch(batch)?;
        let w = batch.weight_sum();
        if w == 0.0 {
            return Ok((0.0, 0.0));
        }
        let l = match self.graph {
            Graph::Reference => self.loss_reference(batch, w as f32, None)?,
            Graph::Fused => ops::fused_loss(self, &self.rope, batch, w as f32, None, true)?,
        };
        Ok((l.to_scalar::<f32>()? as f64, w))
    }

    fn check_batch(&self, batch: &Batch) -> Result<()> {
        let n = batch.b * batch.t;
        let lens =
            [batch.tokens.len(), batch.positions.len(), batch.segments.len(), batch.targets.len(), batch.weights.len()];
        if lens.iter().any(|&l| l != n) || n == 0 {
            return Err(TuneError::Config(format!(
                "internal: malformed batch {}x{} with lengths {lens:?}",
                batch.b, batch.t
            )));
        }
        let vocab = self.base.cfg.vocab as u32;
        if let Some(&bad) = batch.tokens.iter().chain(&batch.targets).find(|&&id| id >= vocab) {
            return Err(TuneError::Config(format!("token id {bad} is outside the vocabulary ({vocab})")));
        }
        if let Some(&p) = batch.positions.iter().find(|&&p| p as usize >= self.rope.max_pos()) {
            return Err(TuneError::Config(format!(
                "position {p} is beyond the maximum sequence length {}",
                self.rope.max_pos()
            )));
        }
        Ok(())
    }

    /// `x·Wᵀ + scale·(drop(x)·Aᵀ)·Bᵀ` with built-in ops.
    fn linear_ref(
        &self,
        x: &Tensor,
        w: &Tensor,
        pair: Option<&LoraPair>,
        drop: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let y = x.matmul(&w.t()?)?;
        let Some(p) = pair else { return Ok(y) };
        let xin = match drop {
            Some(d) => {
                let m = Tensor::from_vec(d.mask(x.elem_count()), x.shape(), &Device::Cpu)?;
                (x * m)?
            }
            None => x.clone(),
        };
        let u = xin.matmul(&p.a.t()?)?;
        let l = (u.matmul(&p.b.t()?)? * self.lora.cfg.scale() as f64)?;
        Ok((y + l)?)
    }

    fn rms_ref(&self, x: &Tensor, g: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::rms_norm_slow(x, g, self.base.cfg.rms_eps)?)
    }

    /// Interleaved RoPE on `(b, h, t, d)` with per-token positions, built from narrow/cat.
    fn rope_ref(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
        let (b, h, t, d) = x.dims4()?;
        let x = x.reshape((b, h, t, d / 2, 2))?;
        let x0 = x.narrow(D::Minus1, 0, 1)?;
        let x1 = x.narrow(D::Minus1, 1, 1)?;
        let y0 = (x0.broadcast_mul(cos)? - x1.broadcast_mul(sin)?)?;
        let y1 = (x0.broadcast_mul(sin)? + x1.broadcast_mul(cos)?)?;
        Ok(Tensor::cat(&[y0, y1], D::Minus1)?.reshape((b, h, t, d))?)
    }

    fn loss_reference(&self, batch: &Batch, norm: f32, mut drop: Option<&mut Dropout>) -> Result<Tensor> {
        let cfg = &self.base.cfg;
        let dev = Device::Cpu;
        let (b, t) = (batch.b, batch.t);
        let n = b * t;
        let (nh, nkv, hd) = (cfg.n_head, cfg.n_head_kv, cfg.head_dim);
        let half = hd / 2;
        let ids = Tensor::from_slice(&batch.tokens, n, &dev)?;
        let mut x = self.base.tok_embd.index_select(&ids, 0)?;

        let mut cos = Vec::with_capacity(n * half);
        let mut sin = Vec::with_capacity(n * half);
        for &p in &batch.positions {
            let p = p as usize;
            cos.extend_from_slice(&self.rope.cos[p * half..(p + 1) * half]);
            sin.extend_from_slice(&self.rope.sin[p * half..(p + 1) * half]);
        }
        let cos = Tensor::from_vec(cos, (b, 1, t, half, 1), &dev)?;
        let sin = Tensor::from_vec(sin, (b, 1, t, half, 1), &dev)?;
        let mut mask = vec![0f32; b * t * t];
        for r in 0..b {
            for i in 0..t {
                for j in 0..t {
                    let same = batch.segments[r * t + i] == batch.segments[r * t + j];
                    if j > i || !same {
                        mask[(r * t + i) * t + j] = -1e9;
                    }
                }
            }
        }
        let mask = Tensor::from_vec(mask, (b, 1, t, t), &dev)?;
        let scale = 1.0 / (hd as f64).sqrt();

        for (li, lw) in self.base.layers.iter().enumerate() {
            let pair = |tg: Target| self.lora.get(li, tg);
            let h = self.rms_ref(&x, &lw.attn_norm)?;
            let q = self.linear_ref(&h, &lw.wq, pair(Target::Q)?.as_ref(), drop.as_deref_mut())?;
            let k = self.linear_ref(&h, &lw.wk, pair(Target::K)?.as_ref(), drop.as_deref_mut())?;
            let v = self.linear_ref(&h, &lw.wv, pair(Target::V)?.as_ref(), drop.as_deref_mut())?;
            let q = q.reshape((b, t, nh, hd))?.transpose(1, 2)?.contiguous()?;
            let k = k.reshape((b, t, nkv, hd))?.transpose(1, 2)?.contiguous()?;
            let v = v.reshape((b, t, nkv, hd))?.transpose(1, 2)?.contiguous()?;
            let q = self.rope_ref(&q, &cos, &sin)?;
            let k = self.rope_ref(&k, &cos, &sin)?;
            let rep = nh / nkv;
            let (k, v) = if rep > 1 {
                let k = Tensor::cat(&vec![k.unsqueeze(2)?; rep], 2)?.reshape((b, nh, t, hd))?;
                let v = Tensor::cat(&vec![v.unsqueeze(2)?; rep], 2)?.reshape((b, nh, t, hd))?;
                (k, v)
            } else {
                (k, v)
            };
            let att = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&mask)?;
            let p = candle_nn::ops::softmax(&att, D::Minus1)?;
            let o = p.matmul(&v)?.transpose(1, 2)?.reshape((n, nh * hd))?;
            let o = self.linear_ref(&o, &lw.wo, pair(Target::O)?.as_ref(), drop.as_deref_mut())?;
            x = (x + o)?;
            let h = self.rms_ref(&x, &lw.ffn_norm)?;
            let g = self.linear_ref(&h, &lw.w_gate, pair(Target::Gate)?.as_ref(), drop.as_deref_mut())?;
            let u = self.linear_ref(&h, &lw.w_up, pair(Target::Up)?.as_ref(), drop.as_deref_mut())?;
            let a = (g.silu()? * u)?;
            let dn = self.linear_ref(&a, &lw.w_down, pair(Target::Down)?.as_ref(), drop.as_deref_mut())?;
            x = (x + dn)?;
        }
        let h = self.rms_ref(&x, &self.base.out_norm)?;
        let logits = h.matmul(&self.base.output.t()?)?;
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let tg = Tensor::from_slice(&batch.targets, (n, 1), &dev)?;
        let nll = logp.gather(&tg, 1)?.squeeze(1)?.neg()?;
        let w = Tensor::from_slice(&batch.weights, n, &dev)?;
        let loss = ((nll * w)?.sum_all()? / norm as f64)?;
        Ok(loss.to_dtype(DType::F32)?)
    }
}
