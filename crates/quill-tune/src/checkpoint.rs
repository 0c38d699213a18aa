//! Checkpoints: everything `--resume` needs in one atomically written file.
//!
//! A checkpoint is a single safetensors file holding the adapter (canonical names, GGUF
//! layout), AdamW's two moments per tensor, and JSON headers with the optimizer step, the
//! trainer's position (step, epoch, micro-batch), its loss history and early-stopping state.
//! Data order and dropout masks are pure functions of `(seed, epoch)` and `(seed, step)`, so
//! those integers *are* the RNG state. One file + one rename means a kill at any instant
//! leaves either the previous checkpoint or the new one, never a mix.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::adapter::Adapter;
use crate::optim::{AdamW, AdamWConfig};
use crate::st::{self, Array};
use crate::step::Stepper;
use crate::{Result, TuneError};

/// One logged optimizer step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogPoint {
    /// 1-based optimizer step.
    pub step: u64,
    /// Training loss of that step.
    pub loss: f32,
    /// Learning rate used.
    pub lr: f32,
    /// Gradient norm before clipping.
    pub grad_norm: f32,
    /// Validation loss, when evaluated after this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
}

/// Where a run is and what it has seen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainState {
    /// Optimizer steps completed.
    pub step: u64,
    /// Current epoch (0-based).
    pub epoch: u64,
    /// Next micro-batch within the epoch.
    pub micro: u64,
    /// Tokens that went through the model.
    pub tokens: u64,
    /// Trained (weighted) tokens.
    pub trained_tokens: f64,
    /// Training seconds so far (across resumes).
    pub elapsed_s: f64,
    /// Loss history.
    pub history: Vec<LogPoint>,
    /// Best validation loss so far and its step.
    pub best_val: Option<(u64, f64)>,
    /// Evaluations since the best one (early stopping).
    pub evals_since_best: u32,
    /// Set when the run ended (`completed`, `early_stopped`).
    pub finished: Option<String>,
}

const KEY_STATE: &str = "quill.state";
const KEY_OPT: &str = "quill.opt";

#[derive(Serialize, Deserialize)]
struct OptMeta {
    cfg: AdamWConfig,
    step: u64,
    sizes: Vec<usize>,
}

/// Writes a resumable checkpoint of `stepper` and `state` to `path` (atomically).
pub fn save(path: &Path, stepper: &Stepper, state: &TrainState) -> Result<()> {
    let adapter = Adapter::from_params(&stepper.model.lora, &stepper.model.base.cfg)?;
    let mut arrays: BTreeMap<String, Array> = adapter.to_arrays();
    let sizes: Vec<usize> = stepper.opt.m.iter().map(Vec::len).collect();
    for (i, (m, v)) in stepper.opt.m.iter().zip(&stepper.opt.v).enumerate() {
        arrays.insert(format!("opt.{i:04}.m"), Array { shape: vec![m.len()], data: m.clone() });
        arrays.insert(format!("opt.{i:04}.v"), Array { shape: vec![v.len()], data: v.clone() });
    }
    let mut md = adapter.header()?;
    let js = |e: serde_json::Error| TuneError::Config(format!("internal: {e}"));
    md.insert(KEY_STATE.into(), serde_json::to_string(state).map_err(js)?);
    md.insert(
        KEY_OPT.into(),
        serde_json::to_string(&OptMeta { cfg: stepper.opt.cfg, step: stepper.opt.step, sizes }).map_err(js)?,
    );
    st::write(path, &arrays, &md)
}

/// Reads a checkpoint into `stepper` (parameters and optimizer) and returns the trainer state.
pub fn load(path: &Path, stepper: &mut Stepper) -> Result<TrainState> {
    let f = st::read(path)?;
    let adapter = Adapter::from_st(&f, path)?;
    if adapter.lora != stepper.model.lora.cfg {
        return Err(TuneError::adapter(path, "the checkpoint's LoRA settings differ from this run's"));
    }
    adapter.load_into(&stepper.model.lora, path)?;
    let opt: OptMeta = serde_json::from_str(
        f.metadata
            .get(KEY_OPT)
            .ok_or_else(|| TuneError::adapter(path, "not a resumable checkpoint (no optimizer state)"))?,
    )
    .map_err(|e| TuneError::adapter(path, format!("bad optimizer header: {e}")))?;
    let sizes: Vec<usize> = stepper.opt.m.iter().map(Vec::len).collect();
    if opt.sizes != sizes {
        return Err(TuneError::adapter(path, "the checkpoint's optimizer state does not match this adapter"));
    }
    let mut fresh = AdamW::new(opt.cfg, &sizes);
    fresh.step = opt.step;
    for i in 0..sizes.len() {
        for (which, dst) in [("m", &mut fresh.m[i]), ("v", &mut fresh.v[i])] {
            let name = format!("opt.{i:04}.{which}");
            let a = f.arrays.get(&name).ok_or_else(|| TuneError::adapter(path, format!("tensor {name} is missing")))?;
            if a.data.len() != dst.len() {
                return Err(TuneError::adapter(path, format!("tensor {name} has the wrong size")));
            }
            dst.copy_from_slice(&a.data);
        }
    }
    stepper.opt = fresh;
    let state: TrainState = serde_json::from_str(
        f.metadata
            .get(KEY_STATE)
            .ok_or_else(|| TuneError::adapter(path, "not a resumable checkpoint (no trainer state)"))?,
    )
    .map_err(|e| TuneError::adapter(path, format!("bad trainer-state header: {e}")))?;
    Ok(state)
}

/// Reads only the trainer state of a checkpoint (for `quill tune list` and status).
pub fn read_state(path: &Path) -> Result<TrainState> {
    let f = st::read(path)?;
    serde_json::from_str(f.metadata.get(KEY_STATE).ok_or_else(|| TuneError::adapter(path, "no trainer state"))?)
        .map_err(|e| TuneError::adapter(path, format!("bad trainer-state header: {e}")))
}
