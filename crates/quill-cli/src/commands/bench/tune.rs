//! `quill bench tune` — LoRA training speed and memory, next to PyTorch + PEFT in the same run.
//!
//! Mirrors `peer-bench lora` (../shared/tools): rank 8 (α 16) on q, k, v, o, gate, up, down,
//! AdamW, batch 4 × 256 random tokens, 8 steps, median of the last 5, 2 threads. Quill runs in
//! a child process (`--quill-only`) so both peak-RSS figures cover exactly one training run.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use quill_tune::bench::{self, BenchResult, BenchSpec, PeerResult};

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill bench tune                  # Quill and (if installed) PyTorch + PEFT, with ratios
  quill bench tune --json           # one JSON object
  quill bench tune --no-peer --threads 4

The peer is PyTorch + PEFT in $PEER_VENV (default ~/.cache/quill-peers/venv), installed by
`../shared/tools/peer-bench install`. Target: ≥ 1.0× PyTorch's trained tokens/s at ≤ 1.0× its
peak memory.";

/// Arguments of `quill bench tune`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// GGUF model (default: the fetched SmolLM2-135M-Instruct Q4_1).
    #[arg(long, short = 'm', value_name = "GGUF")]
    pub model: Option<PathBuf>,
    /// Compute threads (the reference figures use 2).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Skip PyTorch + PEFT even when installed.
    #[arg(long)]
    pub no_peer: bool,
    /// Measure Quill in this process only and print its JSON (used internally).
    #[arg(long, hide = true)]
    pub quill_only: bool,
}

fn measure_here(model: PathBuf, threads: usize, g: &Globals) -> Result<BenchResult> {
    let spec = BenchSpec::standard(model, threads);
    let pb = g.progress(spec.steps as u64, "quill: training steps");
    let r = bench::with_threads(threads, || bench::run(&spec, |_, _| pb.inc(1)))??;
    pb.finish_and_clear();
    Ok(r)
}

/// Runs Quill's measurement in a child process so its peak RSS is its own.
fn measure_child(model: &std::path::Path, threads: usize) -> Result<BenchResult> {
    let exe = std::env::current_exe().context("locating the quill binary")?;
    let out = Command::new(exe)
        .args(["bench", "tune", "--quill-only", "--no-peer", "--threads", &threads.to_string(), "--model"])
        .arg(model)
        .output()
        .context("running the Quill measurement")?;
    if !out.status.success() {
        bail!("the Quill measurement failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("reading the Quill measurement")?;
    let f = |k: &str| v.get(k).and_then(|x| x.as_f64());
    Ok(BenchResult {
        train_tok_s: f("train_tok_s").context("no train_tok_s")?,
        step_s: f("step_s").context("no step_s")?,
        steps_s: v.get("steps_s").and_then(|s| serde_json::from_value(s.clone()).ok()).unwrap_or_default(),
        peak_rss_mb: f("peak_rss_mb"),
        load_s: f("load_s").unwrap_or(0.0),
    })
}

/// Runs the benchmark.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let model = args.model.clone().unwrap_or_else(quill_store::default_llm_path);
    if !model.is_file() {
        bail!("{} is missing\n  hint: run scripts/fetch-models.sh", model.display());
    }
    if args.quill_only {
        let r = measure_here(model, args.threads, &Globals { progress: false, ..g.clone() })?;
        println!("{}", serde_json::to_string(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    let sp = g.spinner("quill: LoRA r8, batch 4×256, 8 steps");
    let quill = measure_child(&model, args.threads)?;
    sp.finish_and_clear();
    let peer: Option<PeerResult> = if args.no_peer {
        None
    } else {
        let sp = g.spinner("PyTorch + PEFT: the same run (peer-bench lora)");
        let p = bench::run_peer(&model)?;
        sp.finish_and_clear();
        p
    };
    let speed_ratio = peer.as_ref().map(|p| quill.train_tok_s / p.train_tok_s);
    let mem_ratio = peer.as_ref().and_then(|p| quill.peak_rss_mb.map(|q| q / p.peak_rss_mb));
    if g.json {
        g.print_json(&serde_json::json!({
            "model": model,
            "threads": args.threads,
            "batch": 4, "seq": 256, "rank": 8, "targets": "q,k,v,o,gate,up,down",
            "quill": quill,
            "peer": peer,
            "speed_ratio": speed_ratio,
            "memory_ratio": mem_ratio,
            "targets_met": speed_ratio.zip(mem_ratio).map(|(s, m)| s >= 1.0 && m <= 1.0),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("LoRA training, r 8 on 7 projections, batch 4×256, {} threads ({})", args.threads, model.display());
    let rss = |v: Option<f64>| v.map(|m| format!("{m:.0} MB")).unwrap_or_else(|| "n/a".into());
    println!(
        "  quill          {:7.1} trained tok/s   {:.2} s/step   peak RSS {}",
        quill.train_tok_s,
        quill.step_s,
        rss(quill.peak_rss_mb)
    );
    match &peer {
        Some(p) => {
            println!(
                "  pytorch+peft   {:7.1} trained tok/s   {:.2} s/step   peak RSS {:.0} MB",
                p.train_tok_s,
                1024.0 / p.train_tok_s,
                p.peak_rss_mb
            );
            println!(
                "  ratio          {:.2}× speed (target ≥ 1.0)   {} memory (target ≤ 1.0)",
                speed_ratio.unwrap_or(f64::NAN),
                mem_ratio.map(|m| format!("{m:.2}×")).unwrap_or_else(|| "n/a".into())
            );
        }
        None => {
            println!("  pytorch+peft   not measured (--no-peer, or not installed: ../shared/tools/peer-bench install)")
        }
    }
    Ok(ExitCode::SUCCESS)
}
