//! One whole transformer block as a single autograd node, with a hand-written backward pass.
//!
//! Why: with one candle node per small op, candle's backward pass spends about a second per
//! step just accumulating gradients (a zero tensor plus an allocating, single-threaded add for
//! every input of every node). As one node per block, the block's gradients are accumulated in
//! place in its own buffers, intermediate results are freed as soon as they are used, and the
//! activations kept for the backward pass are only those that are expensive to recompute
//! (q, k, v, the attention output, the residual stream and the SwiGLU inputs; the RMSNorm
//! outputs and the SwiGLU product are recomputed). The node's inputs are the residual stream
//! and the layer's flat LoRA variable, so the LoRA gradients still flow through candle's
//! autograd to the variables.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};

use super::attn::Attention;
use super::linear::{self, Dims, Lora};
use super::norm::{rms_backward_acc, rms_forward, swiglu_backward, swiglu_forward};
use super::{F32View, input, out_tensor};
use crate::lora::{Slot, Target};
use crate::model::Dropout;
use crate::weights::BaseWeights;

/// What the forward pass keeps for the backward pass.
pub(crate) struct Saved {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    lse: Vec<f32>,
    x2: Vec<f32>,
    g: Vec<f32>,
    u: Vec<f32>,
    /// `s·drop(x)·Aᵀ` per target (empty when not adapted).
    us: [Vec<f32>; 7],
}

pub(crate) struct LayerOp {
    pub base: Arc<BaseWeights>,
    pub layer: usize,
    pub rank: usize,
    pub scale: f32,
    pub slots: [Option<Slot>; 7],
    pub attn: Attention,
    /// Dropout state at the start of this layer (masks are redrawn identically in backward).
    pub dropout: Option<(f32, crate::rng::Rng)>,
    /// Whether the backward pass must produce the input gradient (not for the first layer).
    pub need_dx: bool,
    /// Whether to keep activations (off for evaluation).
    pub keep: bool,
    pub saved: Mutex<Option<Saved>>,
}

impl LayerOp {
    fn dims(&self, t: Target, n: usize) -> Dims {
        let c = &self.base.cfg;
        Dims { n, n_in: c.in_features(t), n_out: c.out_features(t) }
    }

    fn lora<'a>(&self, p: &'a [f32], t: Target) -> Option<Lora<'a>> {
        let s = self.slots[t as usize]?;
        let r = self.rank;
        Some(Lora { a: &p[s.a..s.a + r * s.n_in], b: &p[s.b..s.b + s.n_out * r], rank: r, scale: self.scale })
    }

    /// Dropout masks for every adapted target, drawn in the reference graph's order.
    fn masks(&self, n: usize) -> [Option<Vec<f32>>; 7] {
        let mut out: [Option<Vec<f32>>; 7] = Default::default();
        if let Some((p, rng)) = &self.dropout {
            let mut d = Dropout { p: *p, rng: rng.clone() };
            for t in Target::ALL {
                if self.slots[t as usize].is_some() {
                    out[t as usize] = Some(d.mask(n * self.base.cfg.in_features(t)));
                }
            }
        }
        out
    }

    fn forward(&self, x: &[f32], p: &[f32]) -> candle_core::Result<Vec<f32>> {
        let lw = &self.base.layers[self.layer];
        let cfg = &self.base.cfg;
        let n = x.len() / cfg.n_embd;
        let eps = cfg.rms_eps;
        let w = |t: Target| F32View::new(lw.weight(t));
        let (g1, g2) = (F32View::new(&lw.attn_norm)?, F32View::new(&lw.ffn_norm)?);
        let masks = self.masks(n);
        let mut us: [Vec<f32>; 7] = Default::default();
        let mut lin = |xin: &[f32], t: Target| -> candle_core::Result<Vec<f32>> {
            let wt = w(t)?;
            let (y, u) =
                linear::forward(xin, wt.as_slice(), self.lora(p, t), masks[t as usize].as_deref(), self.dims(t, n));
            us[t as usize] = u;
            Ok(y)
        };
        let h1 = rms_forward(x, g1.as_slice(), eps);
        let q = lin(&h1, Target::Q)?;
        let k = lin(&h1, Target::K)?;
        let v = lin(&h1, Target::V)?;
        drop(h1);
        let (att, lse) = self.attn.forward(&q, &k, &v);
        let o = lin(&att, Target::O)?;
        let mut x2 = o;
        x2.iter_mut().zip(x).for_each(|(a, b)| *a += b);
        let h2 = rms_forward(&x2, g2.as_slice(), eps);
        let g = lin(&h2, Target::Gate)?;
        let u = lin(&h2, Target::Up)?;
        drop(h2);
        let a = swiglu_forward(&g, &u);
        let mut y = lin(&a, Target::Down)?;
        drop(a);
        y.iter_mut().zip(&x2).for_each(|(a, b)| *a += b);
        if self.keep {
            let saved = Saved { q, k, v, att, lse, x2, g, u, us };
            match self.saved.lock() {
                Ok(mut s) => *s = Some(saved),
                Err(_) => candle_core::bail!("layer op: state lock poisoned"),
            }
        }
        Ok(y)
    }

    fn backward(&self, x: &[f32], p: &[f32], dy: &[f32]) -> candle_core::Result<(Option<Vec<f32>>, Vec<f32>)> {
        let s = match self.saved.lock() {
            Ok(mut g) => g.take(),
            Err(_) => candle_core::bail!("layer op: state lock poisoned"),
        };
        let Some(s) = s else { candle_core::bail!("layer op: backward without a saved forward pass") };
        let lw = &self.base.layers[self.layer];
        let cfg = &self.base.cfg;
        let n = x.len() / cfg.n_embd;
        let eps = cfg.rms_eps;
        let (g1, g2) = (F32View::new(&lw.attn_norm)?, F32View::new(&lw.ffn_norm)?);
        let masks = self.masks(n);
        let mut dp = vec![0.0f32; p.len()];
        let r = self.rank;
        // Backward of one projection; the adapter's gradients go straight into `dp`.
        let mut lin_bwd = |dyt: &[f32], xin: &[f32], t: Target, dx: Option<&mut [f32]>| -> candle_core::Result<()> {
            let wt = F32View::new(lw.weight(t))?;
            let d = self.dims(t, n);
            let (mut da, mut db) = match self.slots[t as usize] {
                Some(sl) => (vec![0.0f32; r * sl.n_in], vec![0.0f32; sl.n_out * r]),
                None => (Vec::new(), Vec::new()),
            };
            linear::backward(
                dyt,
                xin,
                wt.as_slice(),
                self.lora(p, t),
                &s.us[t as usize],
                masks[t as usize].as_deref(),
                d,
                dx,
                &mut da,
                &mut db,
            );
            if let Some(sl) = self.slots[t as usize] {
                dp[sl.a..sl.a + da.len()].copy_from_slice(&da);
                dp[sl.b..sl.b + db.len()].copy_from_slice(&db);
            }
            Ok(())
        };
        // Feed-forward half.
        let mut dx2 = dy.to_vec();
        let h2 = rms_forward(&s.x2, g2.as_slice(), eps);
        let a = swiglu_forward(&s.g, &s.u);
        let mut da = vec![0.0f32; n * cfg.n_ff];
        lin_bwd(dy, &a, Target::Down, Some(&mut da))?;
        drop(a);
        let (dg, du) = swiglu_backward(&s.g, &s.u, &da);
        drop(da);
        let mut dh2 = vec![0.0f32; n * cfg.n_embd];
        lin_bwd(&dg, &h2, Target::Gate, Some(&mut dh2))?;
        lin_bwd(&du, &h2, Target::Up, Some(&mut dh2))?;
        drop((dg, du, h2));
        rms_backward_acc(&s.x2, g2.as_slice(), &dh2, eps, &mut dx2);
        drop(dh2);
        // Attention half.
        let mut datt = vec![0.0f32; n * cfg.n_head * cfg.head_dim];
        lin_bwd(&dx2, &s.att, Target::O, Some(&mut datt))?;
        let (dq, dk, dv) = self.attn.backward(&s.q, &s.k, &s.v, &datt, &s.lse);
        drop(datt);
        let h1 = rms_forward(x, g1.as_slice(), eps);
        if !self.need_dx {
            lin_bwd(&dq, &h1, Target::Q, None)?;
            lin_bwd(&dk, &h1, Target::K, None)?;
            lin_bwd(&dv, &h1, Target::V, None)?;
            return Ok((None, dp));
        }
        let mut dh1 = vec![0.0f32; n * cfg.n_embd];
        lin_bwd(&dq, &h1, Target::Q, Some(&mut dh1))?;
        lin_bwd(&dk, &h1, Target::K, Some(&mut dh1))?;
        lin_bwd(&dv, &h1, Target::V, Some(&mut dh1))?;
        rms_backward_acc(x, g1.as_slice(), &dh1, eps, &mut dx2);
        Ok((Some(dx2), dp))
    }
}

impl CustomOp2 for LayerOp {
    fn name(&self) -> &'static str {
        "quill-llama-block"
    }

    fn cpu_fwd(
        &self,
        sx: &CpuStorage,
        lx: &Layout,
        sp: &CpuStorage,
        lp: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        super::profile::time(0, || {
            let x = input(sx, lx, "block x")?;
            let p = input(sp, lp, "block LoRA parameters")?;
            let y = self.forward(x, p)?;
            Ok((CpuStorage::F32(y), lx.shape().clone()))
        })
    }

    fn bwd(
        &self,
        x: &Tensor,
        p: &Tensor,
        _res: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        super::profile::time(1, || {
            let (x, p, dy) = (x.contiguous()?, p.contiguous()?, dy.contiguous()?);
            let (xv, pv, dyv) = (F32View::new(&x)?, F32View::new(&p)?, F32View::new(&dy)?);
            let (dx, dp) = self.backward(xv.as_slice(), pv.as_slice(), dyv.as_slice())?;
            let dx = match dx {
                Some(v) => Some(out_tensor(v, x.shape().clone())?),
                None => None,
            };
            Ok((dx, Some(out_tensor(dp, p.shape().clone())?)))
        })
    }
}
