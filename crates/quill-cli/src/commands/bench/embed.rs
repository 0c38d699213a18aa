//! `quill bench embed` — sentence embeddings per second (all-MiniLM-L6-v2, 2 threads) against
//! sentence-transformers on the same CPU, in the same run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_knowledge::{Embedder, bench};

use crate::Globals;

/// Embed 2,000 sentences of 30 words (batch 32, 2 threads, median of 3 runs) and compare with
/// `peer-bench embed` (sentence-transformers) when its venv is installed.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  quill bench embed\n  quill bench embed --json\n  quill bench embed --no-peer --sentences 500\n\nThe peer runs through ../shared/tools/peer-bench (install once with `peer-bench install`)."
)]
pub struct Args {
    /// Sentences per run.
    #[arg(long, default_value_t = 2000)]
    pub sentences: usize,
    /// Words per sentence.
    #[arg(long, default_value_t = 30)]
    pub words: usize,
    /// Sentences per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Model folder (default: $QUILL_MODELS/all-minilm-l6-v2).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Skip the sentence-transformers comparison.
    #[arg(long)]
    pub no_peer: bool,
}

/// Runs the benchmark.
pub fn run(a: Args, g: &Globals) -> Result<ExitCode> {
    let dir = a.model.clone().unwrap_or_else(quill_store::default_embedder_dir);
    let e = Embedder::load(&dir).context("loading the embedding model")?;
    let sents = bench::peer_sentences(a.sentences, a.words, 0);
    let sp = g.spinner(format!("embedding {} sentences × {} runs", a.sentences, a.runs));
    let ours = bench::embed_throughput(&e, &sents, a.batch, a.threads, a.runs)?;
    sp.finish_and_clear();
    let peer = if a.no_peer {
        None
    } else if !bench::peer_available() {
        if !g.json {
            eprintln!(
                "peer: sentence-transformers not installed (run `{} install`); Quill's figure only",
                bench::peer_bench_path().display()
            );
        }
        None
    } else {
        let sp = g.spinner("running sentence-transformers (peer-bench embed)");
        let r = bench::run_peer_embed(&dir);
        sp.finish_and_clear();
        match r {
            Ok(v) => Some(v),
            Err(err) => {
                eprintln!("peer: {err}");
                None
            }
        }
    };
    let peer_rate = peer.as_ref().and_then(|p| p.get("sentences_per_s")).and_then(|v| v.as_f64());
    let ratio = peer_rate.map(|p| ours.sentences_per_s / p);
    if g.json {
        g.print_json(&serde_json::json!({
            "benchmark": "embed",
            "model": e.id(),
            "quill": ours,
            "peer": peer,
            "ratio": ratio,
        }))?;
    } else {
        println!(
            "quill (candle, {} threads): {:.1} sentences/s  (runs: {})",
            ours.threads,
            ours.sentences_per_s,
            ours.runs.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>().join(", ")
        );
        match (peer_rate, ratio) {
            (Some(p), Some(r)) => {
                println!("sentence-transformers:      {p:.1} sentences/s\nratio quill / peer:         {r:.2}×")
            }
            _ => println!("sentence-transformers:      not measured (reference figure: 210 sentences/s, anchors.md)"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
