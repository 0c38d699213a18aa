//! Times training steps on the default model, batch 4×256, with a per-op breakdown:
//! `QUILL_TUNE_PROFILE=1 cargo run --release -p quill-tune --example step_profile [STEPS]`.
use std::sync::Arc;
use std::time::Instant;

use quill_tune::batch::Batch;
use quill_tune::model::{Graph, TrainModel};
use quill_tune::optim::AdamWConfig;
use quill_tune::step::Stepper;
use quill_tune::weights::BaseWeights;
use quill_tune::{LoraConfig, LoraParams, Target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let base = Arc::new(BaseWeights::load(&quill_store::default_llm_path())?);
    let cfg = LoraConfig { rank: 8, alpha: 16.0, dropout: 0.0, targets: Target::ALL.to_vec(), rslora: false };
    let lora = LoraParams::init(&base.cfg, &cfg, 0)?;
    let model = TrainModel::new(base.clone(), lora, Graph::Fused, 256)?;
    let mut st = Stepper::new(model, AdamWConfig::default());
    let mut rng = quill_tune::rng::Rng::new(1);
    for s in 0..steps {
        let rows: Vec<Vec<u32>> =
            (0..4).map(|_| (0..256).map(|_| rng.below(base.cfg.vocab) as u32).collect()).collect();
        let b = Batch::plain_lm(&rows);
        let _ = quill_tune::ops::profile::take();
        let t = Instant::now();
        let c0 = quill_tune::ops::profile::cpu_ns() as f64 * 1e-9;
        let stats = st.step(&[b], 2e-4, None, None)?;
        let el = t.elapsed().as_secs_f64();
        let cpu = quill_tune::ops::profile::cpu_ns() as f64 * 1e-9 - c0;
        println!("step {s}: loss {:.4} {el:.2}s wall {cpu:.2}s cpu {:.1} tok/s", stats.loss, 1024.0 / el);
        let prof = quill_tune::ops::profile::take();
        let total: f64 = prof.iter().map(|p| p.1).sum();
        if total > 0.0 {
            for (n, v) in prof {
                println!("  {n:12} {v:.3}s");
            }
            let all = if std::env::var("QUILL_TUNE_PROFILE").as_deref() == Ok("cpu") { cpu } else { el };
            println!("  {:12} {:.3}s", "other", all - total);
        }
    }
    Ok(())
}
