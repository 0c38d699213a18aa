//! The fused training graph: candle custom ops with hand-written backward passes.
//!
//! Each op is checked against the built-in reference graph and against finite differences in
//! the tests. All of them run on both cores (rayon) and are deterministic: work is split into
//! fixed chunks and results are combined in a fixed order, never with atomics.

mod attn;
mod ce;
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
pub(crate) fn input<'a>(
    s: &'a CpuStorage,
    l: &Layout,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
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

/// The fused graph's loss (see [`TrainModel::loss`]).
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
    let (d, nh, nkv, hd) = (cfg.n_embd, cfg.n_head, cfg.n_head_kv, cfg.head_dim);
    let ids = Tensor::from_slice(&batch.tokens, n, &Device::Cpu)?;
    let mut x = base.tok_embd.index_select(&ids, 0)?;
    let positions = Arc::new(batch.positions.clone());
    let seg_start = Arc::new(segment_starts(batch));
    let scale = model.lora.cfg.scale();

    let linear =
        |x: &Tensor, li: usize, tg: Target, drop: Option<&mut Dropout>| -> Result<Tensor> {
            let w = base.layers[li].weight(tg).clone();
            let (n_in, n_out) = (cfg.in_features(tg), cfg.out_features(tg));
            Ok(match model.lora.get(li, tg) {
                None => x.apply_op1(linear::FrozenLinear { w, n_out, n_in })?,
                Some(p) => {
                    let mask = drop.map(|d| Arc::new(d.mask(x.elem_count())));
                    let op = linear::LoraLinear {
                        w,
                        n_out,
                        n_in,
                        rank: model.lora.cfg.rank,
                        scale,
                        mask,
                    };
                    if eval {
                        // Detached copies: evaluation builds no graph back to the variables.
                        x.apply_op3(&p.a.as_tensor().detach(), &p.b.as_tensor().detach(), op)?
                    } else {
                        x.apply_op3(p.a.as_tensor(), p.b.as_tensor(), op)?
                    }
                }
            })
        };
    let rms = |x: &Tensor, g: &Tensor| -> Result<Tensor> {
        Ok(x.apply_op1(norm::RmsNorm {
            g: g.clone(),
            dim: d,
            eps: cfg.rms_eps,
        })?)
    };

    for (li, lw) in base.layers.iter().enumerate() {
        let h = rms(&x, &lw.attn_norm)?;
        let q = linear(&h, li, Target::Q, drop.as_deref_mut())?;
        let k = linear(&h, li, Target::K, drop.as_deref_mut())?;
        let v = linear(&h, li, Target::V, drop.as_deref_mut())?;
        let att = attn::Attention {
            b,
            t,
            nh,
            nkv,
            hd,
            rope: rope.clone(),
            positions: positions.clone(),
            seg_start: seg_start.clone(),
            lse: Mutex::new(Vec::new()),
        };
        let o = q.apply_op3(&k, &v, att)?;
        let o = linear(&o, li, Target::O, drop.as_deref_mut())?;
        x = (x + o)?;
        let h = rms(&x, &lw.ffn_norm)?;
        let g = linear(&h, li, Target::Gate, drop.as_deref_mut())?;
        let u = linear(&h, li, Target::Up, drop.as_deref_mut())?;
        let a = g.apply_op2(&u, norm::SwiGlu)?;
        let dn = linear(&a, li, Target::Down, drop.as_deref_mut())?;
        x = (x + dn)?;
    }
    let h = rms(&x, &base.out_norm)?;
    let op = ce::LmHeadLoss {
        w: base.output.clone(),
        vocab: cfg.vocab,
        d,
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
    pub const NAMES: [&str; 10] = [
        "linear fwd",
        "linear bwd",
        "lora fwd",
        "lora bwd",
        "norm fwd",
        "norm bwd",
        "attn fwd",
        "attn bwd",
        "swiglu",
        "lm-head+ce",
    ];
    static NS: [AtomicU64; 10] = [const { AtomicU64::new(0) }; 10];

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
        NAMES
            .iter()
            .zip(&NS)
            .map(|(n, a)| (*n, a.swap(0, Ordering::Relaxed) as f64 * 1e-9))
            .collect()
    }
}
