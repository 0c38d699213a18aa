//! Reading the drafts that `quill lint` and `quill voice` check: files, folders (their Markdown
//! and text files, recursively, in name order) and `-` for stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// `(label, text)` for every input, in the order given; the label is the path as shown to the
/// user, or `<stdin>`.
pub fn read_inputs(files: &[String]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for f in files {
        if f == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("reading stdin")?;
            out.push(("<stdin>".to_string(), s));
            continue;
        }
        let p = PathBuf::from(f);
        let mut paths = if p.is_dir() { walk(&p)? } else { vec![p] };
        paths.sort();
        for q in paths {
            let text = std::fs::read_to_string(&q).with_context(|| format!("reading {}", q.display()))?;
            out.push((q.display().to_string(), text));
        }
    }
    Ok(out)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else if p.extension().is_some_and(|e| e == "md" || e == "txt" || e == "markdown") {
            out.push(p);
        }
    }
    Ok(out)
}
