//! The training loop on a tiny random Llama: it overfits a handful of examples to near-zero
//! loss, is deterministic for a seed, and a run killed mid-way and resumed from its checkpoint
//! ends exactly where an uninterrupted run ends.

use std::sync::Arc;

use quill_tune::config::ModelConfig;
use quill_tune::data::{Encoded, Packing};
use quill_tune::model::{Graph, TrainModel};
use quill_tune::optim::ScheduleKind;
use quill_tune::rng::Rng;
use quill_tune::trainer::{Control, Dataset, Finish, Observer, Progress, Quiet, TrainConfig, Trainer};
use quill_tune::weights::BaseWeights;
use quill_tune::{LoraConfig, LoraParams, Target};

fn config() -> ModelConfig {
    ModelConfig { n_embd: 64, n_ff: 128, n_head: 4, n_head_kv: 2, head_dim: 16, vocab: 41, ..ModelConfig::tiny() }
}

fn examples(n: usize, seed: u64) -> Vec<Encoded> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let len = 8 + rng.below(6);
            let ids: Vec<u32> = (0..len).map(|_| rng.below(41) as u32).collect();
            // A "prompt" of 3 tokens, then the "reply" that is trained.
            let trained = (0..len).map(|i| i >= 3).collect();
            Encoded { ids, trained }
        })
        .collect()
}

fn trainer(cfg: TrainConfig, data: Dataset, dir: &std::path::Path) -> Trainer {
    let mc = config();
    let base = Arc::new(BaseWeights::random(&mc, 21).unwrap());
    let lora = LoraParams::init(&mc, &cfg.lora, cfg.seed).unwrap();
    let model = TrainModel::new(base, lora, Graph::Fused, cfg.max_seq).unwrap();
    Trainer::new(cfg, model, data, dir).unwrap()
}

fn base_cfg() -> TrainConfig {
    TrainConfig {
        lora: LoraConfig { rank: 16, alpha: 32.0, dropout: 0.1, targets: Target::ALL.to_vec(), rslora: false },
        lr: 1e-2,
        schedule: ScheduleKind::Cosine,
        warmup_ratio: 0.05,
        epochs: 60,
        batch: 2,
        grad_accum: 2,
        max_seq: 32,
        packing: Packing::Pad,
        patience: None,
        seed: 7,
        ..TrainConfig::default()
    }
}

#[test]
fn overfits_a_handful_of_examples() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = TrainConfig { lora: LoraConfig { dropout: 0.0, ..base_cfg().lora }, ..base_cfg() };
    let data = Dataset { train: examples(4, 1), val: examples(4, 1) };
    let mut tr = trainer(cfg, data, dir.path());
    let first = tr.validate().unwrap().unwrap();
    assert_eq!(tr.run(&mut Quiet).unwrap(), Finish::Completed);
    let last = tr.validate().unwrap().unwrap();
    eprintln!("validation loss {first:.3} -> {last:.4} in {} steps", tr.state.step);
    assert!(first > 2.0, "a random model should start near ln(41) = 3.7, got {first}");
    assert!(last < 0.05, "loss only fell to {last}");
    assert!(tr.state.best_val.is_some());
}

/// Aborts (no save, like a kill) after `at` steps.
struct KillAt(u64);
impl Observer for KillAt {
    fn on_step(&mut self, p: &Progress) -> Control {
        if p.step >= self.0 { Control::Abort } else { Control::Continue }
    }
}

#[test]
fn killed_run_resumes_to_the_same_result() {
    let cfg = TrainConfig {
        epochs: 6,
        eval_every: 2,
        checkpoint_every: 3,
        packing: Packing::Pack,
        max_seq: 16,
        ..base_cfg()
    };
    let data = || Dataset { train: examples(12, 2), val: examples(3, 3) };

    let d1 = tempfile::tempdir().unwrap();
    let mut straight = trainer(cfg.clone(), data(), d1.path());
    assert_eq!(straight.run(&mut Quiet).unwrap(), Finish::Completed);
    let total = straight.state.step;
    assert!(total >= 8, "{total} steps");

    // Kill after step 7: the last checkpoint is from step 6, so step 7 is redone after resume.
    let d2 = tempfile::tempdir().unwrap();
    let mut killed = trainer(cfg.clone(), data(), d2.path());
    assert_eq!(killed.run(&mut KillAt(7)).unwrap(), Finish::Aborted);
    drop(killed);
    let mut resumed = trainer(cfg.clone(), data(), d2.path());
    resumed.resume().unwrap();
    assert_eq!(resumed.state.step, 6);
    assert_eq!(resumed.run(&mut Quiet).unwrap(), Finish::Completed);

    assert_eq!(resumed.state.step, total);
    let a = straight.adapter().unwrap();
    let b = resumed.adapter().unwrap();
    assert_eq!(a.max_abs_diff(&b), Some(0.0), "adapters differ");
    let la: Vec<f32> = straight.state.history.iter().map(|p| p.loss).collect();
    let lb: Vec<f32> = resumed.state.history.iter().map(|p| p.loss).collect();
    assert_eq!(la, lb, "loss histories differ");
    assert_eq!(straight.state.best_val, resumed.state.best_val);

    // Same seed, fresh run: identical; another seed: different.
    let d3 = tempfile::tempdir().unwrap();
    let mut again = trainer(cfg.clone(), data(), d3.path());
    again.run(&mut Quiet).unwrap();
    assert_eq!(again.adapter().unwrap().max_abs_diff(&a), Some(0.0));
    let d4 = tempfile::tempdir().unwrap();
    let mut other = trainer(TrainConfig { seed: 8, ..cfg }, data(), d4.path());
    other.run(&mut Quiet).unwrap();
    assert!(other.adapter().unwrap().max_abs_diff(&a).unwrap() > 0.0);
}

#[test]
fn early_stopping_stops_when_validation_stalls() {
    let dir = tempfile::tempdir().unwrap();
    // Train on one set, validate on unrelated random sequences: validation cannot keep improving.
    let cfg = TrainConfig { epochs: 200, eval_every: 1, patience: Some(3), lr: 3e-2, ..base_cfg() };
    let mut tr = trainer(cfg, Dataset { train: examples(4, 5), val: examples(4, 6) }, dir.path());
    let total = tr.total_steps();
    assert_eq!(tr.run(&mut Quiet).unwrap(), Finish::EarlyStopped);
    assert!(tr.state.step < total);
    assert_eq!(tr.state.evals_since_best, 3);
    assert!(tr.best_path().is_file() && tr.last_path().is_file());
}
