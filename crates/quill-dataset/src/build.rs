//! `quill dataset build`: library (or an existing JSONL) → train / validation / test files in
//! every requested format, plus `manifest.json`.
//!
//! Sources are behind one function each, so accepted workflow outputs can join as a third
//! source once workflows exist ([`Source::Workflows`] says so today instead of pretending).
//!
//! Same seed + same library (+ same stored test split) ⇒ byte-identical files: candidates are
//! ordered by content, the split and the file order by `SHA-256(seed, key)`, JSON is written with
//! fixed key order, and nothing time-dependent goes into a file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use quill_library::{Entry, Filter, Kind};
use quill_store::Workspace;
use serde::Deserialize;

use crate::brief;
use crate::error::{Error, LineProblem, Result};
use crate::example::{Example, Origin};
use crate::formats::{self, Format};
use crate::manifest::{self, FileEntry, Manifest, Skipped};
use crate::split::{self, Split};
use crate::text::sha256_hex;

/// The instruction of rewrite examples.
pub const REWRITE_INSTRUCTION: &str = "Rewrite this in my voice.";

/// Where examples come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The workspace library: rewrites (before → after) and posts (derived brief → post).
    Library,
    /// An existing JSONL file in any supported format.
    File(PathBuf),
    /// Accepted workflow outputs (input → output). Not available until workflows exist.
    Workflows,
}

/// How rating and performance weigh examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Every example once.
    None,
    /// Best work repeated in the training split: +1 copy for rating 5, +1 for a performance score
    /// ≥ 1.5 (half again a typical post on its platform); at most 3 copies.
    Repeat,
}

impl Weighting {
    fn as_str(self) -> &'static str {
        match self {
            Weighting::None => "none",
            Weighting::Repeat => "repeat",
        }
    }
}

/// `[dataset]` in quill.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetSettings {
    /// System prompt of every example (default: a short "you are NAME" line).
    pub system: Option<String>,
    /// Who the creator writes for; goes into every derived brief.
    pub audience: Option<String>,
}

/// Options of a build.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where examples come from.
    pub source: Source,
    /// Formats to write.
    pub formats: Vec<Format>,
    /// System prompt: `None` = the settings' or the default; `Some("")` = no system turn.
    pub system: Option<String>,
    /// Only entries rated at least this (unrated excluded; rewrites are kept unless rated lower).
    pub min_rating: Option<u8>,
    /// Weighting.
    pub weighting: Weighting,
    /// Split seed.
    pub seed: u64,
    /// Validation share.
    pub validation: f64,
    /// Test share.
    pub test: f64,
    /// Output folder.
    pub out: PathBuf,
    /// Forget stored splits and assign again.
    pub resplit: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            source: Source::Library,
            formats: vec![Format::Openai],
            system: None,
            min_rating: None,
            weighting: Weighting::None,
            seed: 42,
            validation: 0.1,
            test: 0.1,
            out: PathBuf::from("dataset"),
            resplit: false,
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The output folder.
    pub out: PathBuf,
    /// The manifest written.
    pub manifest: Manifest,
}

/// A candidate example with its copy count.
struct Candidate {
    example: Example,
    copies: u32,
}

fn default_system(ws: Option<&Workspace>) -> String {
    let name = ws.map(|w| w.config().workspace.name.clone()).filter(|n| !n.trim().is_empty());
    match name {
        Some(n) => format!("You are {n}'s writing assistant. Write in {n}'s own voice."),
        None => "You are the creator's writing assistant. Write in the creator's own voice.".into(),
    }
}

/// Reads `[dataset]` from the workspace settings.
pub fn settings(ws: &Workspace) -> Result<DatasetSettings> {
    Ok(ws.config().section("dataset", &ws.config_path())?)
}

fn entry_key(e: &Entry) -> String {
    let mut s = format!("{}\0{}\0", e.kind, quill_library::content_hash(&e.text));
    if let Some(b) = &e.before {
        s.push_str(&quill_library::content_hash(b));
    }
    sha256_hex(s.as_bytes())
}

fn is_true(e: &Entry, key: &str) -> bool {
    e.extra.get(key).and_then(serde_json::Value::as_bool).unwrap_or(false)
}

/// Library entries → candidates (and skipped entries with reasons).
fn from_library(
    db: &quill_store::Db,
    system: Option<&str>,
    opts: &Options,
    audience: Option<String>,
    leak: &mut manifest::LeakCheck,
) -> Result<(Vec<Candidate>, Vec<Skipped>)> {
    let mut entries = quill_library::list(db, &Filter::default())?;
    entries.retain(|e| e.kind != Kind::Phrase);
    // Content order, not id order: the same library imported elsewhere gives the same build.
    entries.sort_by_cached_key(entry_key);
    let scores = quill_library::performance_scores(&entries);
    let ctx =
        brief::Context::new(entries.iter().filter(|e| e.kind != Kind::Rewrite).map(|e| e.text.as_str()), audience);
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (e, score) in entries.iter().zip(scores) {
        let skip = |reason: String| Skipped { entry_id: Some(e.id), reason };
        if e.text.trim().is_empty() {
            skipped.push(skip("empty text".into()));
            continue;
        }
        if is_true(e, "is_retweet") {
            skipped.push(skip("a retweet: someone else's words".into()));
            continue;
        }
        if is_true(e, "is_reply") {
            skipped.push(skip("a reply: it needs the conversation it answers".into()));
            continue;
        }
        if let Some(min) = opts.min_rating {
            match (e.kind, e.rating) {
                (_, Some(r)) if r < min => {
                    skipped.push(skip(format!("rated {r}, below --min-rating {min}")));
                    continue;
                }
                (Kind::Rewrite, None) => {}
                (_, None) => {
                    skipped.push(skip(format!("unrated (--min-rating {min} keeps rated entries only)")));
                    continue;
                }
                _ => {}
            }
        }
        let origin = Origin {
            kind: e.kind.as_str().to_string(),
            platform: e.platform.as_str().to_string(),
            entry_id: Some(e.id),
            line: None,
            key: entry_key(e),
            rating: e.rating,
            score,
        };
        let example = if e.kind == Kind::Rewrite {
            let Some(before) = e.before.as_deref().filter(|b| !b.trim().is_empty()) else {
                skipped.push(skip("a rewrite without its before text".into()));
                continue;
            };
            Example::single_turn(system, REWRITE_INSTRUCTION, before, &e.text, origin)
        } else {
            leak.briefs += 1;
            match brief::derive(e, &ctx, system) {
                Ok(d) => {
                    leak.fields_dropped += d.dropped;
                    Example::single_turn(system, &d.brief.instruction, &d.brief.render(), &e.text, origin)
                }
                Err(why) => {
                    skipped.push(skip(format!("no leak-free brief: {why}")));
                    continue;
                }
            }
        };
        let copies = match opts.weighting {
            Weighting::None => 1,
            Weighting::Repeat => {
                (1 + u32::from(e.rating == Some(5)) + u32::from(score.is_some_and(|s| s >= 1.5))).min(3)
            }
        };
        out.push(Candidate { example, copies });
    }
    Ok((out, skipped))
}

fn from_file(path: &Path, system: Option<&str>, explicit_system: bool) -> Result<Vec<Candidate>> {
    let parsed = formats::read_file(path)?;
    Ok(parsed
        .into_iter()
        .map(|(_, mut ex)| {
            // An explicit --system replaces the file's system turn; otherwise the file's own stands.
            if explicit_system {
                ex.messages.retain(|m| m.role != "system");
                if let Some(s) = system {
                    ex.messages.insert(0, crate::example::Message::new("system", s));
                }
            }
            Candidate { example: ex, copies: 1 }
        })
        .collect())
}

fn check_share(name: &str, v: f64) -> Result<()> {
    if !(0.0..0.5).contains(&v) {
        return Err(Error::Invalid(format!("--{name} {v} is out of range; use a share between 0 and 0.5 (e.g. 0.1)")));
    }
    Ok(())
}

/// Builds the dataset. `ws` is needed for the library (and to store the test split); a file
/// source works without one.
pub fn build(ws: Option<&Workspace>, opts: &Options) -> Result<Report> {
    check_share("val", opts.validation)?;
    check_share("test", opts.test)?;
    if opts.validation + opts.test >= 0.6 {
        return Err(Error::Invalid(
            "--val plus --test leaves too little to train on; keep them under 0.6 together".into(),
        ));
    }
    if opts.formats.is_empty() {
        return Err(Error::Invalid("no format chosen".into()));
    }
    let cfg_settings = match ws {
        Some(w) => settings(w)?,
        None => DatasetSettings::default(),
    };
    let explicit_system = opts.system.is_some();
    let system_text = match &opts.system {
        Some(s) => s.clone(),
        None => cfg_settings.system.clone().unwrap_or_else(|| default_system(ws)),
    };
    let system = Some(system_text.as_str()).filter(|s| !s.trim().is_empty());
    let mut leak = manifest::LeakCheck { ngram: brief::LEAK_NGRAM, ..Default::default() };
    let mut db = ws.map(Workspace::open_db).transpose()?;
    let (candidates, skipped, source_name) = match &opts.source {
        Source::Workflows => {
            return Err(Error::Unavailable(
                "accepted workflow outputs are not available yet: workflows do not exist in this build; build from the library (--from library) or a file"
                    .into(),
            ));
        }
        Source::Library => {
            let db = db.as_ref().ok_or_else(|| {
                Error::Invalid("--from library needs a workspace (run inside one or pass -C DIR)".into())
            })?;
            let (c, s) = from_library(db, system, opts, cfg_settings.audience.clone(), &mut leak)?;
            (c, s, "library".to_string())
        }
        Source::File(p) => {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (from_file(p, system, explicit_system)?, Vec::new(), format!("file:{name}"))
        }
    };
    if candidates.is_empty() {
        return Err(Error::Invalid(
            "no examples to write: the source is empty or every entry was skipped (see --min-rating)".into(),
        ));
    }

    // Split, with the stored test split kept.
    let sticky: HashSet<i64> = match (&db, &opts.source, opts.resplit) {
        (Some(d), Source::Library, false) => split::stored_test_ids(d)?,
        _ => HashSet::new(),
    };
    let stratum = |o: &Origin| format!("{}/{}", o.platform, o.kind);
    let items: Vec<split::Item> = candidates
        .iter()
        .map(|c| split::Item {
            stratum: stratum(&c.example.origin),
            key: c.example.origin.key.clone(),
            sticky_test: c.example.origin.entry_id.is_some_and(|id| sticky.contains(&id)),
        })
        .collect();
    let cfg = split::Config { seed: opts.seed, validation: opts.validation, test: opts.test };
    let splits = split::assign(&items, cfg);

    // Lines per split: (order key, candidate, copy), repeats in train only.
    let mut per_split: BTreeMap<Split, Vec<([u8; 32], usize)>> = BTreeMap::new();
    for (i, (c, s)) in candidates.iter().zip(&splits).enumerate() {
        let copies = if *s == Split::Train { c.copies } else { 1 };
        for copy in 0..copies {
            per_split.entry(*s).or_default().push((split::order_key(opts.seed, &c.example.origin.key, copy), i));
        }
    }
    for v in per_split.values_mut() {
        v.sort();
    }

    // Render and write.
    let mut files = Vec::new();
    for &format in &opts.formats {
        for s in Split::ALL {
            let rows = per_split.get(&s).map(Vec::as_slice).unwrap_or(&[]);
            let mut buf = String::new();
            let mut problems = Vec::new();
            let mut strata: BTreeMap<String, usize> = BTreeMap::new();
            let (mut proven, mut evidence) = (0, 0);
            let mut seen: HashSet<usize> = HashSet::new();
            for (_, i) in rows {
                let ex = &candidates[*i].example;
                match formats::render(ex, format) {
                    Ok(line) => {
                        buf.push_str(&line);
                        buf.push('\n');
                    }
                    Err(m) => problems.push(LineProblem { line: ex.origin.line.unwrap_or(0), message: m }),
                }
                *strata.entry(stratum(&ex.origin)).or_insert(0) += 1;
                let o = &ex.origin;
                if o.rating.is_some() || o.score.is_some() {
                    evidence += 1;
                    if o.rating.is_some_and(|r| r >= 4) || o.score.is_some_and(|x| x >= 1.0) {
                        proven += 1;
                    }
                }
                seen.insert(*i);
            }
            if !problems.is_empty() {
                let path = match &opts.source {
                    Source::File(p) => p.clone(),
                    _ => opts.out.clone(),
                };
                return Err(Error::BadLines { path, problems });
            }
            let rel = format!("{}/{}.jsonl", format.as_str(), s.as_str());
            let path = opts.out.join(&rel);
            quill_store::atomic_write(&path, buf.as_bytes())?;
            files.push(FileEntry {
                path: rel,
                format,
                split: s.as_str().into(),
                lines: rows.len(),
                sha256: sha256_hex(buf.as_bytes()),
                strata,
                proven,
                with_evidence: evidence,
                repeats: rows.len() - seen.len(),
            });
        }
    }

    // Store the library splits.
    if let (Some(d), Source::Library) = (db.as_mut(), &opts.source) {
        let map: HashMap<i64, Split> =
            candidates.iter().zip(&splits).filter_map(|(c, s)| c.example.origin.entry_id.map(|id| (id, *s))).collect();
        split::store(d, &map, opts.resplit)?;
    }

    let mut keys: Vec<&str> = candidates.iter().map(|c| c.example.origin.key.as_str()).collect();
    keys.sort_unstable();
    let mut counts = manifest::Counts { skipped: skipped.len(), ..Default::default() };
    for (c, s) in candidates.iter().zip(&splits) {
        *counts.examples.entry(s.as_str().into()).or_insert(0) += 1;
        *counts.by_source.entry(c.example.origin.kind.clone()).or_insert(0) += 1;
    }
    let manifest = Manifest {
        version: manifest::MANIFEST_VERSION,
        source: source_name,
        source_fingerprint: sha256_hex(keys.join("\n").as_bytes()),
        settings: manifest::Settings {
            formats: opts.formats.clone(),
            // A file keeps its own system turns unless --system replaced them.
            system: if matches!(opts.source, Source::File(_)) && !explicit_system {
                None
            } else {
                system.map(str::to_string)
            },
            min_rating: opts.min_rating,
            weighting: opts.weighting.as_str().into(),
            seed: opts.seed,
            validation: opts.validation,
            test: opts.test,
        },
        counts,
        files,
        brief_leak_check: leak,
        skipped,
        unavailable_sources: vec!["workflows: accepted workflow outputs (no workflows in this build)".into()],
    };
    let json = serde_json::to_string_pretty(&manifest)?;
    quill_store::atomic_write(&opts.out.join("manifest.json"), format!("{json}\n").as_bytes())?;
    Ok(Report { out: opts.out.clone(), manifest })
}
