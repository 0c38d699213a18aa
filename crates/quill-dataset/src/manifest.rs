//! `manifest.json`: what a build wrote and from what, so a dataset can be audited, reproduced and
//! validated with the labels (platform, kind, ratings) that the training formats cannot carry.
//!
//! It holds no timestamps: the same library and settings give a byte-identical manifest.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::formats::Format;

/// The manifest's schema version.
pub const MANIFEST_VERSION: u32 = 1;

/// Build settings, as used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Formats written.
    pub formats: Vec<Format>,
    /// The system prompt (None = no system turn).
    pub system: Option<String>,
    /// `--min-rating`.
    pub min_rating: Option<u8>,
    /// `none` or `repeat`.
    pub weighting: String,
    /// `--split-seed`.
    pub seed: u64,
    /// Validation share.
    pub validation: f64,
    /// Test share.
    pub test: f64,
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the output folder (`openai/train.jsonl`).
    pub path: String,
    /// Its format.
    pub format: Format,
    /// `train`, `validation` or `test`.
    pub split: String,
    /// Lines (examples, repeats included).
    pub lines: usize,
    /// SHA-256 of the file bytes.
    pub sha256: String,
    /// Lines per `platform/kind`.
    pub strata: BTreeMap<String, usize>,
    /// Lines whose example is proven (rated ≥ 4 or performance score ≥ 1).
    pub proven: usize,
    /// Lines with a rating or a performance score.
    pub with_evidence: usize,
    /// Extra copies added by `--weighting repeat`.
    pub repeats: usize,
}

/// An entry left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The library entry (None for file imports).
    pub entry_id: Option<i64>,
    /// Why it was left out.
    pub reason: String,
}

/// Counts over the whole build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Counts {
    /// Distinct examples per split (before repeats).
    pub examples: BTreeMap<String, usize>,
    /// Distinct examples per source (`post`, `rewrite`, `import`, ...).
    pub by_source: BTreeMap<String, usize>,
    /// Entries left out.
    pub skipped: usize,
}

/// The brief no-leak check, over every brief the build wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LeakCheck {
    /// Word n-gram size checked.
    pub ngram: usize,
    /// Briefs checked.
    pub briefs: usize,
    /// Brief fields dropped because they repeated a run of the post.
    pub fields_dropped: usize,
    /// Briefs that still share an n-gram with their post (always 0: such a brief is refused).
    pub leaks: usize,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Schema version.
    pub version: u32,
    /// `library`, or `file:NAME` for an imported JSONL.
    pub source: String,
    /// SHA-256 over the sorted content keys of every candidate: same fingerprint + same settings
    /// = same files.
    pub source_fingerprint: String,
    /// Settings used.
    pub settings: Settings,
    /// Counts.
    pub counts: Counts,
    /// Every file written.
    pub files: Vec<FileEntry>,
    /// The brief leak check.
    pub brief_leak_check: LeakCheck,
    /// Left-out entries.
    pub skipped: Vec<Skipped>,
    /// Sources not available in this build (accepted workflow outputs).
    pub unavailable_sources: Vec<String>,
}

impl Manifest {
    /// Finds the manifest describing `file`: `manifest.json` in its folder or the folder above,
    /// with a file entry whose SHA-256 matches. Returns the manifest and that entry.
    pub fn for_file(file: &Path, sha256: &str) -> Option<(Manifest, FileEntry)> {
        let dir = file.parent()?;
        for cand in [dir.join("manifest.json"), dir.parent()?.join("manifest.json")] {
            let Ok(text) = std::fs::read_to_string(&cand) else {
                continue;
            };
            let Ok(m) = serde_json::from_str::<Manifest>(&text) else {
                continue;
            };
            if let Some(f) = m.files.iter().find(|f| f.sha256 == sha256).cloned() {
                return Some((m, f));
            }
        }
        None
    }
}
