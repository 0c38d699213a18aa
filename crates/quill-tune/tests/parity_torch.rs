//! Parity with PyTorch + PEFT on the real model: starting from the exact initial adapter
//! (PEFT format, Hugging Face q/k layout), five AdamW steps on the reference token stream must
//! reproduce PyTorch's five losses within 1e-3 and end close to its trained adapter.
//!
//! This also proves a PEFT adapter loads into Quill (q/k `B` rows permuted into GGUF order).

mod common;

use std::sync::Arc;

use quill_tune::adapter::Adapter;
use quill_tune::batch::Batch;
use quill_tune::config::ModelConfig;
use quill_tune::model::{Graph, TrainModel};
use quill_tune::optim::AdamWConfig;
use quill_tune::step::Stepper;
use quill_tune::weights::BaseWeights;

#[derive(serde::Deserialize)]
struct Reference {
    stream_token_ids: Vec<u32>,
    losses: Vec<f32>,
}

#[test]
fn five_adamw_steps_match_pytorch_peft() {
    let model_path = common::model_path();
    let dir = common::torch_lora_dir();
    let reference: Reference =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap()).unwrap();

    let t0 = std::time::Instant::now();
    let base = Arc::new(BaseWeights::load(&model_path).unwrap());
    let cfg: ModelConfig = base.cfg.clone();
    let initial = Adapter::read_peft(&dir.join("initial_adapter"), &cfg).unwrap();
    assert_eq!(initial.lora.rank, 8);
    assert_eq!(initial.lora.alpha, 16.0);
    assert_eq!(initial.lora.targets.len(), 7);
    let lora = initial.to_params(&dir.join("initial_adapter")).unwrap();
    let model = TrainModel::new(base, lora, Graph::Fused, 256).unwrap();
    let mut stepper = Stepper::new(model, AdamWConfig { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 });
    eprintln!("loaded in {:.1?}", t0.elapsed());

    // The stream repeated cyclically, cut into 256-token blocks; step i uses blocks 4i..4i+3.
    let stream = &reference.stream_token_ids;
    let block = |j: usize| -> Vec<u32> { (0..256).map(|k| stream[(j * 256 + k) % stream.len()]).collect() };
    let mut losses = Vec::new();
    for step in 0..5 {
        let t = std::time::Instant::now();
        let rows: Vec<Vec<u32>> = (0..4).map(|r| block(4 * step + r)).collect();
        let batch = Batch::plain_lm(&rows);
        let stats = stepper.step(&[batch], 2e-4, None, None).unwrap();
        eprintln!(
            "step {} loss {:.5} (torch {:.5}) in {:.1?}",
            step + 1,
            stats.loss,
            reference.losses[step],
            t.elapsed()
        );
        losses.push(stats.loss);
    }
    for (i, (ours, theirs)) in losses.iter().zip(&reference.losses).enumerate() {
        assert!((ours - theirs).abs() < 1e-3, "step {}: loss {ours} vs PyTorch {theirs}", i + 1);
    }

    // Weights after five steps.
    let trained = Adapter::from_params(&stepper.model.lora, &cfg).unwrap();
    let after = Adapter::read_peft(&dir.join("adapter_after_5_steps"), &cfg).unwrap();
    let (mut num, mut den, mut worst) = (0.0f64, 0.0f64, 0.0f32);
    for (k, m) in &after.mats {
        let ours = &trained.mats[k];
        let init = &initial.mats[k];
        for ((x, y), z) in ours.a.iter().zip(&m.a).zip(&init.a).chain(ours.b.iter().zip(&m.b).zip(&init.b)) {
            num += ((x - y) as f64).powi(2);
            den += ((y - z) as f64).powi(2);
            worst = worst.max((x - y).abs());
        }
    }
    let rel = (num / den).sqrt();
    eprintln!("weights: max |Δ| {worst:.2e}, ‖ours − torch‖ / ‖torch update‖ = {rel:.4}");
    assert!(worst < 1e-3, "max weight difference {worst}");
    assert!(rel < 0.05, "relative weight difference {rel}");
}
