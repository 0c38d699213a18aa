//! The fused training graph: candle custom ops with hand-written backward passes.
//!
//! Each op is checked against the built-in reference graph and against finite differences in
//! the tests. All of them run on both cores (rayon) and are deterministic: work is split into
//! fixed chunks and results are combined in a fixed order, never with atomics.

mod attn;
mod ce;
mod layer;
mod linear;
pub(crate) mod math;
mod norm;

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, Device, Layout, Shape, Storage, StorageRef, Tensor};

use crate::Result;
use crate::batch::Batch;
use crate::lora::Target;
use crate::model::{Dropout, TrainModel};
use crate::rope::RopeTable;

/// A borrowed view of a contiguous f32 CPU tensor's data (holds the storage read lock).
pub(crate) struct F32View<'a> {
    guard: StorageRef<'a>,
    start: usize,
    end: usize,
}

impl<'a> F32View<'a> {
    /// Borrows `t`'s values; errors if it is not a contiguous f32 CPU tensor.
    pub(crate) fn new(t: &'a Tensor) -> candle_core::Result<Self> {
        let (guard, layout) = t.storage_and_layout();
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("quill op: tensor is not contiguous");
        };
        match &*guard {
            Storage::Cpu(CpuStorage::F32(v)) if end <= v.len() => {}
            _ => candle_core::bail!("quill op: expected an f32 CPU tensor"),
        }
        Ok(F32View { guard, start, end })
    }

    /// The values.
    pub(crate) fn as_slice(&self) -> &[f32] {
        match &*self.guard {
            Storage::Cpu(CpuStorage::F32(v)) => &v[self.start..self.end],
            _ => &[],
        }
    }
}

/// The contiguous f32 data of a custom op's input.
pub(crate) fn input<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> candle_core::Result<&'a [f32]> {
    let v = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => candle_core::bail!("{what}: input is not contiguous"),
    }
}

/// A fresh (untracked) tensor for a backward result.
pub(crate) fn out_tensor<S: Into<Shape>>(v: Vec<f32>, shape: S) -> candle_core::Result<Tensor> {
    Tensor::from_vec(v, shape, &Device::Cpu)
}

/// For each token, the index within its row where its segment starts.
fn segment_starts(batch: &Batch) -> Vec<u32> {
    let mut out = vec![0u32; batch.b * batch.t];
    for r in 0..batch.b {
        let mut start = 0u32;
        for i in 0..batch.t {
            let k = r * batch.t + i;
            if i > 0 && batch.segments[k] != batch.segments[k - 1] {
                start = i as u32;
            }
            out[k] = start;
        }
    }
    out
}

/// The fused graph's loss (see [`TrainModel::loss`]): embedding, one [`layer::LayerOp`] node per
/// block, the final RMSNorm, then the chunked LM head + cross-entropy. With `eval`, nothing is
/// kept for a backward pass.
pub(crate) fn fused_loss(
    model: &TrainModel,
    rope: &Arc<RopeTable>,
    batch: &Batch,
    norm: f32,
    mut drop: Option<&mut Dropout>,
    eval: bool,
) -> Result<Tensor> {
    let base = &model.base;
    let cfg = &base.cfg;
    let (b, t) = (batch.b, batch.t);
    let n = b * t;
    let ids = Tensor::from_slice(&batch.tokens, n, &Device::Cpu)?;
    let mut x = base.tok_embd.index_select(&ids, 0)?;
    let attn = attn::Attention {
        b,
        t,
        nh: cfg.n_head,
        nkv: cfg.n_head_kv,
        hd: cfg.head_dim,
        rope: rope.clone(),
        positions: Arc::new(batch.positions.clone()),
        seg_start: Arc::new(segment_starts(batch)),
    };
    for li in 0..cfg.n_layer {
        let var = model
            .lora
            .layer_var(li)
            .ok_or_else(|| crate::TuneError::Config(format!("internal: no adapter for layer {li}")))?;
        let p = if eval { var.as_tensor().detach() } else { var.as_tensor().clone() };
        let mut slots = [None; 7];
        for tg in Target::ALL {
            slots[tg as usize] = model.lora.slot(li, tg);
        }
        // The layer draws its masks from this state; advance the shared stream past them so
        // the next layer continues where the reference graph would.
        let dropout = drop.as_deref_mut().map(|d| {
            let state = d.rng.clone();
            for tg in Target::ALL {
                if slots[tg as usize].is_some() {
                    d.mask(n * cfg.in_features(tg));
                }
            }
            (d.p, state)
        });
        let op = layer::LayerOp {
            base: base.clone(),
            layer: li,
            rank: model.lora.cfg.rank,
            scale: model.lora.cfg.scale(),
            slots,
            attn: attn.clone(),
            dropout,
            need_dx: li > 0,
            keep: !eval,
            saved: Mutex::new(None),
        };
        x = x.apply_op2(&p, op)?;
    }
    let h = x.apply_op1(norm::RmsNorm { g: base.out_norm.clone(), eps: cfg.rms_eps })?;
    let op = ce::LmHeadLoss {
        w: base.output.clone(),
        vocab: cfg.vocab,
        d: cfg.n_embd,
        targets: batch.targets.clone(),
        weights: batch.weights.clone(),
        norm,
        need_grad: !eval,
        grad: Mutex::new(None),
    };
    Ok(h.apply_op1(op)?)
}

/// Optional per-op timing (`QUILL_TUNE_PROFILE=1` for wall time, `=cpu` for CPU time of all
/// threads, which stays meaningful on a busy machine), for finding where a step's time goes.
pub mod profile {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    /// Op categories that are timed.
    pub const NAMES: [&str; 5] = ["block fwd", "block bwd", "norm fwd", "norm bwd", "lm-head+ce"];
    static NS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Off,
        Wall,
        Cpu,
    }

    fn mode() -> Mode {
        static ON: OnceLock<Mode> = OnceLock::new();
        *ON.get_or_init(|| match std::env::var("QUILL_TUNE_PROFILE").as_deref() {
            Ok("cpu") => Mode::Cpu,
            Ok(v) if !v.is_empty() && v != "0" => Mode::Wall,
            _ => Mode::Off,
        })
    }

    /// Nanoseconds all threads of this process have spent on a CPU (Linux schedstat).
    pub fn cpu_ns() -> u64 {
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0 };
        dir.filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
            .sum()
    }

    /// Times a closure under category `i` when profiling is on.
    pub fn time<R>(i: usize, f: impl FnOnce() -> R) -> R {
        match mode() {
            Mode::Off => f(),
            Mode::Wall => {
                let t = Instant::now();
                let r = f();
                NS[i].fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                r
            }
            Mode::Cpu => {
                let t = cpu_ns();
                let r = f();
                NS[i].fetch_add(cpu_ns().saturating_sub(t), Ordering::Relaxed);
                r
            }
        }
    }

    /// Seconds per category since the last reset.
    pub fn take() -> Vec<(&'static str, f64)> {
        NAMES.iter().zip(&NS).map(|(n, a)| (*n, a.swap(0, Ordering::Relaxed) as f64 * 1e-9)).collect()
    }
}
