//! CPU time per phase of a training step (forward, backward, gradient copy, optimizer):
//! `cargo run --release -p quill-tune --example phase_profile`.
use std::sync::Arc;

use quill_tune::batch::Batch;
use quill_tune::model::{Graph, TrainModel};
use quill_tune::ops::profile::cpu_ns;
use quill_tune::optim::AdamWConfig;
use quill_tune::step::Stepper;
use quill_tune::weights::BaseWeights;
use quill_tune::{LoraConfig, LoraParams, Target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = Arc::new(BaseWeights::load(&quill_store::default_llm_path())?);
    let cfg = LoraConfig { rank: 8, alpha: 16.0, dropout: 0.0, targets: Target::ALL.to_vec(), rslora: false };
    let lora = LoraParams::init(&base.cfg, &cfg, 0)?;
    let model = TrainModel::new(base.clone(), lora, Graph::Fused, 256)?;
    let st = Stepper::new(model, AdamWConfig::default());
    let mut rng = quill_tune::rng::Rng::new(1);
    for _ in 0..3 {
        let rows: Vec<Vec<u32>> =
            (0..4).map(|_| (0..256).map(|_| rng.below(base.cfg.vocab) as u32).collect()).collect();
        let b = Batch::plain_lm(&rows);
        let c = |t: u64| (cpu_ns() - t) as f64 * 1e-9;
        let t0 = cpu_ns();
        let loss = st.model.loss(&b, b.weight_sum() as f32, None)?;
        let f = c(t0);
        let t1 = cpu_ns();
        let grads = loss.backward()?;
        let bw = c(t1);
        let t2 = cpu_ns();
        let mut n = 0;
        for v in st.vars() {
            if let Some(g) = grads.get(v.as_tensor()) {
                n += g.flatten_all()?.to_vec1::<f32>()?.len();
            }
        }
        let gc = c(t2);
        let t3 = cpu_ns();
        drop(grads);
        drop(loss);
        let dr = c(t3);
        let t4 = cpu_ns();
        let p = st.params()?;
        st.set_params(&p)?;
        let pc = c(t4);
        println!("forward {f:.3}s backward {bw:.3}s grad copy {gc:.3}s ({n}) drop {dr:.3}s params {pc:.3}s");
    }
    Ok(())
}
