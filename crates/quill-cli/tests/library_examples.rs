//! The sample creator in `examples/creator` imports cleanly, and pointing the importer at the
//! whole folder takes the library and skips the documents instead of failing.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn creator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/creator")
}

fn json(ws: &Path, args: &[&str]) -> Value {
    let out = cargo_bin_cmd!("quill")
        .env_remove("QUILL_WORKSPACE")
        .arg("-C")
        .arg(ws)
        .arg("--json")
        .arg("library")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn sample_creator_library_imports_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("quill").arg("init").arg(dir.path()).assert().success();
    let lib = creator().join("library");
    let r = json(dir.path(), &["import", lib.to_str().unwrap()]);
    assert_eq!(r["bad"].as_array().unwrap().len(), 0, "{r:#}");
    assert_eq!(r["duplicates"].as_array().unwrap().len(), 0, "{:#}", r["duplicates"]);
    assert_eq!(r["skipped"].as_array().unwrap().len(), 0, "{:#}", r["skipped"]);
    let s = json(dir.path(), &["stats"]);
    let k = &s["by_kind"];
    assert!(k["post"].as_u64().unwrap() >= 80, "{s:#}");
    assert!(k["hook"].as_u64().unwrap() >= 20, "{s:#}");
    assert!(k["cta"].as_u64().unwrap() >= 10, "{s:#}");
    assert!(k["rewrite"].as_u64().unwrap() >= 12, "{s:#}");
    assert!(s["phrases"]["approved"].as_u64().unwrap() > 0 && s["phrases"]["banned"].as_u64().unwrap() > 0);
    for p in ["linkedin", "x", "newsletter"] {
        assert!(s["by_platform"][p].as_u64().unwrap() > 0, "{p}: {s:#}");
        assert!(s["performance"].as_array().unwrap().iter().any(|x| x["platform"] == p), "{p} has top performers");
    }
    // Importing again doubles nothing.
    let again = json(dir.path(), &["import", lib.to_str().unwrap()]);
    assert_eq!(again["added"], 0);
}

#[test]
fn whole_creator_folder_skips_documents() {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("quill").arg("init").arg(dir.path()).assert().success();
    let r = json(dir.path(), &["import", "--dry-run", creator().to_str().unwrap()]);
    assert_eq!(r["bad"].as_array().unwrap().len(), 0, "{r:#}");
    let skipped: Vec<&str> = r["skipped"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
    for doc in ["docs/about.md", "docs/offer.html", "inputs/podcast-transcript.txt"] {
        assert!(skipped.iter().any(|p| p.ends_with(doc)), "{doc} not skipped: {skipped:?}");
    }
    assert!(r["added"].as_u64().unwrap() >= 150);
}
