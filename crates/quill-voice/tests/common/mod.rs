//! Loads the sample creator and the other authors from `examples/` for the measurement tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use quill_voice::text::split_front_matter;

/// One post with the metadata the tests need.
#[derive(Debug, Clone)]
pub struct Post {
    pub path: PathBuf,
    pub date: String,
    pub rating: Option<u8>,
    pub body: String,
}

pub fn examples_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    assert!(
        p.is_dir(),
        "examples/ is missing at {}: the measurement tests read the sample creator and authors from it",
        p.display()
    );
    p
}

fn field<'a>(fm: &'a str, key: &str) -> Option<&'a str> {
    fm.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().trim_matches('"')))
}

/// Every `*.md` post in a folder, oldest first.
pub fn load_dir(dir: &Path) -> Vec<Post> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in rd {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let (fm, body) = split_front_matter(&text);
        let fm = fm.unwrap_or("");
        out.push(Post {
            date: field(fm, "date").unwrap_or("").to_string(),
            rating: field(fm, "rating").and_then(|r| r.parse().ok()),
            body: body.trim().to_string(),
            path,
        });
    }
    out.sort_by(|a, b| (a.date.as_str(), &a.path).cmp(&(b.date.as_str(), &b.path)));
    out
}

/// `(name, posts)` for every author in `examples/authors`, sorted by name.
pub fn authors() -> Vec<(String, Vec<Post>)> {
    let root = examples_dir().join("authors");
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let posts = load_dir(&root.join(&n));
            (n, posts)
        })
        .collect()
}

/// The sample creator's published library posts (LinkedIn and newsletter), oldest first.
pub fn creator_library() -> Vec<Post> {
    let lib = examples_dir().join("creator/library");
    let mut v = load_dir(&lib.join("linkedin"));
    v.extend(load_dir(&lib.join("newsletter")));
    v.sort_by(|a, b| a.date.cmp(&b.date));
    v
}

pub fn creator_heldout() -> Vec<Post> {
    load_dir(&examples_dir().join("creator/heldout"))
}

pub fn creator_generic() -> Vec<Post> {
    load_dir(&examples_dir().join("creator/generic"))
}
