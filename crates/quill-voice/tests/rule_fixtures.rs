//! Ruff-style rule tests: every built-in rule has a code, complete docs and its own fixture file
//! (`tests/fixtures/<Style>.<Rule>.md`) whose expected diagnostics must match exactly.
//!
//! A fixture holds an input block and an expected block (one diagnostic per line, rendered as
//! `line:col-end_line:end_col level code message => suggestion`). Run with `QUILL_BLESS=1` to
//! rewrite the expected blocks after a deliberate change, then review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quill_voice::lint::{Diagnostic, LintOptions, Linter, Parsed, builtin_rule_files, parse_rule, rule_name_from_path};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `(rule name, input, platform, expected lines)` parsed from a fixture file.
struct Fixture {
    input: String,
    platform: Option<String>,
    expected: Vec<String>,
    text: String,
}

fn parse_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let platform = text.lines().find_map(|l| {
        l.trim().strip_prefix("<!-- platform:").and_then(|r| r.strip_suffix("-->")).map(|p| p.trim().to_string())
    });
    let mut blocks: Vec<String> = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', '\r']);
        match &mut cur {
            None if t.starts_with("````") => cur = Some(String::new()),
            None => {}
            Some(_) if t == "````" => blocks.push(cur.take().unwrap_or_default()),
            Some(b) => b.push_str(line),
        }
    }
    assert!(blocks.len() == 2, "{}: needs an input block and an expected block fenced with ````", path.display());
    let input = blocks[0].strip_suffix('\n').unwrap_or(&blocks[0]).to_string();
    let expected = blocks[1].lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
    Fixture { input, platform, expected, text }
}

fn render(d: &Diagnostic) -> String {
    let mut s = format!(
        "{}:{}-{}:{} {} {} {}",
        d.line,
        d.column,
        d.end_line,
        d.end_column,
        d.level,
        d.code.as_deref().unwrap_or(&d.rule),
        d.message
    );
    if let Some(sug) = &d.suggestion {
        s.push_str(&format!(" => {sug}"));
    }
    s
}

fn bless(path: &Path, fx: &Fixture, got: &[String]) {
    let marker = "Expected:";
    let head = match fx.text.find(marker) {
        Some(i) => &fx.text[..i],
        None => fx.text.as_str(),
    };
    let new = format!("{head}{marker}\n\n````\n{}\n````\n", got.join("\n"));
    std::fs::write(path, new).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

#[test]
fn every_builtin_rule_has_code_docs_and_fixture() {
    let mut codes = BTreeMap::new();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for (path, yaml) in builtin_rule_files() {
        let name = rule_name_from_path(Path::new(path));
        names.insert(name.clone());
        let rule = match parse_rule(&name, path, yaml) {
            Ok(Parsed::Rule(r)) => r,
            Ok(Parsed::Unsupported { extends, .. }) => {
                problems.push(format!("{path}: built-in rule uses unsupported extends {extends}"));
                continue;
            }
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        match &rule.meta.code {
            None => problems.push(format!("{path}: missing `code`")),
            Some(c) => {
                if let Some(prev) = codes.insert(c.clone(), name.clone()) {
                    problems.push(format!("{path}: code {c} already used by {prev}"));
                }
            }
        }
        match &rule.meta.docs {
            Some(d) if d.is_complete() => {}
            _ => problems.push(format!("{path}: `docs` needs what, why, example and instead")),
        }
        let fixture = fixtures_dir().join(format!("{name}.md"));
        if !fixture.is_file() {
            problems.push(format!("{path}: no fixture at {}", fixture.display()));
        }
    }
    // Every fixture belongs to a rule (built-in or the library's generated ones).
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "md") {
            let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if !names.contains(&stem) && !stem.starts_with("Library.") {
                problems.push(format!("{}: fixture for unknown rule {stem}", p.display()));
            }
        }
    }
    assert!(problems.is_empty(), "rule docs/fixture problems:\n{}", problems.join("\n"));
}

#[test]
fn builtin_rule_fixtures_match() {
    let bless_mode = std::env::var_os("QUILL_BLESS").is_some();
    let mut failures = Vec::new();
    for (path, yaml) in builtin_rule_files() {
        let name = rule_name_from_path(Path::new(path));
        let fpath = fixtures_dir().join(format!("{name}.md"));
        if !fpath.is_file() {
            continue; // reported by the docs test
        }
        let fx = parse_fixture(&fpath);
        let mut linter = Linter::empty();
        linter.add_yaml(&name, path, yaml).unwrap_or_else(|e| panic!("{e}"));
        let opts = LintOptions { platform: fx.platform.clone(), ..Default::default() };
        let got: Vec<String> = linter.lint(&fx.input, &opts).iter().map(render).collect();
        if got.is_empty() {
            failures.push(format!("{name}: the fixture triggers nothing; it must show at least one diagnostic"));
        }
        if bless_mode {
            bless(&fpath, &fx, &got);
        } else if got != fx.expected {
            failures.push(format!(
                "{name}:\n  expected:\n    {}\n  got:\n    {}",
                fx.expected.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn library_rule_fixtures_match() {
    use quill_voice::lint::BannedPhrase;
    let bless_mode = std::env::var_os("QUILL_BLESS").is_some();
    let phrases = vec![
        BannedPhrase { phrase: "hop on a call".into(), replacement: None },
        BannedPhrase { phrase: "thought leader".into(), replacement: None },
        BannedPhrase { phrase: "let's be honest".into(), replacement: None },
        BannedPhrase { phrase: "reach out".into(), replacement: Some("email".into()) },
        BannedPhrase { phrase: "solopreneur".into(), replacement: Some("founder|freelancer".into()) },
    ];
    for name in ["Library.Banned", "Library.Replace"] {
        let fpath = fixtures_dir().join(format!("{name}.md"));
        let fx = parse_fixture(&fpath);
        let mut linter = Linter::empty();
        linter.add_banned_phrases(&phrases).expect("banned phrases compile");
        let got: Vec<String> =
            linter.lint(&fx.input, &LintOptions::default()).iter().filter(|d| d.rule == name).map(render).collect();
        assert!(!got.is_empty(), "{name}: fixture triggers nothing");
        if bless_mode {
            bless(&fpath, &fx, &got);
        } else {
            assert_eq!(got, fx.expected, "{name}");
        }
    }
}
