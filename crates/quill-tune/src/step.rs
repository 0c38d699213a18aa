//! One optimizer step: forward + backward over the micro-batches, gradient accumulation,
//! clipping and the AdamW update.
//!
//! The trainer, the parity test and the benchmark all go through [`Stepper::step`], so what
//! the benchmark times and what the parity test checks is exactly what `quill tune` runs.

use candle_core::{Tensor, Var};

use crate::batch::Batch;
use crate::model::TrainModel;
use crate::optim::{AdamW, AdamWConfig, clip_grad_norm};
use crate::rng::{Rng, purpose};
use crate::{Result, TuneError};

/// What one optimizer step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// Mean loss per trained (weighted) token over the step's micro-batches.
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Learning rate used.
    pub lr: f32,
    /// Tokens that went through the model (padding included).
    pub tokens: usize,
    /// Weighted (trained) tokens.
    pub trained_tokens: f64,
}

/// A model, its optimizer state and mirrors of the parameters as plain vectors.
#[derive(Debug)]
pub struct Stepper {
    /// The model being trained.
    pub model: TrainModel,
    /// Optimizer state.
    pub opt: AdamW,
    vars: Vec<Var>,
}

impl Stepper {
    /// Fresh optimizer state for `model`'s adapters.
    pub fn new(model: TrainModel, cfg: AdamWConfig) -> Self {
        let vars = model.lora.vars();
        let sizes: Vec<usize> = vars.iter().map(|v| v.elem_count()).collect();
        Stepper { opt: AdamW::new(cfg, &sizes), model, vars }
    }

    /// The trainable variables in optimizer order.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }

    /// Gradients of the loss over `micro` (summed, normalised by the step's total weight),
    /// and the loss. Exposed for gradient tests.
    pub fn gradients(&self, micro: &[Batch], dropout_seed: Option<(u64, u64)>) -> Result<(f32, Vec<Vec<f32>>)> {
        let norm: f64 = micro.iter().map(Batch::weight_sum).sum();
        if norm <= 0.0 {
            return Err(TuneError::Dataset("a training step has no trained tokens (every label is masked)".into()));
        }
        let mut grads: Vec<Vec<f32>> = self.vars.iter().map(|v| vec![0.0; v.elem_count()]).collect();
        let mut loss = 0.0f64;
        for (mi, b) in micro.iter().enumerate() {
            if b.weight_sum() == 0.0 {
                continue;
            }
            let rng = dropout_seed.map(|(seed, step)| Rng::stream(seed, purpose::DROPOUT, step * 4096 + mi as u64));
            let l = self.model.loss(b, norm as f32, rng)?;
            loss += l.to_scalar::<f32>()? as f64;
            let gs = l.backward()?;
            for (acc, v) in grads.iter_mut().zip(&self.vars) {
                if let Some(g) = gs.get(v.as_tensor()) {
                    let g = g.flatten_all()?.to_vec1::<f32>()?;
                    acc.iter_mut().zip(g).for_each(|(a, g)| *a += g);
                }
            }
        }
        Ok((loss as f32, grads))
    }

    /// Runs one optimizer step over `micro` with learning rate `lr`.
    ///
    /// `dropout_seed` is `(seed, step)`: dropout masks are a pure function of them, so a resumed
    /// run draws the same masks.
    pub fn step(
        &mut self,
        micro: &[Batch],
        lr: f32,
        max_grad_norm: Option<f32>,
        dropout_seed: Option<(u64, u64)>,
    ) -> Result<StepStats> {
        let (loss, mut grads) = self.gradients(micro, dropout_seed)?;
        if !loss.is_finite() {
            return Err(TuneError::Diverged { step: self.opt.step + 1, loss });
        }
        let grad_norm = clip_grad_norm(&mut grads, max_grad_norm);
        if !grad_norm.is_finite() {
            return Err(TuneError::Diverged { step: self.opt.step + 1, loss: grad_norm });
        }
        let mut params = self.params()?;
        self.opt.update(&mut params, &grads, lr);
        self.set_params(&params)?;
        Ok(StepStats {
            loss,
            grad_norm,
            lr,
            tokens: micro.iter().map(Batch::n_tokens).sum(),
            trained_tokens: micro.iter().map(Batch::weight_sum).sum(),
        })
    }

    /// Current parameter values in optimizer order.
    pub fn params(&self) -> Result<Vec<Vec<f32>>> {
        self.vars.iter().map(|v| Ok(v.as_tensor().flatten_all()?.to_vec1::<f32>()?)).collect()
    }

    /// Overwrites the parameters (optimizer order).
    pub fn set_params(&self, params: &[Vec<f32>]) -> Result<()> {
        for (v, p) in self.vars.iter().zip(params) {
            let t = Tensor::from_slice(p, v.shape(), v.device())?;
            v.set(&t)?;
        }
        Ok(())
    }
}
