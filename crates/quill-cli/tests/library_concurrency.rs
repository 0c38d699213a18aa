//! Two `quill` processes writing to one workspace at the same time lose nothing.

use std::process::{Command, Stdio};

use assert_cmd::cargo::{cargo_bin, cargo_bin_cmd};
use serde_json::Value;

#[test]
fn two_processes_importing_and_adding_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("quill").arg("init").arg(dir.path()).assert().success();
    // Each process imports its own file of 150 distinct posts, then adds 10 more one by one.
    let mut files = Vec::new();
    for w in 0..2 {
        let f = dir.path().join(format!("writer{w}.jsonl"));
        let lines: Vec<String> = (0..150)
            .map(|i| serde_json::json!({"text": format!("writer {w} post {i}: {}", "distinct words ".repeat(i % 7 + 1) + &(w * 1000 + i).to_string()), "platform": "x", "likes": i}).to_string())
            .collect();
        std::fs::write(&f, lines.join("\n")).unwrap();
        files.push(f);
    }
    // Both start on the same signal so their writes really overlap.
    let script = |w: usize| {
        format!(
            "while [ ! -f \"$W/go\" ]; do sleep 0.01; done; \
             \"$Q\" -C \"$W\" library import --allow-duplicates \"$F\" >/dev/null || exit 1; \
             for i in $(seq 1 10); do \"$Q\" -C \"$W\" library add \"writer {w} added $i\" -p linkedin >/dev/null || exit 1; done"
        )
    };
    let children: Vec<_> = (0..2)
        .map(|w| {
            Command::new("sh")
                .arg("-c")
                .arg(script(w))
                .env("Q", cargo_bin!("quill"))
                .env("W", dir.path())
                .env("F", &files[w])
                .env_remove("QUILL_WORKSPACE")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::fs::write(dir.path().join("go"), "").unwrap();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = cargo_bin_cmd!("quill").arg("-C").arg(dir.path()).args(["--json", "library", "list"]).assert().success();
    let list: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let entries = list.as_array().unwrap();
    assert_eq!(entries.len(), 2 * (150 + 10));
    for w in 0..2 {
        for i in 1..=10 {
            let t = format!("writer {w} added {i}");
            assert!(entries.iter().any(|e| e["text"] == t.as_str()), "lost {t}");
        }
    }
    let ids: std::collections::BTreeSet<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), entries.len(), "ids are unique");
}
