//! The training loop: epochs of seeded batches, gradient accumulation, warm-up + decay,
//! clipping, periodic validation, early stopping, best/last checkpoints and exact resume.
//!
//! Everything random is a function of the seed and a counter (data order per epoch, dropout
//! per step), and every reduction runs in a fixed order, so a run is reproducible on the same
//! machine and a run killed at any point and resumed from its last checkpoint takes exactly the
//! same steps as one that was never interrupted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::adapter::Adapter;
use crate::batch::Batch;
use crate::checkpoint::{self, LogPoint, TrainState};
use crate::data::{Encoded, Packing, epoch_batches, make_batches};
use crate::lora::LoraConfig;
use crate::model::TrainModel;
use crate::optim::{AdamWConfig, Schedule, ScheduleKind};
use crate::step::Stepper;
use crate::{Result, TuneError};

/// Every setting of a fine-tuning run (stored with the run, so `--resume` needs none of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Adapter rank, alpha, dropout, targets.
    pub lora: LoraConfig,
    /// Peak learning rate.
    pub lr: f32,
    /// AdamW β/ε/weight decay.
    pub adamw: AdamWConfig,
    /// Decay after warm-up.
    pub schedule: ScheduleKind,
    /// Warm-up as a fraction of all steps.
    pub warmup_ratio: f32,
    /// Final learning rate as a fraction of the peak.
    pub min_lr_ratio: f32,
    /// Passes over the training set.
    pub epochs: u32,
    /// Stop after this many optimizer steps (overrides `epochs` when smaller).
    pub max_steps: Option<u64>,
    /// Rows per micro-batch.
    pub batch: usize,
    /// Micro-batches per optimizer step.
    pub grad_accum: usize,
    /// Longest row in tokens (examples are cut to it).
    pub max_seq: usize,
    /// Padding or packing.
    pub packing: Packing,
    /// Global gradient-norm clip (`None` = off).
    pub max_grad_norm: Option<f32>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Validate every N steps (0 = ten times per run).
    pub eval_every: u64,
    /// Stop after this many validations without improvement (`None` = never).
    pub patience: Option<u32>,
    /// Smallest decrease of the validation loss that counts as an improvement.
    pub min_delta: f64,
    /// Save the resumable checkpoint every N steps (0 = at every validation).
    pub checkpoint_every: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            lora: LoraConfig::default(),
            lr: 2e-4,
            adamw: AdamWConfig::default(),
            schedule: ScheduleKind::Cosine,
            warmup_ratio: 0.1,
            min_lr_ratio: 0.0,
            epochs: 3,
            max_steps: None,
            batch: 4,
            grad_accum: 1,
            max_seq: 512,
            packing: Packing::Pad,
            max_grad_norm: Some(1.0),
            seed: 42,
            eval_every: 0,
            patience: Some(3),
            min_delta: 1e-4,
            checkpoint_every: 0,
        }
    }
}

impl TrainConfig {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<()> {
        self.lora.validate()?;
        let bad = |m: String| Err(TuneError::Config(m));
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr < 1.0) {
            return bad(format!("learning rate {} must be in (0, 1)", self.lr));
        }
        if self.batch == 0 || self.grad_accum == 0 {
            return bad("batch and grad-accum must be at least 1".into());
        }
        if self.max_seq < 8 {
            return bad(format!("max-seq {} is too short", self.max_seq));
        }
        if self.epochs == 0 && self.max_steps.is_none() {
            return bad("epochs must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.warmup_ratio) {
            return bad(format!("warm-up ratio {} must be in [0, 1)", self.warmup_ratio));
        }
        if let Some(c) = self.max_grad_norm
            && !(c.is_finite() && c > 0.0)
        {
            return bad(format!("max grad norm {c} must be positive"));
        }
        Ok(())
    }
}

/// One progress report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Optimizer steps done.
    pub step: u64,
    /// Steps the run will take (unless stopped early).
    pub total_steps: u64,
    /// Current epoch (1-based).
    pub epoch: u64,
    /// Loss of the last step.
    pub loss: f32,
    /// Learning rate of the last step.
    pub lr: f32,
    /// Latest validation loss.
    pub val_loss: Option<f64>,
    /// Training throughput over recent steps (tokens through the model per second).
    pub tokens_per_s: f64,
    /// Estimated seconds left.
    pub eta_s: f64,
}

/// What an observer tells the loop after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Save a checkpoint and stop (Ctrl-C): resumable.
    Stop,
    /// Stop immediately without saving, as a kill would (tests).
    Abort,
}

/// Receives progress; the CLI draws its progress bar from this.
pub trait Observer {
    /// After every optimizer step.
    fn on_step(&mut self, _p: &Progress) -> Control {
        Control::Continue
    }
    /// After every validation.
    fn on_eval(&mut self, _step: u64, _val_loss: f64, _best: bool) {}
}

/// An observer that does nothing.
#[derive(Debug, Default)]
pub struct Quiet;
impl Observer for Quiet {}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// All steps done.
    Completed,
    /// Validation stopped improving.
    EarlyStopped,
    /// Stopped on request; resumable.
    Interrupted,
    /// Aborted without saving (simulated kill).
    Aborted,
}

impl Finish {
    /// Name stored in the run record.
    pub fn as_str(self) -> &'static str {
        match self {
            Finish::Completed => "completed",
            Finish::EarlyStopped => "early_stopped",
            Finish::Interrupted => "interrupted",
            Finish::Aborted => "aborted",
        }
    }
}

/// Tokenized training and validation examples.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Training examples.
    pub train: Vec<Encoded>,
    /// Validation examples (may be empty: then no validation and no early stopping).
    pub val: Vec<Encoded>,
}

/// The training loop over one model and dataset, writing checkpoints into `dir`.
#[derive(Debug)]
pub struct Trainer {
    /// Settings.
    pub cfg: TrainConfig,
    /// Model and optimizer.
    pub stepper: Stepper,
    /// Where the run is.
    pub state: TrainState,
    data: Dataset,
    dir: PathBuf,
    total_steps: u64,
    val_batches: Vec<Batch>,
}

/// Checkpoint file names inside a run's `checkpoints/` folder.
pub const LAST: &str = "last.safetensors";
/// The best-validation adapter.
pub const BEST: &str = "best.safetensors";

impl Trainer {
    /// A fresh run. `dir` receives `last.safetensors` and `best.safetensors`.
    pub fn new(cfg: TrainConfig, model: TrainModel, data: Dataset, dir: &Path) -> Result<Self> {
        cfg.validate()?;
        if data.train.is_empty() {
            return Err(TuneError::Dataset("the training set is empty after preparation".into()));
        }
        if model.max_pos() < cfg.max_seq {
            return Err(TuneError::Config(format!(
                "the model was built for {} positions, max-seq is {}",
                model.max_pos(),
                cfg.max_seq
            )));
        }
        let total_steps = Self::count_steps(&cfg, &data.train);
        let val_refs: Vec<&Encoded> = data.val.iter().collect();
        let val_batches = make_batches(&val_refs, cfg.batch, cfg.max_seq, Packing::Pad);
        let stepper = Stepper::new(model, cfg.adamw);
        Ok(Trainer {
            cfg,
            stepper,
            state: TrainState::default(),
            data,
            dir: dir.to_path_buf(),
            total_steps,
            val_batches,
        })
    }

    fn count_steps(cfg: &TrainConfig, train: &[Encoded]) -> u64 {
        let mut total = 0u64;
        for e in 0..cfg.epochs as u64 {
            let n = epoch_batches(train, e, cfg.seed, cfg.batch, cfg.max_seq, cfg.packing).len() as u64;
            total += n.div_ceil(cfg.grad_accum as u64);
            if cfg.max_steps.is_some_and(|m| total >= m) {
                break;
            }
        }
        match cfg.max_steps {
            Some(m) if cfg.epochs == 0 => m,
            Some(m) => total.min(m),
            None => total,
        }
    }

    /// Steps the run takes when not stopped early.
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// Path of the resumable checkpoint.
    pub fn last_path(&self) -> PathBuf {
        self.dir.join(LAST)
    }

    /// Path of the best-validation adapter.
    pub fn best_path(&self) -> PathBuf {
        self.dir.join(BEST)
    }

    /// Continues from `last.safetensors` (parameters, optimizer, position, history).
    pub fn resume(&mut self) -> Result<()> {
        let p = self.last_path();
        if !p.is_file() {
            return Err(TuneError::adapter(
                &p,
                "no checkpoint to resume from (the run stopped before its first checkpoint)",
            ));
        }
        self.state = checkpoint::load(&p, &mut self.stepper)?;
        Ok(())
    }

    fn schedule(&self) -> Schedule {
        Schedule {
            lr: self.cfg.lr,
            warmup: (self.cfg.warmup_ratio as f64 * self.total_steps as f64).round() as u64,
            total: self.total_steps,
            kind: self.cfg.schedule,
            min_lr_ratio: self.cfg.min_lr_ratio,
        }
    }

    fn eval_every(&self) -> u64 {
        if self.cfg.eval_every > 0 { self.cfg.eval_every } else { (self.total_steps / 10).max(1) }
    }

    /// Mean validation loss per trained token (`None` without a validation set).
    pub fn validate(&self) -> Result<Option<f64>> {
        if self.val_batches.is_empty() {
            return Ok(None);
        }
        let (mut num, mut den) = (0.0f64, 0.0f64);
        for b in &self.val_batches {
            let (l, w) = self.stepper.model.eval_loss(b)?;
            num += l * w;
            den += w;
        }
        Ok(if den > 0.0 { Some(num / den) } else { None })
    }

    fn save_last(&self) -> Result<()> {
        checkpoint::save(&self.last_path(), &self.stepper, &self.state)
    }

    /// The adapter as it is now.
    pub fn adapter(&self) -> Result<Adapter> {
        Adapter::from_params(&self.stepper.model.lora, &self.stepper.model.base.cfg)
    }

    /// Runs until done, early-stopped, or told to stop by `obs`.
    pub fn run(&mut self, obs: &mut dyn Observer) -> Result<Finish> {
        if let Some(f) = &self.state.finished {
            return Ok(if f == "early_stopped" { Finish::EarlyStopped } else { Finish::Completed });
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| TuneError::io("creating", &self.dir, e))?;
        let sched = self.schedule();
        let eval_every = self.eval_every();
        let ckpt_every = if self.cfg.checkpoint_every > 0 { self.cfg.checkpoint_every } else { eval_every };
        let mut epoch_cache: Option<(u64, Vec<Batch>)> = None;
        let mut recent: Vec<(usize, f64)> = Vec::new();
        let mut last_val = self.state.history.iter().rev().find_map(|p| p.val_loss);
        while self.state.step < self.total_steps {
            let epoch = self.state.epoch;
            if epoch_cache.as_ref().is_none_or(|(e, _)| *e != epoch) {
                let b = epoch_batches(
                    &self.data.train,
                    epoch,
                    self.cfg.seed,
                    self.cfg.batch,
                    self.cfg.max_seq,
                    self.cfg.packing,
                );
                epoch_cache = Some((epoch, b));
            }
            let batches = epoch_cache.as_ref().map(|(_, b)| b.as_slice()).unwrap_or(&[]);
            let start = self.state.micro as usize;
            if start >= batches.len() {
                self.state.epoch += 1;
                self.state.micro = 0;
                continue;
            }
            let end = (start + self.cfg.grad_accum).min(batches.len());
            let t0 = Instant::now();
            let lr = sched.lr_at(self.state.step);
            let dropout = (self.cfg.lora.dropout > 0.0).then_some((self.cfg.seed, self.state.step));
            let stats = self.stepper.step(&batches[start..end], lr, self.cfg.max_grad_norm, dropout)?;
            let dt = t0.elapsed().as_secs_f64();
            self.state.step += 1;
            self.state.micro = end as u64;
            self.state.tokens += stats.tokens as u64;
            self.state.trained_tokens += stats.trained_tokens;
            self.state.elapsed_s += dt;
            let mut point =
                LogPoint { step: self.state.step, loss: stats.loss, lr, grad_norm: stats.grad_norm, val_loss: None };
            let last_step = self.state.step == self.total_steps;
            let mut stop_early = false;
            let mut improved = false;
            if (self.state.step.is_multiple_of(eval_every) || last_step)
                && let Some(v) = self.validate()?
            {
                point.val_loss = Some(v);
                last_val = Some(v);
                improved = self.state.best_val.is_none_or(|(_, b)| v < b - self.cfg.min_delta);
                if improved {
                    self.state.best_val = Some((self.state.step, v));
                    self.state.evals_since_best = 0;
                } else {
                    self.state.evals_since_best += 1;
                    stop_early = self.cfg.patience.is_some_and(|p| self.state.evals_since_best >= p);
                }
                obs.on_eval(self.state.step, v, improved);
            }
            self.state.history.push(point);
            if improved {
                self.adapter()?.save(&self.best_path())?;
            }
            if stop_early {
                self.state.finished = Some(Finish::EarlyStopped.as_str().into());
            } else if last_step {
                self.state.finished = Some(Finish::Completed.as_str().into());
            }
            if self.state.finished.is_some() || self.state.step.is_multiple_of(ckpt_every) || point_has_val(&self.state)
            {
                self.save_last()?;
            }
            recent.push((stats.tokens, dt));
            if recent.len() > 10 {
                recent.remove(0);
            }
            let (tok, secs): (usize, f64) = recent.iter().fold((0, 0.0), |(a, b), (t, s)| (a + t, b + s));
            let per_step = secs / recent.len() as f64;
            let progress = Progress {
                step: self.state.step,
                total_steps: self.total_steps,
                epoch: self.state.epoch + 1,
                loss: stats.loss,
                lr,
                val_loss: last_val,
                tokens_per_s: if secs > 0.0 { tok as f64 / secs } else { 0.0 },
                eta_s: per_step * (self.total_steps - self.state.step) as f64,
            };
            if let Some(f) = &self.state.finished {
                obs.on_step(&progress);
                return Ok(if f == "early_stopped" { Finish::EarlyStopped } else { Finish::Completed });
            }
            match obs.on_step(&progress) {
                Control::Continue => {}
                Control::Stop => {
                    self.save_last()?;
                    return Ok(Finish::Interrupted);
                }
                Control::Abort => return Ok(Finish::Aborted),
            }
        }
        self.state.finished.get_or_insert_with(|| Finish::Completed.as_str().into());
        self.save_last()?;
        Ok(Finish::Completed)
    }

    /// The adapter a run ends with: the best validation checkpoint when there is one, else the
    /// last parameters.
    pub fn final_adapter(&self) -> Result<Adapter> {
        let best = self.best_path();
        if self.state.best_val.is_some() && best.is_file() { Adapter::load(&best) } else { self.adapter() }
    }
}

fn point_has_val(state: &TrainState) -> bool {
    state.history.last().is_some_and(|p| p.val_loss.is_some())
}
