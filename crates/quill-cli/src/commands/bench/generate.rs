//! `quill bench generate` — local generation speed and memory, next to llama.cpp in the same run.
//!
//! Mirrors `peer-bench generate` (../shared/tools): a 512-token prompt (prompt processing
//! tokens/s) and 128 greedy tokens after a 52-token prompt (generation tokens/s), 2 threads,
//! median of 5 runs. Our generation loop reads the logits and takes the argmax every step, which
//! is stricter than the peer's fixed-token loop.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result};
use quill_llm::{Engine, ModelOptions};

use crate::Globals;
use crate::commands::tokenize::model_path;

const EXAMPLES: &str = "Examples:
  quill bench generate                 # quill and (if installed) llama.cpp, with ratios
  quill bench generate --json          # one JSON object
  quill bench generate --no-peer --runs 3

The peer is llama-cpp-python in $PEER_VENV (default ~/.cache/quill-peers/venv), installed by
`../shared/tools/peer-bench install`. Targets: generation ≥ 1.0×, prompt ≥ 0.7×, memory ≤ 1.2×.";

/// Arguments of `quill bench generate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// GGUF model (default: the fetched SmolLM2-135M-Instruct Q4_1).
    #[arg(long, short = 'm', value_name = "GGUF")]
    pub model: Option<PathBuf>,
    /// Compute threads (the reference figures use 2).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Skip llama.cpp even when it is installed.
    #[arg(long)]
    pub no_peer: bool,
}

const PROMPT_UNIT: &str = "Small businesses often rely on social media to reach their neighbours. ";
const PROMPT_TOKENS: usize = 512;
const GEN_PROMPT: usize = 52;
const GEN_TOKENS: usize = 128;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Peak resident set of this process in MB (`VmHWM`), if the platform reports it.
fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[derive(Debug, Clone, serde::Serialize)]
struct Measured {
    prompt_tok_s: f64,
    gen_tok_s: f64,
    peak_rss_mb: Option<f64>,
    prompt_runs: Vec<f64>,
    gen_runs: Vec<f64>,
}

fn measure(engine: &mut Engine, runs: usize, g: &Globals) -> Result<Measured> {
    let text = PROMPT_UNIT.repeat(80);
    let ids = engine.tokenizer().encode(&text, false, false);
    anyhow::ensure!(ids.len() >= PROMPT_TOKENS, "benchmark prompt has only {} tokens", ids.len());
    let ids = &ids[..PROMPT_TOKENS];
    let pb = g.progress((2 * runs + 1) as u64, "quill");
    // warm-up (page in weights, spin up threads)
    {
        let m = engine.model_mut();
        m.forward_last(&ids[..64])?;
        pb.inc(1);
    }
    let mut pp = Vec::with_capacity(runs);
    for _ in 0..runs {
        let m = engine.model_mut();
        let t = Instant::now();
        m.forward_last(ids)?;
        pp.push(PROMPT_TOKENS as f64 / t.elapsed().as_secs_f64());
        pb.inc(1);
    }
    let mut tg = Vec::with_capacity(runs);
    for _ in 0..runs {
        let m = engine.model_mut();
        let mut next = quill_llm::sampling::argmax(m.forward_last(&ids[..GEN_PROMPT])?);
        let t = Instant::now();
        for _ in 0..GEN_TOKENS {
            next = quill_llm::sampling::argmax(m.forward_last(&[next])?);
        }
        tg.push(GEN_TOKENS as f64 / t.elapsed().as_secs_f64());
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(Measured {
        prompt_tok_s: median(&mut pp.clone()),
        gen_tok_s: median(&mut tg.clone()),
        peak_rss_mb: peak_rss_mb(),
        prompt_runs: pp,
        gen_runs: tg,
    })
}

/// `peer-bench` next to the reference data (`../shared/tools/peer-bench`), or `$QUILL_PEER_BENCH`.
fn peer_bench_path() -> PathBuf {
    if let Some(p) = std::env::var_os("QUILL_PEER_BENCH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    quill_store::reference_dir().join("../tools/peer-bench")
}

fn peer_python() -> PathBuf {
    let venv = std::env::var_os("PEER_VENV").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cache/quill-peers/venv")
    });
    venv.join("bin/python")
}

/// Runs llama.cpp's benchmark in a child process and measures its peak RSS (the wrapper reads
/// `RUSAGE_CHILDREN` after the child exits). `Ok(None)` when the peer is not installed.
fn run_peer(model: &Path, g: &Globals) -> Result<Option<serde_json::Value>> {
    let py = peer_python();
    let bench = peer_bench_path();
    if !py.is_file() || !bench.is_file() {
        return Ok(None);
    }
    let has_llama =
        Command::new(&py).args(["-c", "import llama_cpp"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !has_llama {
        return Ok(None);
    }
    let wrapper = "import json, resource, subprocess, sys\n\
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n\
sys.stderr.write(r.stderr)\n\
lines = [l for l in r.stdout.splitlines() if l.startswith('{')]\n\
if r.returncode != 0 or not lines:\n    sys.exit(r.returncode or 1)\n\
out = json.loads(lines[-1])\n\
out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n\
print(json.dumps(out))\n";
    let spin = g.spinner("llama.cpp (peer-bench generate)");
    let out = Command::new(&py)
        .arg("-c")
        .arg(wrapper)
        .arg(&bench)
        .arg("generate")
        .arg(model)
        .output()
        .with_context(|| format!("running {}", bench.display()))?;
    spin.finish_and_clear();
    if !out.status.success() {
        anyhow::bail!(
            "peer-bench generate failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).context("peer-bench printed no JSON")?;
    Ok(Some(serde_json::from_str(line).context("parsing peer-bench output")?))
}

/// Runs the benchmark.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let path = model_path(args.model)?;
    let runs = args.runs.max(1);
    let opts = ModelOptions { n_ctx: Some(2048), threads: args.threads, ..Default::default() };
    let mut engine = Engine::load(&path, &opts).with_context(|| format!("loading {}", path.display()))?;
    let ours = measure(&mut engine, runs, g)?;
    drop(engine);
    let peer = if args.no_peer { None } else { run_peer(&path, g)? };
    let pf = |k: &str| peer.as_ref().and_then(|p| p.get(k)).and_then(|v| v.as_f64());
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let r_pp = ratio(Some(ours.prompt_tok_s), pf("prompt_tok_s"));
    let r_tg = ratio(Some(ours.gen_tok_s), pf("gen_tok_s"));
    let r_mem = ratio(ours.peak_rss_mb, pf("peak_rss_mb"));

    if g.json {
        g.print_json(&serde_json::json!({
            "benchmark": "generate",
            "model": path,
            "threads": args.threads,
            "runs": runs,
            "prompt_tokens": PROMPT_TOKENS,
            "gen_tokens": GEN_TOKENS,
            "quill": ours,
            "peer": peer,
            "ratios": { "prompt": r_pp, "gen": r_tg, "peak_rss": r_mem },
            "targets": { "prompt": 0.7, "gen": 1.0, "peak_rss": 1.2 },
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let f = |v: Option<f64>, p: usize| v.map_or("—".to_string(), |x| format!("{x:.p$}"));
    println!("quill bench generate — {}, {} threads, median of {runs}", path.display(), args.threads);
    println!("{:<22}{:>10}{:>12}{:>8}{:>10}", "", "quill", "llama.cpp", "ratio", "target");
    println!(
        "{:<22}{:>10}{:>12}{:>8}{:>10}",
        "prompt tok/s (512)",
        f(Some(ours.prompt_tok_s), 1),
        f(pf("prompt_tok_s"), 1),
        f(r_pp, 2),
        "≥ 0.70"
    );
    println!(
        "{:<22}{:>10}{:>12}{:>8}{:>10}",
        "gen tok/s (128)",
        f(Some(ours.gen_tok_s), 1),
        f(pf("gen_tok_s"), 1),
        f(r_tg, 2),
        "≥ 1.00"
    );
    println!(
        "{:<22}{:>10}{:>12}{:>8}{:>10}",
        "peak RSS (MB)",
        f(ours.peak_rss_mb, 0),
        f(pf("peak_rss_mb"), 0),
        f(r_mem, 2),
        "≤ 1.20"
    );
    if peer.is_none() && !args.no_peer {
        eprintln!(
            "{}",
            console::style(
                "llama.cpp not measured: install it with ../shared/tools/peer-bench install (or set PEER_VENV)"
            )
            .dim()
            .for_stderr()
        );
    }
    Ok(ExitCode::SUCCESS)
}
