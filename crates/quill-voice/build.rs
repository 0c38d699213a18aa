//! Embeds every built-in rule file under `styles/` so the `quill` binary needs no data files,
//! and so adding a rule is adding a YAML file (the docs/fixture test then insists on the rest).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("styles");
    println!("cargo:rerun-if-changed=styles");
    let mut files = Vec::new();
    if let Ok(styles) = std::fs::read_dir(&root) {
        for style in styles.flatten() {
            let sp = style.path();
            if !sp.is_dir() {
                continue;
            }
            if let Ok(rules) = std::fs::read_dir(&sp) {
                for rule in rules.flatten() {
                    let rp = rule.path();
                    if rp.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                        println!("cargo:rerun-if-changed={}", rp.display());
                        let rel =
                            rp.strip_prefix(&root).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
                        files.push((rel, rp.display().to_string()));
                    }
                }
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Built-in rule files: (path under styles/, contents).\npub(crate) const BUILTIN_RULES: &[(&str, &str)] = &[\n",
    );
    for (rel, abs) in files {
        let _ = writeln!(out, "    ({rel:?}, include_str!({abs:?})),");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("builtin_rules.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("writing {}: {e}", dest.display());
    }
}
