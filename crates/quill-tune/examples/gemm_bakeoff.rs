//! GEMM throughput on the shapes a LoRA step of SmolLM2-135M uses (M = 1024 tokens), best of
//! several runs: `cargo run --release -p quill-tune --example gemm_bakeoff`.
use std::time::Instant;

use quill_tune::gemm::{Op, Threads, sgemm};

fn main() {
    let shapes: &[(&str, usize, usize, usize, Op, Op, Threads)] = &[
        ("q/o fwd x·Wᵀ", 1024, 576, 576, Op::N, Op::T, Threads::Pool),
        ("k/v fwd", 1024, 192, 576, Op::N, Op::T, Threads::Pool),
        ("gate/up fwd", 1024, 1536, 576, Op::N, Op::T, Threads::Pool),
        ("down fwd", 1024, 576, 1536, Op::N, Op::T, Threads::Pool),
        ("q/o bwd dY·W", 1024, 576, 576, Op::N, Op::N, Threads::Pool),
        ("k/v bwd", 1024, 576, 192, Op::N, Op::N, Threads::Pool),
        ("gate/up bwd", 1024, 576, 1536, Op::N, Op::N, Threads::Pool),
        ("down bwd", 1024, 1536, 576, Op::N, Op::N, Threads::Pool),
        ("head 64 1-thr", 64, 49152, 576, Op::N, Op::T, Threads::One),
        ("head 256 pool", 256, 49152, 576, Op::N, Op::T, Threads::Pool),
        ("head dh 64 1-thr", 64, 576, 49152, Op::N, Op::N, Threads::One),
        ("head dh 256 pool", 256, 576, 49152, Op::N, Op::N, Threads::Pool),
        ("lora u=x·Aᵀ", 1024, 8, 576, Op::N, Op::T, Threads::Pool),
        ("lora y+=u·Bᵀ", 1024, 1536, 8, Op::N, Op::T, Threads::Pool),
        ("lora dB", 1536, 8, 1024, Op::T, Op::N, Threads::Pool),
        ("lora dA", 8, 576, 1024, Op::T, Op::N, Threads::Pool),
        ("attn S 64x256x64", 64, 256, 64, Op::N, Op::T, Threads::One),
    ];
    for &(name, m, n, k, oa, ob, th) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| ((i % 97) as f32 - 48.0) * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i % 89) as f32 - 44.0) * 0.01).collect();
        let mut c = vec![0.0f32; m * n];
        let reps = ((2e9 / (m * n * k) as f64).ceil() as usize).clamp(1, 200);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..reps {
                sgemm(m, n, k, &a, oa, &b, ob, &mut c, false, th);
            }
            best = best.min(t.elapsed().as_secs_f64() / reps as f64);
        }
        println!(
            "{name:20} {m:5}x{n:5}x{k:5}  {:7.2} ms  {:6.1} GFLOP/s",
            best * 1e3,
            2.0 * (m * n * k) as f64 / best * 1e-9
        );
    }
}
