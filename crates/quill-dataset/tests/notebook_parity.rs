//! Parity with the OpenAI cookbook notebook: its Python code (tests/notebook/notebook.py) and
//! `quill dataset validate` run on the same good and deliberately broken files and must agree on
//! every count, every statistic (bit for bit), every printed line, and on where the notebook
//! itself crashes.
//!
//! Needs python3 with pip (PyPI reachable once): the test creates a virtualenv under Cargo's
//! target tmp dir and installs tiktoken and numpy into it. It fails, never skips, when that is
//! impossible. `QUILL_PYTHON` points at an interpreter that already has both.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use quill_dataset::validate::notebook::{Cell, NotebookReport};
use quill_dataset::validate::stats::Distribution;
use quill_dataset::validate::{self, Options};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The interpreter with tiktoken + numpy, and the folder with the BPE files.
fn python() -> &'static (PathBuf, PathBuf) {
    static PY: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PY.get_or_init(|| {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let bpe = tmp.join("notebook-bpe");
        quill_dataset::py::write_bpe_files(&bpe).expect("writing the BPE files for tiktoken");
        if let Some(p) = std::env::var_os("QUILL_PYTHON") {
            return (PathBuf::from(p), bpe);
        }
        let venv = tmp.join("notebook-venv");
        let py = venv.join("bin/python");
        let ok = |py: &Path| Command::new(py).args(["-c", "import tiktoken, numpy"]).output().is_ok_and(|o| o.status.success());
        if !ok(&py) {
            let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).output();
            match made {
                Ok(o) if o.status.success() => {}
                Ok(o) => panic!(
                    "cannot create a virtualenv for the notebook parity test: {}\n  fix: install python3 with venv (apt-get install python3-venv) or set QUILL_PYTHON to a python with tiktoken and numpy",
                    String::from_utf8_lossy(&o.stderr)
                ),
                Err(e) => panic!("python3 is needed for the notebook parity test ({e})\n  fix: install python3, or set QUILL_PYTHON"),
            }
            let pip = Command::new(&py).args(["-m", "pip", "install", "--quiet", "tiktoken", "numpy"]).output().expect("running pip");
            assert!(
                pip.status.success(),
                "pip could not install tiktoken and numpy (PyPI must be reachable once): {}\n  fix: set QUILL_PYTHON to a python that has both",
                String::from_utf8_lossy(&pip.stderr)
            );
        }
        (py, bpe)
    })
}

fn run_notebook(file: &Path) -> Value {
    let (py, bpe) = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/notebook/notebook.py");
    let out = Command::new(py).arg(&script).arg("--bpe-dir").arg(bpe).arg(file).output().expect("running notebook.py");
    assert!(out.status.success(), "notebook.py failed on {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("notebook.py output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn assert_dist(name: &str, ours: &Distribution, py: &Value) {
    assert_eq!(ours.min, py["min"].as_u64().unwrap(), "{name} min");
    assert_eq!(ours.max, py["max"].as_u64().unwrap(), "{name} max");
    for (k, v) in [("mean", ours.mean), ("median", ours.median), ("p10", ours.p10), ("p90", ours.p90)] {
        let p = py[k].as_f64().unwrap();
        assert!(v.to_bits() == p.to_bits(), "{name} {k}: ours {v:?}, notebook {p:?}");
    }
}

fn assert_crash<T>(what: &str, ours: &Cell<T>, py: &Value) {
    let Cell::Crashed(c) = ours else { panic!("{what}: the notebook crashed ({py}), we predicted it runs") };
    assert_eq!(c.exception, py["exception"].as_str().unwrap(), "{what}: exception ({py})");
    assert_eq!(c.line.map(|l| l as u64), py["line"].as_u64(), "{what}: line ({py})");
}

/// Compares our notebook emulation with the real notebook, cell by cell.
fn compare(file: &Path, ours: &NotebookReport, py: &Value) {
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let load = &py["load"];
    if load["status"] == "crashed" {
        assert_crash(&format!("{name} load"), &ours.load, load);
        return;
    }
    assert_eq!(ours.load.ok().unwrap().num_examples as u64, load["num_examples"].as_u64().unwrap(), "{name}");
    match &py["first_example"]["status"] {
        v if v == "ok" => assert!(matches!(ours.first_example, Cell::Ok(())), "{name} preview"),
        _ => assert_crash(&format!("{name} preview"), &ours.first_example, &py["first_example"]),
    }
    let mut transcript: Vec<String> = Vec::new();
    let fmt = &py["format_errors"];
    if fmt["status"] == "ok" {
        let theirs: Vec<(String, u64)> = fmt["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| (kv[0].as_str().unwrap().to_string(), kv[1].as_u64().unwrap()))
            .collect();
        let ours_fmt = ours
            .format_errors
            .ok()
            .unwrap_or_else(|| panic!("{name}: format cell ran in the notebook, we predicted a crash"));
        let mine: Vec<(String, u64)> = ours_fmt.errors.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
        assert_eq!(mine, theirs, "{name}: format_errors (in print order)");
        transcript.extend(fmt["stdout"].as_str().unwrap().lines().map(str::to_string));
    } else {
        assert_crash(&format!("{name} format cell"), &ours.format_errors, fmt);
    }
    let warn = &py["warnings"];
    if warn["status"] == "ok" {
        let w = ours
            .warnings
            .ok()
            .unwrap_or_else(|| panic!("{name}: warnings cell ran in the notebook, we predicted {:?}", ours.warnings));
        let v = &warn["value"];
        assert_eq!(w.n_missing_system, v["n_missing_system"].as_u64().unwrap(), "{name}");
        assert_eq!(w.n_missing_user, v["n_missing_user"].as_u64().unwrap(), "{name}");
        assert_dist(&format!("{name} messages"), &w.num_messages_per_example, &v["num_messages_per_example"]);
        assert_dist(
            &format!("{name} total tokens"),
            &w.num_total_tokens_per_example,
            &v["num_total_tokens_per_example"],
        );
        assert_dist(
            &format!("{name} assistant tokens"),
            &w.num_assistant_tokens_per_example,
            &v["num_assistant_tokens_per_example"],
        );
        assert_eq!(w.n_too_long, v["n_too_long"].as_u64().unwrap(), "{name}");
        transcript.extend(warn["stdout"].as_str().unwrap().lines().map(str::to_string));
        let cost = &py["cost"]["value"];
        let c = ours.cost.ok().unwrap();
        assert_eq!(c.n_train_examples, cost["n_train_examples"].as_u64().unwrap(), "{name}");
        assert_eq!(c.n_epochs, cost["n_epochs"].as_u64().unwrap(), "{name}");
        assert_eq!(c.n_billing_tokens_in_dataset, cost["n_billing_tokens_in_dataset"].as_u64().unwrap(), "{name}");
        assert_eq!(c.charged_tokens, cost["charged_tokens"].as_u64().unwrap(), "{name}");
        transcript.extend(py["cost"]["stdout"].as_str().unwrap().lines().map(str::to_string));
        assert_eq!(ours.transcript, transcript, "{name}: printed output");
    } else {
        assert_crash(&format!("{name} warnings cell"), &ours.warnings, warn);
        assert!(matches!(ours.cost, Cell::Skipped { .. }), "{name}");
        assert_eq!(py["cost"]["status"], "skipped", "{name}");
    }
}

/// Writes the lines our validator calls clean, without `weight` keys (which only crash the
/// notebook and count nothing for us), for comparing our own statistics with the notebook's.
fn clean_copy(file: &Path, report: &validate::Report, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(file).unwrap();
    let bad: std::collections::HashSet<usize> =
        report.issues.iter().filter(|i| i.category != "special_token_text").map(|i| i.line).collect();
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        if bad.contains(&(i + 1)) || l.trim().is_empty() {
            continue;
        }
        let mut v: Value = serde_json::from_str(l).unwrap();
        for m in v["messages"].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("weight");
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let p = dir.join(format!("clean-{}", file.file_name().unwrap().to_string_lossy()));
    std::fs::write(&p, out).unwrap();
    p
}

fn check_file(file: &Path) -> validate::Report {
    let ours = validate::validate_file(file, &Options::default()).unwrap();
    let py = run_notebook(file);
    compare(file, &ours.notebook, &py);
    ours
}

#[test]
fn good_file_matches_the_notebook_everywhere() {
    let r = check_file(&fixtures().join("good_chat.jsonl"));
    assert!(matches!(r.notebook.cost, Cell::Ok(_)));
    assert_eq!(r.error_lines, 0);
    // Our own statistics on a clean file are the notebook's.
    let w = r.notebook.warnings.ok().unwrap();
    assert_eq!(r.tokens.total_tokens_per_example.unwrap(), w.num_total_tokens_per_example);
    assert_eq!(r.tokens.assistant_tokens_per_example.unwrap(), w.num_assistant_tokens_per_example);
    assert_eq!(r.tokens.cost, *r.notebook.cost.ok().unwrap());
}

#[test]
fn broken_files_get_the_same_counts_and_the_same_crashes() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "broken_format.jsonl",
        "broken_warnings.jsonl",
        "special_token.jsonl",
        "crash_format.jsonl",
        "crash_messages_string.jsonl",
        "broken_json.jsonl",
    ] {
        let file = fixtures().join(name);
        let r = check_file(&file);
        // Our statistics over the clean lines are what the notebook computes on those lines alone
        // (special-token text is only a warning for us and a crash for the notebook: no numbers).
        if name != "broken_json.jsonl" && name != "special_token.jsonl" {
            let clean = clean_copy(&file, &r, dir.path());
            let py = run_notebook(&clean);
            assert_eq!(py["warnings"]["status"], "ok", "{name}: clean copy {py}");
            let v = &py["warnings"]["value"];
            assert_dist(
                &format!("{name} clean totals"),
                r.tokens.total_tokens_per_example.as_ref().unwrap(),
                &v["num_total_tokens_per_example"],
            );
            assert_dist(
                &format!("{name} clean assistant"),
                r.tokens.assistant_tokens_per_example.as_ref().unwrap(),
                &v["num_assistant_tokens_per_example"],
            );
            assert_eq!(r.missing_system as u64, v["n_missing_system"].as_u64().unwrap(), "{name}");
            assert_eq!(r.tokens.cost.charged_tokens, py["cost"]["value"]["charged_tokens"].as_u64().unwrap(), "{name}");
        }
    }
}

#[test]
fn built_files_with_weights_crash_the_notebook_and_we_still_count_them() {
    // Our OpenAI output carries "weight": 1 on assistant turns; the notebook encodes every value.
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(fixtures().join("good_chat.jsonl")).unwrap();
    let mut weighted = String::new();
    for l in src.lines() {
        let mut v: Value = serde_json::from_str(l).unwrap();
        for m in v["messages"].as_array_mut().unwrap() {
            if m["role"] == "assistant" {
                m["weight"] = 1.into();
            }
        }
        weighted.push_str(&v.to_string());
        weighted.push('\n');
    }
    let file = dir.path().join("weighted.jsonl");
    std::fs::write(&file, weighted).unwrap();
    let r = check_file(&file);
    let Cell::Crashed(c) = &r.notebook.warnings else { panic!() };
    assert_eq!(c.exception, "TypeError");
    assert_eq!(r.error_lines, 0, "weights are valid for the API");
    let clean = clean_copy(&file, &r, dir.path());
    let py = run_notebook(&clean);
    assert_dist(
        "weighted totals",
        r.tokens.total_tokens_per_example.as_ref().unwrap(),
        &py["warnings"]["value"]["num_total_tokens_per_example"],
    );
}

#[test]
fn crlf_long_and_blank_line_files() {
    let dir = tempfile::tempdir().unwrap();
    // CRLF endings and an example over the 16,385-token limit ("Eat a banana!" is 4 tokens).
    let long = "Eat a banana!".repeat(4200);
    let text = format!(
        "{}\r\n{}\r\n",
        r#"{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}"#,
        serde_json::json!({"messages": [{"role": "user", "content": "feed me"}, {"role": "assistant", "content": long}]})
    );
    let file = dir.path().join("crlf_long.jsonl");
    std::fs::write(&file, text).unwrap();
    let r = check_file(&file);
    assert_eq!(r.notebook.warnings.ok().unwrap().n_too_long, 1);
    assert_eq!(r.tokens.over_limit_lines, [2]);
    // A blank line in the middle: json.loads raises on it.
    let file = dir.path().join("blank.jsonl");
    std::fs::write(&file, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n\n{}\n").unwrap();
    let r = check_file(&file);
    assert!(matches!(r.notebook.load, Cell::Crashed(_)));
}

#[test]
fn o200k_counts_match_tiktoken() {
    let (py, bpe) = python();
    let file = fixtures().join("good_chat.jsonl");
    let r = validate::validate_file(
        &file,
        &Options { encoding: validate::tokens::Encoding::O200kBase, ..Options::default() },
    )
    .unwrap();
    let code = r#"
import hashlib, json, os, shutil, sys
bpe, path = sys.argv[1], sys.argv[2]
cache = os.path.join(bpe, "cache"); os.makedirs(cache, exist_ok=True)
url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
shutil.copy(os.path.join(bpe, "o200k_base.tiktoken"), os.path.join(cache, hashlib.sha1(url.encode()).hexdigest()))
os.environ["TIKTOKEN_CACHE_DIR"] = cache
import tiktoken
enc = tiktoken.get_encoding("o200k_base")
totals = []
for line in open(path, encoding="utf-8"):
    n = 0
    for m in json.loads(line)["messages"]:
        n += 3
        for k, v in m.items():
            n += len(enc.encode(v)) + (1 if k == "name" else 0)
    totals.append(n + 3)
print(json.dumps(sorted(totals)))
"#;
    let out = Command::new(py).arg("-c").arg(code).arg(bpe).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let totals: Vec<u64> = serde_json::from_slice(&out.stdout).unwrap();
    let d = Distribution::of(&totals).unwrap();
    assert_eq!(r.tokens.total_tokens_per_example.unwrap(), d);
    assert_eq!(r.tokens.encoding, "o200k_base");
}
