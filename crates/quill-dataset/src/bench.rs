//! The `quill bench dataset` measurement: Quill's validator against the cookbook notebook's own
//! Python (tiktoken + NumPy) on the same generated file, in the same run. Lives here so the
//! command and `examples/bench_validate.rs` measure exactly the same thing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::validate::{self, notebook::Cell};

/// What one benchmark run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// Lines in the file.
    pub lines: usize,
    /// File size.
    pub megabytes: f64,
    /// CPU threads available.
    pub threads: usize,
    /// Median seconds of `validate_file` (all checks).
    pub quill_seconds: f64,
    /// Lines per second.
    pub quill_lines_per_second: f64,
    /// Wall seconds of the notebook's Python (interpreter start included), when run.
    pub notebook_python_seconds: Option<f64>,
    /// Whether both gave the same billed-token total.
    pub same_numbers: Option<bool>,
    /// Python, tiktoken and NumPy versions.
    pub peer_versions: Option<String>,
    /// Python seconds ÷ Quill seconds.
    pub speedup: Option<f64>,
    /// Whether every notebook cell ran on the file (it has no weights).
    pub notebook_cells_ok: bool,
}

/// Where `quill bench dataset --setup` puts its virtualenv.
pub fn venv_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("quill")
        .join("notebook-venv")
}

fn has_tiktoken(py: &Path) -> bool {
    Command::new(py).args(["-c", "import tiktoken, numpy"]).output().is_ok_and(|o| o.status.success())
}

/// The first interpreter with tiktoken and numpy among: `explicit`, `$QUILL_PYTHON`, the
/// `--setup` venv, `python3`.
pub fn find_python(explicit: Option<&Path>) -> Option<PathBuf> {
    let mut cands: Vec<PathBuf> = Vec::new();
    cands.extend(explicit.map(Path::to_path_buf));
    cands.extend(std::env::var_os("QUILL_PYTHON").map(PathBuf::from));
    cands.push(venv_dir().join("bin/python"));
    cands.push(PathBuf::from("python3"));
    cands.into_iter().find(|p| has_tiktoken(p))
}

/// Creates the venv with tiktoken and numpy (pip).
pub fn setup() -> Result<PathBuf> {
    let v = venv_dir();
    let fail = |m: String| Error::Invalid(m);
    let st = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&v)
        .status()
        .map_err(|e| fail(format!("python3 -m venv: {e}")))?;
    if !st.success() {
        return Err(fail(format!("python3 -m venv {} failed (install python3-venv)", v.display())));
    }
    let py = v.join("bin/python");
    let st = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet", "tiktoken", "numpy"])
        .status()
        .map_err(|e| fail(format!("pip: {e}")))?;
    if !st.success() {
        return Err(fail(format!("pip could not install tiktoken and numpy into {}", v.display())));
    }
    Ok(py)
}

/// Generates `lines` lines, validates them `runs` times, and runs the notebook once with
/// `python` (None = Quill only).
pub fn run(lines: usize, runs: usize, python: Option<&Path>) -> Result<BenchResult> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io("creating", std::env::temp_dir(), e))?;
    let file = tmp.path().join("bench.jsonl");
    let text = crate::py::synthetic_chat_jsonl(lines);
    std::fs::write(&file, &text).map_err(|e| Error::io("writing", &file, e))?;
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let r = validate::validate_file(&file, &validate::Options::default())?;
        times.push(t.elapsed().as_secs_f64());
        report = Some(r);
    }
    times.sort_by(f64::total_cmp);
    let ours = times[times.len() / 2];
    let report = report.ok_or_else(|| Error::Invalid("no run".into()))?;
    let mut peer = None;
    if let Some(py) = python {
        let script = tmp.path().join("notebook.py");
        std::fs::write(&script, crate::py::NOTEBOOK_PY).map_err(|e| Error::io("writing", &script, e))?;
        let bpe = tmp.path().join("bpe");
        crate::py::write_bpe_files(&bpe)?;
        let t = Instant::now();
        let out = Command::new(py)
            .arg(&script)
            .arg("--bpe-dir")
            .arg(&bpe)
            .arg(&file)
            .output()
            .map_err(|e| Error::io("running", py, e))?;
        let secs = t.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(Error::Invalid(format!(
                "the notebook's Python failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let same = report
            .notebook
            .cost
            .ok()
            .is_some_and(|c| v["cost"]["value"]["charged_tokens"].as_u64() == Some(c.charged_tokens));
        let versions = format!(
            "python {}, tiktoken {}, numpy {}",
            v["versions"]["python"].as_str().unwrap_or("?"),
            v["versions"]["tiktoken"].as_str().unwrap_or("?"),
            v["versions"]["numpy"].as_str().unwrap_or("?")
        );
        peer = Some((secs, same, versions));
    }
    Ok(BenchResult {
        lines,
        megabytes: text.len() as f64 / 1e6,
        threads: rayon::current_num_threads(),
        quill_seconds: ours,
        quill_lines_per_second: lines as f64 / ours,
        notebook_python_seconds: peer.as_ref().map(|p| p.0),
        same_numbers: peer.as_ref().map(|p| p.1),
        peer_versions: peer.as_ref().map(|p| p.2.clone()),
        speedup: peer.as_ref().map(|p| p.0 / ours),
        notebook_cells_ok: matches!(report.notebook.cost, Cell::Ok(_)),
    })
}
