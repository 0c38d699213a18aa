//! Gradient correctness on a tiny random Llama built in the test (GQA, 2 layers, all seven
//! targets): every LoRA parameter receives a gradient, both graphs agree with finite
//! differences, and the fused graph agrees with the reference graph — including dropout,
//! packed segments and padding.

use std::sync::Arc;

use quill_tune::batch::Batch;
use quill_tune::config::ModelConfig;
use quill_tune::model::{Graph, TrainModel};
use quill_tune::optim::AdamWConfig;
use quill_tune::rng::Rng;
use quill_tune::step::Stepper;
use quill_tune::weights::BaseWeights;
use quill_tune::{LoraConfig, LoraParams, Target};

fn tiny_model(graph: Graph, dropout: f32) -> Stepper {
    let cfg = ModelConfig::tiny();
    let base = Arc::new(BaseWeights::random(&cfg, 11).unwrap());
    let lcfg = LoraConfig { rank: 3, alpha: 6.0, dropout, targets: Target::ALL.to_vec(), rslora: false };
    let lora = LoraParams::init(&cfg, &lcfg, 5).unwrap();
    // B starts at zero, which would make every A gradient zero: give B values first.
    let mut rng = Rng::new(99);
    for (l, t) in lora.pairs() {
        let n = lora.block(l, t, true).unwrap().len();
        let v: Vec<f32> = (0..n).map(|_| rng.normal() * 0.3).collect();
        lora.set_block(l, t, true, &v).unwrap();
    }
    let model = TrainModel::new(base, lora, graph, 64).unwrap();
    Stepper::new(model, AdamWConfig::default())
}

/// Two rows: the first packs two examples (segments 0 and 1), the second is padded.
fn batch() -> Batch {
    let cfg = ModelConfig::tiny();
    let mut rng = Rng::new(3);
    let t = 9;
    let mut b = Batch::empty(2, t);
    for k in 0..2 * t {
        b.tokens[k] = rng.below(cfg.vocab) as u32;
        b.targets[k] = rng.below(cfg.vocab) as u32;
    }
    // Row 0: segment 0 = positions 0..4, segment 1 = 5..8.
    for i in 0..t {
        b.segments[i] = u32::from(i >= 5);
        b.positions[i] = if i >= 5 { (i - 5) as u32 } else { i as u32 };
        b.weights[i] = if i == 4 || i == 8 { 0.0 } else { 1.0 };
    }
    // Row 1: 6 real tokens, 3 padding (own segment, weight 0).
    for i in 0..t {
        let k = t + i;
        b.positions[k] = if i < 6 { i as u32 } else { (i - 6) as u32 };
        b.segments[k] = u32::from(i >= 6);
        b.weights[k] = if i < 5 { 1.0 } else { 0.0 };
    }
    b.weights[t + 2] = 0.5;
    b
}

/// `(layer, target, is_b, offset, len)` of every `A` and `B` block in the per-layer variables.
fn blocks(st: &Stepper) -> Vec<(usize, Target, bool, usize, usize)> {
    let lora = &st.model.lora;
    let r = lora.cfg.rank;
    lora.pairs()
        .into_iter()
        .flat_map(|(l, t)| {
            let s = lora.slot(l, t).unwrap();
            [(l, t, false, s.a, r * s.n_in), (l, t, true, s.b, s.n_out * r)]
        })
        .collect()
}

#[test]
fn every_lora_parameter_gets_a_nonzero_gradient() {
    for graph in [Graph::Reference, Graph::Fused] {
        let st = tiny_model(graph, 0.0);
        let (_, grads) = st.gradients(&[batch()], None).unwrap();
        assert_eq!(grads.len(), 2, "one variable per layer");
        let bl = blocks(&st);
        assert_eq!(bl.len(), 2 * 7 * 2);
        for (l, t, is_b, off, len) in bl {
            let g = &grads[l][off..off + len];
            let norm: f32 = g.iter().map(|x| x * x).sum::<f32>().sqrt();
            let what = if is_b { "B" } else { "A" };
            assert!(norm > 1e-6 && norm.is_finite(), "{graph:?}: layer {l} {t} {what} has gradient norm {norm}");
            assert!(g.iter().all(|x| x.is_finite()));
        }
    }
}

#[test]
fn fused_graph_matches_reference_graph() {
    for dropout in [0.0, 0.25] {
        let seed = (dropout > 0.0).then_some((7u64, 3u64));
        let r = tiny_model(Graph::Reference, dropout);
        let f = tiny_model(Graph::Fused, dropout);
        let (lr, gr) = r.gradients(&[batch()], seed).unwrap();
        let (lf, gf) = f.gradients(&[batch()], seed).unwrap();
        assert!((lr - lf).abs() < 1e-5 * lr.abs().max(1.0), "dropout {dropout}: loss {lr} vs {lf}");
        for (l, t, is_b, off, len) in blocks(&r) {
            let a = &gr[l][off..off + len];
            let b = &gf[l][off..off + len];
            let scale = a.iter().map(|x| x.abs()).fold(0.0f32, f32::max).max(1e-3);
            let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(
                worst < 2e-4 * scale.max(1.0),
                "dropout {dropout}: layer {l} {t} B={is_b}: max |Δgrad| {worst} (scale {scale})"
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    for graph in [Graph::Reference, Graph::Fused] {
        let st = tiny_model(graph, 0.0);
        let b = batch();
        let (_, grads) = st.gradients(std::slice::from_ref(&b), None).unwrap();
        let params = st.params().unwrap();
        let mut rng = Rng::new(1234);
        let eps = 3e-3f32;
        let mut checked = 0;
        let mut worst = 0.0f64;
        for (l, t, is_b, off, len) in blocks(&st) {
            // A few coordinates of every A and B.
            for _ in 0..3 {
                let j = off + rng.below(len);
                let mut plus = params.clone();
                plus[l][j] += eps;
                st.set_params(&plus).unwrap();
                let lp = st.gradients(std::slice::from_ref(&b), None).unwrap().0 as f64;
                let mut minus = params.clone();
                minus[l][j] -= eps;
                st.set_params(&minus).unwrap();
                let lm = st.gradients(std::slice::from_ref(&b), None).unwrap().0 as f64;
                st.set_params(&params).unwrap();
                let numeric = (lp - lm) / (2.0 * eps as f64);
                let analytic = grads[l][j] as f64;
                let tol = 2e-3 + 2e-2 * analytic.abs().max(numeric.abs());
                assert!(
                    (numeric - analytic).abs() < tol,
                    "{graph:?}: layer {l} {t} B={is_b} coord {j}: analytic {analytic:.6} vs numeric {numeric:.6}"
                );
                worst = worst.max((numeric - analytic).abs() / tol);
                checked += 1;
            }
        }
        assert_eq!(checked, 28 * 3);
        eprintln!("{graph:?}: worst |numeric − analytic| / tolerance = {worst:.3}");
    }
}

#[test]
fn subset_of_targets_and_rslora_match_the_reference() {
    let make = |graph| {
        let cfg = ModelConfig::tiny();
        let base = Arc::new(BaseWeights::random(&cfg, 11).unwrap());
        let lcfg = LoraConfig {
            rank: 2,
            alpha: 4.0,
            dropout: 0.1,
            targets: vec![Target::Q, Target::V, Target::Down],
            rslora: true,
        };
        let lora = LoraParams::init(&cfg, &lcfg, 5).unwrap();
        let mut rng = Rng::new(4);
        for (l, t) in lora.pairs() {
            let n = lora.block(l, t, true).unwrap().len();
            let v: Vec<f32> = (0..n).map(|_| rng.normal() * 0.5).collect();
            lora.set_block(l, t, true, &v).unwrap();
        }
        Stepper::new(TrainModel::new(base, lora, graph, 64).unwrap(), AdamWConfig::default())
    };
    let (r, f) = (make(Graph::Reference), make(Graph::Fused));
    assert_eq!(r.model.lora.pairs().len(), 2 * 3);
    let (lr, gr) = r.gradients(&[batch()], Some((1, 2))).unwrap();
    let (lf, gf) = f.gradients(&[batch()], Some((1, 2))).unwrap();
    assert!((lr - lf).abs() < 1e-5 * lr.abs().max(1.0), "loss {lr} vs {lf}");
    for (a, b) in gr.iter().flatten().zip(gf.iter().flatten()) {
        assert!((a - b).abs() < 2e-4 * a.abs().max(1.0), "{a} vs {b}");
    }
    assert!(gf.iter().flatten().any(|g| *g != 0.0));
}
