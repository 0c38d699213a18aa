//! Times prompt processing and greedy decode on a model (developer tool for profiling):
//! `cargo run --release -p quill-llm --example decode_profile -- MODEL [THREADS] [GEN]`.
use quill_llm::gguf::GgufFile;
use quill_llm::{Model, ModelOptions, Tokenizer};
use std::time::Instant;

/// CPU time of the calling thread in seconds (first field of /proc/thread-self/schedstat): with
/// one compute thread this measures our work even when other processes compete for the cores.
fn cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: decode_profile MODEL [THREADS] [GEN]")?;
    let threads: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2);
    let n_gen: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(128);
    let f = GgufFile::open(&path)?;
    let tok = Tokenizer::from_gguf(&f)?;
    let mut m = Model::load(&f, &ModelOptions { n_ctx: Some(2048), threads, ..Default::default() })?;
    drop(f);
    let text = "Small businesses often rely on social media to reach their neighbours. ".repeat(80);
    let ids = tok.encode(&text, false, false);
    let ids = &ids[..512];
    m.forward_last(&ids[..64])?;
    for _ in 0..3 {
        m.reset();
        let (t, c) = (Instant::now(), cpu_s());
        m.forward_last(ids)?;
        println!(
            "prompt 512: {:.1} tok/s wall, {:.1} tok/s cpu(main)",
            512.0 / t.elapsed().as_secs_f64(),
            512.0 / (cpu_s() - c)
        );
    }
    for _ in 0..3 {
        m.reset();
        let mut next = quill_llm::sampling::argmax(m.forward_last(&ids[..52])?);
        let (t, c) = (Instant::now(), cpu_s());
        for _ in 0..n_gen {
            next = quill_llm::sampling::argmax(m.forward_last(&[next])?);
        }
        let (w, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - c);
        println!("gen {n_gen}: {:.1} tok/s wall, {:.1} tok/s cpu(main)", n_gen as f64 / w, n_gen as f64 / cpu);
    }
    Ok(())
}
