//! AdamW, learning-rate schedules and gradient clipping, on plain `f32` buffers.
//!
//! Why not `candle_nn::AdamW`: its moment buffers are private, so a checkpoint could not save
//! them and `--resume` would restart the optimizer cold. This is PyTorch's single-tensor AdamW
//! step, operation for operation (decoupled weight decay first, `lerp` for the first moment,
//! bias corrections as f64 scalars), so the parity run's five steps match PyTorch's.

use serde::{Deserialize, Serialize};

/// AdamW hyper-parameters (PyTorch defaults except the learning rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    /// β₁.
    pub beta1: f32,
    /// β₂.
    pub beta2: f32,
    /// ε added to the denominator.
    pub eps: f32,
    /// Decoupled weight decay.
    pub weight_decay: f32,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 }
    }
}

/// Optimizer state: step count and the two moments per parameter tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamW {
    /// Hyper-parameters.
    pub cfg: AdamWConfig,
    /// Steps taken (PyTorch's `state["step"]`).
    pub step: u64,
    /// First moments.
    pub m: Vec<Vec<f32>>,
    /// Second moments.
    pub v: Vec<Vec<f32>>,
}

impl AdamW {
    /// Zero state for parameter tensors of the given sizes.
    pub fn new(cfg: AdamWConfig, sizes: &[usize]) -> Self {
        AdamW {
            cfg,
            step: 0,
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
        }
    }

    /// One update of every parameter tensor with learning rate `lr`.
    pub fn update(&mut self, params: &mut [Vec<f32>], grads: &[Vec<f32>], lr: f32) {
        self.step += 1;
        let c = self.cfg;
        let decay = (1.0 - lr as f64 * c.weight_decay as f64) as f32;
        let bc1 = 1.0 - (c.beta1 as f64).powi(self.step as i32);
        let bc2 = 1.0 - (c.beta2 as f64).powi(self.step as i32);
        let step_size = (lr as f64 / bc1) as f32;
        let bc2_sqrt = bc2.sqrt() as f32;
        let w1 = 1.0 - c.beta1;
        let w2 = 1.0 - c.beta2;
        for (((p, g), m), v) in params.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *p *= decay;
                *m += w1 * (g - *m);
                *v = *v * c.beta2 + w2 * g * g;
                let denom = v.sqrt() / bc2_sqrt + c.eps;
                *p += (-step_size * *m) / denom;
            }
        }
    }
}

/// Scales the gradients so their global L2 norm is at most `max_norm` (PyTorch's
/// `clip_grad_norm_`); returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut [Vec<f32>], max_norm: Option<f32>) -> f32 {
    let total = grads.iter().flat_map(|g| g.iter()).map(|&x| (x as f64) * (x as f64)).sum::<f64>().sqrt() as f32;
    if let Some(max) = max_norm {
        let coef = max / (total + 1e-6);
        if coef < 1.0 {
            grads.iter_mut().flat_map(|g| g.iter_mut()).for_each(|x| *x *= coef);
        }
    }
    total
}

/// Learning-rate schedule shape after warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// Half-cosine decay to `min_lr_ratio · lr`.
    Cosine,
    /// Linear decay to `min_lr_ratio · lr`.
    Linear,
    /// Constant after warm-up.
    Constant,
}

/// Linear warm-up, then the chosen decay over the remaining steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Peak learning rate.
    pub lr: f32,
    /// Warm-up steps (linear from `lr/warmup` to `lr`).
    pub warmup: u64,
    /// Total optimizer steps of the run.
    pub total: u64,
    /// Decay shape.
    pub kind: ScheduleKind,
    /// Final learning rate as a fraction of the peak.
    pub min_lr_ratio: f32,
}

impl Schedule {
    /// Learning rate for 0-based optimizer step `step`.
    pub fn lr_at(&self, step: u64) -> f32 {
        if step < self.warmup {
            return self.lr * (step + 1) as f32 / self.warmup as f32;
        }
        let span = self.total.saturating_sub(self.warmup).max(1);
        let progress = ((step - self.warmup) as f64 / span as f64).min(1.0);
        let factor = match self.kind {
            ScheduleKind::Constant => 1.0,
            ScheduleKind::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
            ScheduleKind::Linear => 1.0 - progress,
        } as f32;
        let min = self.min_lr_ratio;
        self.lr * (min + (1.0 - min) * factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_lr_in_sign_of_gradient() {
        // With bias correction, Adam's first step is lr * g/|g| (up to eps).
        let mut opt = AdamW::new(AdamWConfig { weight_decay: 0.0, ..Default::default() }, &[3]);
        let mut p = vec![vec![1.0, -2.0, 0.5]];
        opt.update(&mut p, &[vec![0.3, -4.0, 0.0]], 0.01);
        assert!((p[0][0] - 0.99).abs() < 1e-6, "{:?}", p);
        assert!((p[0][1] - -1.99).abs() < 1e-6, "{:?}", p);
        assert_eq!(p[0][2], 0.5);
    }

    #[test]
    fn weight_decay_is_decoupled() {
        let mut opt = AdamW::new(AdamWConfig { weight_decay: 0.1, ..Default::default() }, &[1]);
        let mut p = vec![vec![2.0]];
        opt.update(&mut p, &[vec![0.0]], 0.5);
        assert!((p[0][0] - 2.0 * (1.0 - 0.05)).abs() < 1e-6);
    }

    #[test]
    fn clipping_scales_to_max_norm() {
        let mut g = vec![vec![3.0, 4.0]];
        let n = clip_grad_norm(&mut g, Some(1.0));
        assert!((n - 5.0).abs() < 1e-6);
        assert!((g[0][0] - 0.6).abs() < 1e-5 && (g[0][1] - 0.8).abs() < 1e-5);
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let s = Schedule { lr: 1.0, warmup: 10, total: 110, kind: ScheduleKind::Cosine, min_lr_ratio: 0.0 };
        assert!((s.lr_at(0) - 0.1).abs() < 1e-6);
        assert!((s.lr_at(9) - 1.0).abs() < 1e-6);
        assert!((s.lr_at(10) - 1.0).abs() < 1e-6);
        assert!((s.lr_at(60) - 0.5).abs() < 1e-6);
        assert!(s.lr_at(110) < 1e-6);
        let c = Schedule { kind: ScheduleKind::Constant, warmup: 0, ..s };
        assert_eq!(c.lr_at(50), 1.0);
    }
}
