//! `quill bench search` — knowledge search latency (p50/p95) at 10k and 100k chunks for bm25,
//! dense and hybrid, and indexing throughput.
//!
//! The corpus is synthetic (Markdown sections drawn from a Zipf-like vocabulary) and its vectors
//! are random unit vectors: latency depends on the number of chunks and the shape of the posting
//! lists, not on what the text means. Embedding throughput is measured separately on real-sized
//! chunks, since it dominates indexing time.

use std::process::ExitCode;

use anyhow::Result;
use quill_knowledge::bench;

use crate::Globals;

/// Measure search latency and indexing throughput on synthetic corpora.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:\n  quill bench search\n  quill bench search --sizes 10000 --queries 50 --json")]
pub struct Args {
    /// Corpus sizes in chunks.
    #[arg(long, value_delimiter = ',', default_values_t = vec![10_000usize, 100_000])]
    pub sizes: Vec<usize>,
    /// Queries timed per mode.
    #[arg(long, default_value_t = 100)]
    pub queries: usize,
    /// Threads for embedding and the dense scan.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// Runs the benchmark.
pub fn run(a: Args, g: &Globals) -> Result<ExitCode> {
    let sp = g.spinner("preparing");
    let out = bench::search_benchmark(&a.sizes, a.queries, a.threads, &mut |s| sp.set_message(s))?;
    sp.finish_and_clear();
    if g.json {
        g.print_json(&serde_json::json!({ "benchmark": "search", "result": out }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("indexing (chunking + keyword index, embedding excluded):");
    for c in &out.corpora {
        println!("  {:>7} chunks: {:>7.0} chunks/s ({:.1} s)", c.chunks, c.index_chunks_per_s, c.index_s);
    }
    if let Some(e) = &out.embed {
        println!(
            "embedding real-sized chunks (~{} tokens, {} threads): {:.1} chunks/s",
            e.mean_tokens, out.threads, e.chunks_per_s
        );
    }
    println!("query latency (k = 10; dense and hybrid include embedding the query):");
    println!("  {:>7}  {:<7} {:>9} {:>9}", "chunks", "mode", "p50 ms", "p95 ms");
    for c in &out.corpora {
        for l in &c.latency {
            println!(
                "  {:>7}  {:<7} {:>9.2} {:>9.2}",
                c.chunks,
                format!("{:?}", l.mode).to_lowercase(),
                l.p50_ms,
                l.p95_ms
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
