//! `quill library …` end to end through the built binary.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../quill-library/tests/fixtures")
}

struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        cargo_bin_cmd!("quill").arg("init").arg(dir.path()).arg("--name").arg("test").assert().success();
        Self { dir }
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = cargo_bin_cmd!("quill");
        c.env_remove("QUILL_WORKSPACE").env("NO_COLOR", "1").arg("-C").arg(self.dir.path());
        c
    }

    /// Runs `quill --json library ARGS`, asserts success and parses stdout.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").arg("library").args(args).assert().success().get_output().stdout.clone();
        serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
    }

    fn text(&self, args: &[&str]) -> String {
        let out = self.cmd().arg("library").args(args).assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    }

    fn count(&self) -> usize {
        self.json(&["list", "--deleted"]).as_array().unwrap().len()
    }
}

#[test]
fn add_from_argument_stdin_and_file() {
    let ws = Ws::new();
    let e = ws.json(&[
        "add",
        "Plainly: your calendar is your strategy.",
        "--kind",
        "hook",
        "--platform",
        "linkedin",
        "--rating",
        "5",
        "-t",
        "calendar,ops",
        "--metric",
        "likes=120",
        "--date",
        "2024-03-06",
    ]);
    assert_eq!(e["id"], 1);
    assert_eq!(e["kind"], "hook");
    assert_eq!(e["tags"], serde_json::json!(["calendar", "ops"]));
    assert_eq!(e["metrics"]["likes"], 120.0);

    let out =
        ws.cmd().args(["--json", "library", "add", "--platform", "x"]).write_stdin("From stdin.\n").assert().success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["text"], "From stdin.");

    let f = ws.dir.path().join("post.txt");
    std::fs::write(&f, "From a file.\n\nTwo paragraphs.").unwrap();
    let v = ws.json(&["add", "--file", f.to_str().unwrap()]);
    assert_eq!(v["text"], "From a file.\n\nTwo paragraphs.");

    let v = ws.json(&[
        "add",
        "--kind",
        "rewrite",
        "--before",
        "We leverage synergies.",
        "--why",
        "plain words",
        "We work together.",
    ]);
    assert_eq!(v["before"], "We leverage synergies.");
    let v = ws.json(&["add", "--kind", "phrase", "--polarity", "banned", "--replacement", "useful", "game-changer"]);
    assert_eq!(v["polarity"], "banned");

    // Bad input is refused with a message, never a panic.
    let out = ws.cmd().args(["library", "add", "x", "--rating", "9"]).assert().failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("rating 9 is not between 1 and 5"));
    let out = ws.cmd().args(["library", "add", "--kind", "phrase", "no polarity"]).assert().failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("polarity"));
    assert_eq!(ws.count(), 5);
}

#[test]
fn list_filters_top_and_show() {
    let ws = Ws::new();
    for (text, platform, likes, rating) in [
        ("x one", "x", "10", "3"),
        ("x two", "x", "30", "5"),
        ("li one", "linkedin", "200", "4"),
        ("li two", "linkedin", "100", "2"),
    ] {
        ws.json(&[
            "add",
            text,
            "-p",
            platform,
            "--metric",
            &format!("likes={likes}"),
            "--rating",
            rating,
            "-t",
            platform,
        ]);
    }
    let ids = |v: Value| v.as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(ws.json(&["list", "--platform", "x"])), [1, 2]);
    assert_eq!(ids(ws.json(&["list", "--min-rating", "4"])), [2, 3]);
    assert_eq!(ids(ws.json(&["list", "--tag", "linkedin"])), [3, 4]);
    assert_eq!(ids(ws.json(&["list", "--top", "2", "--by", "likes"])), [3, 4]);
    // Normalised by platform median: x two (30 vs median 20) = 1.5, li one (200 vs 150) = 1.33.
    assert_eq!(ids(ws.json(&["list", "--top", "2", "--by", "score"])), [2, 3]);
    let text = ws.text(&["list", "--top", "2"]);
    assert!(text.contains("SCORE") && text.contains("1.50×"), "{text}");

    let show = ws.json(&["show", "2"]);
    assert_eq!(show["entry"]["text"], "x two");
    assert_eq!(show["score"], 1.5);
    assert_eq!(show["history"][0]["action"], "add");
    let text = ws.text(&["show", "2"]);
    assert!(text.contains("1.50× the x median") && text.contains("History"), "{text}");
    let out = ws.cmd().args(["library", "show", "99"]).assert().failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no library entry with id 99"));
}

#[test]
fn edit_rate_tag_rm_restore_keep_history() {
    let ws = Ws::new();
    ws.json(&["add", "first version", "-t", "draft", "--title", "T", "--metric", "likes=3"]);
    ws.json(&[
        "edit",
        "1",
        "--text",
        "second version",
        "--notes",
        "tightened",
        "--metric",
        "likes=5",
        "--clear",
        "title",
    ]);
    ws.json(&["rate", "1", "4"]);
    let v = ws.json(&["tag", "1", "+ops", "clients", "-draft"]);
    assert_eq!(v["tags"], serde_json::json!(["clients", "ops"]));
    let v = ws.json(&["rm", "1"]);
    assert!(v[0]["deleted_at"].is_string());
    assert_eq!(ws.json(&["list"]).as_array().unwrap().len(), 0);
    let out = ws.cmd().args(["library", "edit", "1", "--text", "x"]).assert().failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("restore"));
    ws.json(&["restore", "1"]);
    let show = ws.json(&["show", "1"]);
    let e = &show["entry"];
    assert_eq!(e["text"], "second version");
    assert_eq!(e["title"], Value::Null);
    assert_eq!(e["notes"], "tightened");
    assert_eq!(e["rating"], 4);
    assert_eq!(e["metrics"]["likes"], 5.0);
    let actions: Vec<&str> =
        show["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["add", "edit", "rate", "tag", "rm", "restore"]);
    assert_eq!(show["history"][0]["snapshot"]["text"], "first version");
    let text = ws.text(&["show", "1"]);
    assert!(text.contains("edit") && text.contains("(title, text, metrics, notes)"), "{text}");
}

#[test]
fn edit_with_editor() {
    let ws = Ws::new();
    ws.json(&["add", "old words here", "--kind", "hook"]);
    let v: Value = serde_json::from_slice(
        &ws.cmd()
            .env("VISUAL", "sed -i -e s/old/new/ -e s/^rating:.*// -e s/^kind:.*/kind:\\ cta/")
            .args(["--json", "library", "edit", "1", "--editor"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(v["text"], "new words here");
    assert_eq!(v["kind"], "cta");
    let leftovers: Vec<_> = std::fs::read_dir(ws.dir.path().join(".quill"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("edit-"))
        .collect();
    assert!(leftovers.is_empty(), "the temp file is removed");
}

#[test]
fn broken_csv_fails_with_line_and_leaves_db_unchanged_then_skip_bad() {
    let ws = Ws::new();
    ws.json(&["add", "already here"]);
    let posts = fixtures().join("csv/posts.csv");
    let out = ws.cmd().args(["library", "import"]).arg(&posts).assert().failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("posts.csv:7: My Rating: rating 9 is not between 1 and 5"), "{err}");
    assert!(err.contains("nothing was imported") && err.contains("--skip-bad"), "{err}");
    assert_eq!(ws.count(), 1, "database unchanged");

    let out = ws.cmd().args(["--json", "library", "import"]).arg(&posts).assert().failure();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["bad"][0]["line"], 7);

    let out = ws.cmd().args(["library", "import", "--skip-bad"]).arg(&posts).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("Imported 5 entries") && text.contains("Bad rows (1, skipped)") && text.contains("posts.csv:7"),
        "{text}"
    );
    assert_eq!(ws.count(), 6);
}

#[test]
fn import_real_archives_with_json_report() {
    let ws = Ws::new();
    let v = ws.json(&[
        "import",
        fixtures().join("x/tweets.js").to_str().unwrap(),
        fixtures().join("linkedin/Shares.csv").to_str().unwrap(),
    ]);
    assert_eq!(v["added"], 5);
    assert_eq!(v["notes"].as_array().unwrap().len(), 2);
    let again = ws.json(&["import", fixtures().join("x/tweets.js").to_str().unwrap()]);
    assert_eq!(again["added"], 0);
    assert_eq!(again["duplicates"].as_array().unwrap().len(), 3);
    let dry = ws.json(&["import", "--dry-run", "--format", "txt", fixtures().join("misc/hooks.txt").to_str().unwrap()]);
    assert_eq!((dry["added"].as_u64(), dry["dry_run"].as_bool()), (Some(3), Some(true)));
    assert_eq!(ws.count(), 5);
}

#[test]
fn export_to_fresh_workspace_round_trips() {
    let a = Ws::new();
    a.json(&["import", "--skip-bad", fixtures().to_str().unwrap()]);
    a.json(&["rate", "2", "5"]);
    a.json(&["rm", "3"]);
    let before = a.json(&["list", "--deleted"]);
    assert!(before.as_array().unwrap().len() > 10);
    for format in ["jsonl", "csv", "md"] {
        let file = a.dir.path().join(format!("backup.{format}"));
        a.json(&["export", "--deleted", "--format", format, "-o", file.to_str().unwrap()]);
        let b = Ws::new();
        b.json(&["import", file.to_str().unwrap()]);
        assert_eq!(b.json(&["list", "--deleted"]), before, "round trip through {format}");
    }
    // Without -o the export goes to stdout, deleted entries excluded by default.
    let out = a.text(&["export"]);
    assert_eq!(out.lines().count(), before.as_array().unwrap().len() - 1);
}

#[test]
fn stats_json_and_text() {
    let ws = Ws::new();
    ws.json(&[
        "import",
        fixtures().join("x/tweets.js").to_str().unwrap(),
        fixtures().join("csv/posts.csv").to_str().unwrap(),
        "--skip-bad",
    ]);
    let s = ws.json(&["stats", "--top", "2"]);
    assert_eq!(s["total"], 8);
    assert_eq!(s["by_kind"]["post"], 8);
    assert_eq!(s["by_platform"]["x"], 4);
    assert_eq!(s["by_platform"]["linkedin"], 4);
    let x = s["performance"].as_array().unwrap().iter().find(|p| p["platform"] == "x").unwrap();
    assert_eq!(x["top"].as_array().unwrap().len(), 2);
    assert!(x["top"][0]["score"].as_f64().unwrap() > 1.0);
    let text = ws.text(&["stats"]);
    assert!(text.contains("By kind") && text.contains("Top performers") && text.contains("median"), "{text}");
}
