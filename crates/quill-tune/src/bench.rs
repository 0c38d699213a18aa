//! `quill bench tune`: trained tokens per second and peak memory of LoRA training, measured
//! the way `../shared/tools/peer-bench lora` measures PyTorch + PEFT: rank 8 (α 16, no dropout)
//! on all seven projections, AdamW at 2e-4, batch 4 × 256 random tokens, 8 steps, median of the
//! last 5, on a fixed number of threads.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::batch::Batch;
use crate::model::{Graph, TrainModel};
use crate::optim::AdamWConfig;
use crate::rng::Rng;
use crate::step::Stepper;
use crate::weights::BaseWeights;
use crate::{LoraConfig, LoraParams, Result, Target, TuneError};

/// Settings of the benchmark (defaults match peer-bench).
#[derive(Debug, Clone, Serialize)]
pub struct BenchSpec {
    /// Base GGUF.
    pub model: PathBuf,
    /// Rows per step.
    pub batch: usize,
    /// Tokens per row.
    pub seq: usize,
    /// LoRA rank.
    pub rank: usize,
    /// Steps run (the first `steps - timed` are warm-up).
    pub steps: usize,
    /// Steps timed (median reported).
    pub timed: usize,
    /// Compute threads.
    pub threads: usize,
}

impl BenchSpec {
    /// peer-bench's settings for `model`.
    pub fn standard(model: PathBuf, threads: usize) -> Self {
        BenchSpec { model, batch: 4, seq: 256, rank: 8, steps: 8, timed: 5, threads }
    }
}

/// Quill's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// Trained tokens per second (median step).
    pub train_tok_s: f64,
    /// Median seconds per optimizer step.
    pub step_s: f64,
    /// Every timed step, seconds.
    pub steps_s: Vec<f64>,
    /// Peak resident memory of this process, MB.
    pub peak_rss_mb: Option<f64>,
    /// Seconds to load and dequantize the model.
    pub load_s: f64,
}

/// Peak resident set of this process in MB (`VmHWM`), where the platform reports it.
pub fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs the benchmark on the current thread pool (see [`with_threads`]).
pub fn run(spec: &BenchSpec, mut on_step: impl FnMut(usize, f64)) -> Result<BenchResult> {
    let t0 = Instant::now();
    let base = Arc::new(BaseWeights::load(&spec.model)?);
    let load_s = t0.elapsed().as_secs_f64();
    let cfg = LoraConfig {
        rank: spec.rank,
        alpha: 2.0 * spec.rank as f32,
        dropout: 0.0,
        targets: Target::ALL.to_vec(),
        rslora: false,
    };
    let lora = LoraParams::init(&base.cfg, &cfg, 0)?;
    let model = TrainModel::new(base.clone(), lora, Graph::Fused, spec.seq)?;
    let mut st = Stepper::new(model, AdamWConfig::default());
    let mut rng = Rng::new(0);
    let rows: Vec<Vec<u32>> =
        (0..spec.batch).map(|_| (0..spec.seq).map(|_| rng.below(base.cfg.vocab) as u32).collect()).collect();
    let batch = Batch::plain_lm(&rows);
    let mut times = Vec::new();
    for i in 0..spec.steps {
        let t = Instant::now();
        st.step(std::slice::from_ref(&batch), 2e-4, None, None)?;
        let dt = t.elapsed().as_secs_f64();
        on_step(i, dt);
        if i + spec.timed >= spec.steps {
            times.push(dt);
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let step_s = if sorted.is_empty() { f64::NAN } else { sorted[sorted.len() / 2] };
    Ok(BenchResult {
        train_tok_s: (spec.batch * spec.seq) as f64 / step_s,
        step_s,
        steps_s: times,
        peak_rss_mb: peak_rss_mb(),
        load_s,
    })
}

/// Runs `f` on a dedicated pool of `threads` threads (all our ops and GEMMs use the current
/// rayon pool).
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| TuneError::Config(format!("cannot start {threads} threads: {e}")))?;
    Ok(pool.install(f))
}

/// PyTorch + PEFT's figures from `peer-bench lora`, measured in a child process.
#[derive(Debug, Clone, Serialize)]
pub struct PeerResult {
    /// Trained tokens per second.
    pub train_tok_s: f64,
    /// Peak resident memory, MB.
    pub peak_rss_mb: f64,
    /// The raw JSON line.
    pub raw: serde_json::Value,
}

/// `peer-bench` next to the reference data, or `$QUILL_PEER_BENCH`.
pub fn peer_bench_path() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_PEER_BENCH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    quill_store::reference_dir().join("../tools/peer-bench")
}

/// Runs `peer-bench lora MODEL`; `Ok(None)` when PyTorch + PEFT are not installed.
pub fn run_peer(model: &Path) -> Result<Option<PeerResult>> {
    let bench = peer_bench_path();
    if !bench.is_file() || !crate::check::peer_has("peft") {
        return Ok(None);
    }
    let out = Command::new(&bench).arg("lora").arg(model).output().map_err(|e| TuneError::io("running", &bench, e))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(TuneError::Config(format!("peer-bench lora failed: {}", err.lines().last().unwrap_or(""))));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or("{}");
    let raw: serde_json::Value =
        serde_json::from_str(line).map_err(|e| TuneError::Config(format!("peer-bench output: {e}")))?;
    let num = |k: &str| raw.get(k).and_then(|v| v.as_f64());
    match (num("train_tok_s"), num("peak_rss_mb")) {
        (Some(train_tok_s), Some(peak_rss_mb)) => Ok(Some(PeerResult { train_tok_s, peak_rss_mb, raw })),
        _ => Err(TuneError::Config(format!("peer-bench output lacks train_tok_s/peak_rss_mb: {line}"))),
    }
}
