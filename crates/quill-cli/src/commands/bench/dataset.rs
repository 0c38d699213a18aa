//! `quill bench dataset` — how fast `quill dataset validate` checks a large file, against the
//! cookbook notebook's own Python code (tiktoken + NumPy) on the same file, in the same run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use quill_dataset::bench;

use crate::Globals;

/// Generate a synthetic OpenAI chat file (100,000 lines by default), validate it with Quill (all
/// checks: notebook, tokens, duplicates, targets, verdict) and with the notebook's Python, and
/// print both times and the ratio. The two must also agree on the numbers.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  quill bench dataset
  quill bench dataset --lines 20000 --json
  quill bench dataset --setup      # once: a venv with tiktoken + numpy in ~/.cache/quill/notebook-venv

The Python side is tests/notebook/notebook.py of quill-dataset (the notebook's cells, unchanged),
run by --python, $QUILL_PYTHON, ~/.cache/quill/notebook-venv or python3 — whichever has tiktoken
and numpy.")]
pub struct Args {
    /// Lines in the generated file.
    #[arg(long, default_value_t = 100_000)]
    pub lines: usize,
    /// Timed runs of Quill (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Python interpreter with tiktoken and numpy.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Create ~/.cache/quill/notebook-venv with tiktoken and numpy (pip), then run.
    #[arg(long)]
    pub setup: bool,
    /// Skip the Python comparison.
    #[arg(long)]
    pub no_peer: bool,
}

/// Runs the benchmark.
pub fn run(a: Args, g: &Globals) -> Result<ExitCode> {
    if a.setup {
        bench::setup()?;
    }
    let py = if a.no_peer { None } else { bench::find_python(a.python.as_deref()) };
    if py.is_none() && !a.no_peer && !g.json {
        eprintln!(
            "peer: no python with tiktoken and numpy (run `quill bench dataset --setup` once); Quill's figure only"
        );
    }
    let sp = g.spinner(format!("validating {} lines × {} runs, then the notebook's Python", a.lines, a.runs));
    let r = bench::run(a.lines, a.runs, py.as_deref())?;
    sp.finish_and_clear();
    if g.json {
        g.print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("dataset validate: {} lines ({:.1} MB), {} threads", r.lines, r.megabytes, r.threads);
    println!("  quill (all checks):   {:>8.2} s  ({:.0} lines/s)", r.quill_seconds, r.quill_lines_per_second);
    match (r.notebook_python_seconds, &r.peer_versions) {
        (Some(secs), Some(v)) => {
            println!("  notebook (Python):    {secs:>8.2} s  ({v})");
            let same = if r.same_numbers == Some(true) { "same numbers" } else { "NUMBERS DIFFER" };
            println!("  ratio:                {:>8.1}× ({same})", secs / r.quill_seconds);
        }
        _ => println!("  notebook (Python):    not run"),
    }
    Ok(ExitCode::SUCCESS)
}
