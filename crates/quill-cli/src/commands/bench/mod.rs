//! `quill bench …` — speed and memory against peer tools measured in the same run.
//!
//! Each benchmark prints Quill's figure, the peer's figure from `peer-bench` (when the peer is
//! installed) and their ratio; `--json` gives the same as one object.

use std::process::ExitCode;

use anyhow::Result;

use crate::Globals;

mod dataset;
mod embed;
mod generate;
mod search;
mod tune;

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Local generation: prompt processing and generation tokens/s vs llama.cpp.
    Generate(generate::Args),
    /// Sentence embeddings/s vs sentence-transformers.
    Embed(embed::Args),
    /// Knowledge search latency and indexing throughput.
    Search(search::Args),
    /// LoRA training tokens/s and peak memory vs PyTorch + PEFT.
    Tune(tune::Args),
    /// Dataset validation speed vs the cookbook's Python.
    Dataset(dataset::Args),
}

/// Runs the command.
pub fn run(cmd: Cmd, g: &Globals) -> Result<ExitCode> {
    match cmd {
        Cmd::Generate(a) => generate::run(a, g),
        Cmd::Embed(a) => embed::run(a, g),
        Cmd::Search(a) => search::run(a, g),
        Cmd::Tune(a) => tune::run(a, g),
        Cmd::Dataset(a) => dataset::run(a, g),
    }
}
