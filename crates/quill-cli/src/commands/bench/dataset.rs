//! `quill bench dataset` — how fast `quill dataset validate` checks a large file, against the
//! cookbook notebook's own Python code (tiktoken + NumPy) on the same file, in the same run.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quill_dataset::validate::{self, notebook::Cell};

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

fn venv_dir() -> PathBuf {
    dirs_cache().join("quill").join("notebook-venv")
}

fn dirs_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
}

fn has_tiktoken(py: &Path) -> bool {
    Command::new(py).args(["-c", "import tiktoken, numpy"]).output().is_ok_and(|o| o.status.success())
}

fn find_python(explicit: Option<&Path>) -> Option<PathBuf> {
    let mut cands: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        cands.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("QUILL_PYTHON") {
        cands.push(PathBuf::from(p));
    }
    cands.push(venv_dir().join("bin/python"));
    cands.push(PathBuf::from("python3"));
    cands.into_iter().find(|p| has_tiktoken(p))
}

fn setup() -> Result<()> {
    let v = venv_dir();
    let st = Command::new("python3").arg("-m").arg("venv").arg(&v).status().context("running python3 -m venv")?;
    if !st.success() {
        bail!("python3 -m venv {} failed (install python3-venv)", v.display());
    }
    let st = Command::new(v.join("bin/python"))
        .args(["-m", "pip", "install", "--quiet", "tiktoken", "numpy"])
        .status()
        .context("running pip")?;
    if !st.success() {
        bail!("pip could not install tiktoken and numpy into {}", v.display());
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the benchmark.
pub fn run(a: Args, g: &Globals) -> Result<ExitCode> {
    if a.setup {
        setup()?;
    }
    let tmp = tempfile::tempdir().context("creating a temporary folder")?;
    let file = tmp.path().join("bench.jsonl");
    let text = quill_dataset::py::synthetic_chat_jsonl(a.lines);
    std::fs::write(&file, &text).with_context(|| format!("writing {}", file.display()))?;
    let mb = text.len() as f64 / 1e6;

    let sp = g.spinner(format!("validating {} lines × {} runs", a.lines, a.runs));
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        let r = validate::validate_file(&file, &validate::Options::default())?;
        times.push(t.elapsed().as_secs_f64());
        report = Some(r);
    }
    sp.finish_and_clear();
    let ours = median(times);
    let Some(report) = report else { bail!("no run") };

    let mut peer: Option<(f64, bool, String)> = None;
    if !a.no_peer {
        match find_python(a.python.as_deref()) {
            None => {
                if !g.json {
                    eprintln!("peer: no python with tiktoken and numpy (run `quill bench dataset --setup` once); Quill's figure only");
                }
            }
            Some(py) => {
                let script = tmp.path().join("notebook.py");
                std::fs::write(&script, quill_dataset::py::NOTEBOOK_PY)?;
                let bpe = tmp.path().join("bpe");
                quill_dataset::py::write_bpe_files(&bpe)?;
                let sp = g.spinner("running the notebook's Python on the same file");
                let t = Instant::now();
                let out = Command::new(&py).arg(&script).arg("--bpe-dir").arg(&bpe).arg(&file).output().context("running python")?;
                let secs = t.elapsed().as_secs_f64();
                sp.finish_and_clear();
                if !out.status.success() {
                    bail!("the notebook's Python failed: {}", String::from_utf8_lossy(&out.stderr));
                }
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("reading the notebook's output")?;
                let same = match report.notebook.cost.ok() {
                    Some(c) => v["cost"]["value"]["charged_tokens"].as_u64() == Some(c.charged_tokens),
                    None => false,
                };
                let versions = format!(
                    "python {}, tiktoken {}, numpy {}",
                    v["versions"]["python"].as_str().unwrap_or("?"),
                    v["versions"]["tiktoken"].as_str().unwrap_or("?"),
                    v["versions"]["numpy"].as_str().unwrap_or("?")
                );
                peer = Some((secs, same, versions));
            }
        }
    }
    let threads = rayon_threads();
    if g.json {
        g.print_json(&serde_json::json!({
            "lines": a.lines,
            "megabytes": mb,
            "threads": threads,
            "quill_seconds": ours,
            "quill_lines_per_second": a.lines as f64 / ours,
            "notebook_python_seconds": peer.as_ref().map(|p| p.0),
            "same_numbers": peer.as_ref().map(|p| p.1),
            "peer_versions": peer.as_ref().map(|p| p.2.clone()),
            "speedup": peer.as_ref().map(|p| p.0 / ours),
            "notebook_cells_ok": matches!(report.notebook.cost, Cell::Ok(_)),
        }))?;
    } else {
        println!("dataset validate: {} lines ({mb:.1} MB), {threads} threads", a.lines);
        println!("  quill (all checks):        {ours:>8.2} s  ({:.0} lines/s)", a.lines as f64 / ours);
        match &peer {
            Some((secs, same, versions)) => {
                println!("  notebook (Python):         {secs:>8.2} s  ({versions})");
                println!("  ratio:                     {:>8.1}× faster{}", secs / ours, if *same { ", same numbers" } else { ", NUMBERS DIFFER" });
            }
            None => println!("  notebook (Python):         not run"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
