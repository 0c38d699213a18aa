//! Load check: N concurrent streaming clients against an in-process `quill-serve` on loopback.
//!
//! ```text
//! cargo run --release -p quill-serve --example load -- [--clients 8] [--requests 2] [--max-tokens 64]
//!     [--parallel 2] [--model PATH] [--json]
//! ```
//! Every client streams `--requests` chat completions (greedy, `ignore_eos`, so every answer has
//! exactly `--max-tokens` tokens) through Quill's own OpenAI client. The run is bounded (a fixed
//! number of requests, loopback only, a 10-minute ceiling) and fails if any request fails.
//! Reports latency and time-to-first-token percentiles and aggregate decode throughput.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quill_backends::{
    ChatMessage, Flow, GenParams, Generator, LocalBackend, LocalOptions, OpenAiBackend, OpenAiOptions,
};
use quill_serve::{ServeOptions, Server};

struct Args {
    clients: usize,
    requests: usize,
    max_tokens: u32,
    parallel: usize,
    model: std::path::PathBuf,
    json: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        clients: 8,
        requests: 2,
        max_tokens: 64,
        parallel: 2,
        model: quill_store::default_llm_path(),
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => a.clients = val()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--requests" => a.requests = val()?.parse().map_err(|e| format!("--requests: {e}"))?,
            "--max-tokens" => a.max_tokens = val()?.parse().map_err(|e| format!("--max-tokens: {e}"))?,
            "--parallel" => a.parallel = val()?.parse().map_err(|e| format!("--parallel: {e}"))?,
            "--model" => a.model = val()?.into(),
            "--json" => a.json = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.clients == 0 || a.requests == 0 || a.parallel == 0 || a.clients > 256 {
        return Err("clients (1..=256), requests and parallel must be positive".into());
    }
    Ok(a)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = parse()?;
    if !a.model.is_file() {
        return Err(format!("model {} is missing: run scripts/fetch-models.sh", a.model.display()).into());
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = (cores / a.parallel).max(1);
    let mut slots: Vec<Arc<dyn Generator>> = Vec::new();
    for _ in 0..a.parallel {
        let o = LocalOptions { threads: Some(threads), n_ctx: Some(2048), adapter: None, name: Some("smollm2".into()) };
        slots.push(Arc::new(LocalBackend::load(&a.model, o)?));
    }
    let mut so = ServeOptions::new("smollm2");
    so.addr = "127.0.0.1:0".parse()?;
    so.max_queue = a.clients;
    let server = Server::bind(so, slots)?.spawn(2)?;
    let base = server.base_url();

    let started = Instant::now();
    let deadline = Duration::from_secs(600);
    let workers: Vec<_> = (0..a.clients)
        .map(|i| {
            let base = base.clone();
            let (requests, max_tokens) = (a.requests, a.max_tokens);
            std::thread::spawn(move || -> Result<Vec<(f64, f64, u32)>, String> {
                let mut o = OpenAiOptions::new(base, "smollm2");
                o.read_timeout = Duration::from_secs(300);
                let c = OpenAiBackend::new(o).map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                for r in 0..requests {
                    if started.elapsed() > deadline {
                        return Err("deadline passed".into());
                    }
                    let msgs = [ChatMessage::user(format!("Client {i}, request {r}: write a short note about tea."))];
                    let p = GenParams {
                        temperature: Some(0.0),
                        max_tokens: Some(max_tokens),
                        ignore_eos: true,
                        ..Default::default()
                    };
                    let t = Instant::now();
                    let done = c.generate(&msgs, &p, &mut |_| Flow::Continue).map_err(|e| e.to_string())?;
                    let total = t.elapsed().as_secs_f64();
                    let ttft = done.timings.time_to_first_token.map(|d| d.as_secs_f64()).unwrap_or(total);
                    out.push((total, ttft, done.usage.completion_tokens));
                }
                Ok(out)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut ttft = Vec::new();
    let mut tokens = 0u64;
    let mut failures = Vec::new();
    for w in workers {
        match w.join() {
            Ok(Ok(v)) => {
                for (t, f, n) in v {
                    lat.push(t);
                    ttft.push(f);
                    tokens += u64::from(n);
                }
            }
            Ok(Err(e)) => failures.push(e),
            Err(_) => failures.push("a client thread panicked".into()),
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let stats = server.control().stats();
    server.shutdown()?;
    lat.sort_by(f64::total_cmp);
    ttft.sort_by(f64::total_cmp);
    let report = serde_json::json!({
        "clients": a.clients, "requests_per_client": a.requests, "max_tokens": a.max_tokens,
        "parallel": a.parallel, "threads_per_engine": threads, "cores": cores,
        "completed": lat.len(), "failed": failures.len(),
        "latency_s": {"p50": pct(&lat, 50.0), "p95": pct(&lat, 95.0), "max": lat.last().copied().unwrap_or(f64::NAN)},
        "ttft_s": {"p50": pct(&ttft, 50.0), "p95": pct(&ttft, 95.0), "max": ttft.last().copied().unwrap_or(f64::NAN)},
        "wall_s": wall, "generated_tokens": tokens, "throughput_tok_s": tokens as f64 / wall,
        "server": {"served": stats.served, "rejected": stats.rejected, "cancelled": stats.cancelled, "failed": stats.failed},
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} clients × {} requests × {} tokens, {} slots × {} threads: {}/{} completed in {:.1}s",
            a.clients,
            a.requests,
            a.max_tokens,
            a.parallel,
            threads,
            lat.len(),
            a.clients * a.requests,
            wall
        );
        println!("  latency  p50 {:.2}s  p95 {:.2}s", pct(&lat, 50.0), pct(&lat, 95.0));
        println!("  TTFT     p50 {:.2}s  p95 {:.2}s", pct(&ttft, 50.0), pct(&ttft, 95.0));
        println!("  throughput {:.1} generated tokens/s", tokens as f64 / wall);
    }
    if !failures.is_empty() {
        return Err(format!("{} clients failed: {}", failures.len(), failures.join("; ")).into());
    }
    Ok(())
}
