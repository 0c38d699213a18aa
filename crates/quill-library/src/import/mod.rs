//! Importing the files creators actually have.
//!
//! Each format has its own module that turns a file's text into [`Item`]s (a record with its
//! line, a bad row, or a note). This module finds the files, picks the format, applies the
//! defaults, validates, detects duplicates and writes everything in **one** transaction — so a
//! bad row means nothing is written unless the caller asked for `skip_bad`.

mod csv;
mod fields;
mod files;
mod html;
mod jsonl;
mod linkedin;
mod markdown;
mod text;
mod x_archive;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use quill_store::{Db, now_rfc3339};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::dedup::DupIndex;
use crate::store::{Filter, Keep, insert, list_in};
use crate::{Error, Kind, NewEntry, Platform, Problem, Result};
use files::{collect, detect, extension, library_shaped, read_text};

/// An input format. `Auto` decides per file from its name, extension and first bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Decide per file.
    #[default]
    Auto,
    /// Markdown, optionally with YAML front matter (one or several entries per file).
    Md,
    /// Plain text: entries separated by blank lines (or by `---` lines if the file has any).
    Txt,
    /// CSV/TSV with a header row, mapped with `--map` and common header names.
    Csv,
    /// One JSON object per line (the export shape, or just `{"text": …}`), or a JSON array.
    Jsonl,
    /// An HTML page: the article text.
    Html,
    /// The X/Twitter archive's `tweets.js`.
    X,
    /// LinkedIn's data export `Shares.csv`.
    Linkedin,
}

impl Format {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Md => "md",
            Format::Txt => "txt",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Html => "html",
            Format::X => "x",
            Format::Linkedin => "linkedin",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Auto => &[],
            Format::Md => &["md", "markdown"],
            Format::Txt => &["txt", "text"],
            Format::Csv | Format::Linkedin => &["csv", "tsv"],
            Format::Jsonl => &["jsonl", "ndjson", "json"],
            Format::Html => &["html", "htm"],
            Format::X => &["js"],
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Format::Auto,
            "md" | "markdown" => Format::Md,
            "txt" | "text" => Format::Txt,
            "csv" | "tsv" => Format::Csv,
            "jsonl" | "ndjson" | "json" => Format::Jsonl,
            "html" | "htm" => Format::Html,
            "x" | "twitter" | "tweets" => Format::X,
            "linkedin" | "shares" => Format::Linkedin,
            other => {
                return Err(Error::Invalid(format!(
                    "format `{other}` is not one of: auto, md, txt, csv, jsonl, html, x, linkedin"
                )));
            }
        })
    }
}

/// How to import. `ImportOptions::default()` is: auto-detect, refuse bad input, skip duplicates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// Format for every file (`Auto`: per file).
    pub format: Format,
    /// CSV column mapping: (our field or metric name, their header), e.g. `("likes", "Reactions")`.
    pub map: Vec<(String, String)>,
    /// Kind for records that do not say.
    pub kind: Option<Kind>,
    /// Platform for records that do not say.
    pub platform: Option<Platform>,
    /// Import the good rows and report the bad ones instead of refusing the whole import.
    pub skip_bad: bool,
    /// Parse, validate and detect duplicates, but write nothing.
    pub dry_run: bool,
    /// Import duplicates anyway (they are still reported).
    pub allow_duplicates: bool,
    /// X archive: import retweets too (tagged `retweet`); by default they are not the creator's writing.
    pub include_retweets: bool,
}

impl ImportOptions {
    /// Parses `--map text=Body,likes=Reactions`. Keys must be one of our fields or a metric
    /// (`metric:NAME` for one that is not a common metric), so a typo is caught before importing.
    pub fn parse_map(s: &str) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                return Err(Error::Invalid(format!("--map entry `{pair}` should look like field=Header")));
            };
            let (k, v) = (k.trim(), v.trim());
            let known = fields::FIELD_SYNONYMS.iter().any(|(f, _)| *f == k)
                || fields::metric_for(k).is_some()
                || k.strip_prefix("metric:").is_some_and(|m| !m.trim().is_empty());
            if !known || v.is_empty() {
                let names: Vec<&str> = fields::FIELD_SYNONYMS.iter().map(|(f, _)| *f).collect();
                return Err(Error::Invalid(format!(
                    "--map `{pair}`: `{k}` is not a field; use one of {}, a metric (likes, comments, …) or metric:NAME",
                    names.join(", ")
                )));
            }
            out.push((k.to_string(), v.to_string()));
        }
        Ok(out)
    }
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Row id in the `imports` table (None for a dry run).
    pub import_id: Option<i64>,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Every file read, with its format and how many records it held.
    pub files: Vec<FileSummary>,
    /// Entries written (or that would be).
    pub added: usize,
    /// Their ids (empty for a dry run).
    pub ids: Vec<i64>,
    /// Duplicates found (skipped unless `allow_duplicates`).
    pub duplicates: Vec<Duplicate>,
    /// Bad rows skipped (only non-empty with `skip_bad`).
    pub bad: Vec<Problem>,
    /// Rows deliberately not imported, with why (retweets, empty LinkedIn reshares).
    pub notes: Vec<Problem>,
    /// Files in the named folders that were not imported, with why.
    pub skipped: Vec<Skipped>,
}

/// One file read by an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    /// The file.
    pub path: String,
    /// The format used.
    pub format: Format,
    /// Records found in it (before validation and duplicate checks).
    pub records: usize,
}

/// A file that was not imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// A record that duplicates an existing entry or an earlier record of the same import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    /// Where the duplicate is (`file:line`).
    pub source: String,
    /// First line of its text.
    pub preview: String,
    /// The existing entry it duplicates, if it is in the library already.
    pub of_id: Option<i64>,
    /// Human description of what it duplicates: `#12` or `file:line`.
    pub of: String,
    /// Same normalised text (else near-duplicate).
    pub exact: bool,
    /// Jaccard similarity of character shingles (1.0 when exact).
    pub similarity: f64,
    /// Whether it was imported anyway (`allow_duplicates`).
    pub imported: bool,
}

/// A record produced by a format module.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// 1-based line where it starts.
    pub line: usize,
    /// Kind, if the file says.
    pub kind: Option<Kind>,
    /// Platform, if the file says.
    pub platform: Option<Platform>,
    /// The content (kind/platform are filled in from the fields above and the defaults).
    pub entry: NewEntry,
    /// Ids and timestamps carried over from an export.
    pub keep: Keep,
}

/// What a format module yields for each thing it finds.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Record(Box<Record>),
    Bad(Problem),
    Note(Problem),
}

/// What format modules need to know about the file they read.
pub(crate) struct Ctx<'a> {
    /// The file as shown in messages and `source`.
    pub file: String,
    pub opts: &'a ImportOptions,
}

impl Ctx<'_> {
    pub fn bad(&self, line: impl Into<Option<usize>>, msg: impl Into<String>) -> Item {
        Item::Bad(Problem::new(&self.file, line.into(), msg))
    }
    pub fn bad_field(&self, line: impl Into<Option<usize>>, field: &str, msg: impl Into<String>) -> Item {
        Item::Bad(Problem::new(&self.file, line.into(), msg).field(field))
    }
    pub fn note(&self, line: impl Into<Option<usize>>, msg: impl Into<String>) -> Item {
        Item::Note(Problem::new(&self.file, line.into(), msg))
    }
}

fn parse(format: Format, text: &str, ctx: &Ctx<'_>) -> Vec<Item> {
    match format {
        Format::Md => markdown::parse(text, ctx),
        Format::Txt => text::parse(text, ctx),
        Format::Csv => csv::parse(text, ctx),
        Format::Jsonl => jsonl::parse(text, ctx),
        Format::Html => html::parse(text, ctx),
        Format::X => x_archive::parse(text, ctx),
        Format::Linkedin => linkedin::parse(text, ctx),
        Format::Auto => vec![ctx.bad(None, "cannot tell the format; pass --format")],
    }
}

fn default_platform(format: Format) -> Platform {
    match format {
        Format::X => Platform::X,
        Format::Linkedin => Platform::Linkedin,
        Format::Html => Platform::Blog,
        _ => Platform::Other,
    }
}

/// A validated record ready to write.
struct Ready {
    entry: NewEntry,
    keep: Keep,
    origin: String,
}

/// Parses every file under `paths` (files, or folders walked recursively) and writes the
/// entries in one transaction. `progress(done, total)` is called after each file.
///
/// Bad input without `opts.skip_bad` returns [`Error::BadInput`] and writes nothing.
pub fn import(
    db: &mut Db,
    paths: &[PathBuf],
    opts: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let mut report = ImportReport { dry_run: opts.dry_run, ..ImportReport::default() };
    let mut bad = Vec::new();
    let candidates = collect(paths, &mut report.skipped, &mut bad);
    let mut ready: Vec<Ready> = Vec::new();
    let total = candidates.len();
    for (i, c) in candidates.iter().enumerate() {
        progress(i, total);
        let text = match read_text(c) {
            Ok(t) => t,
            Err(p) => {
                bad.push(p);
                continue;
            }
        };
        let format = match (opts.format, c.explicit) {
            (Format::Auto, _) => match detect(&c.path, &text) {
                Ok(f) => f,
                Err(reason) if c.explicit => {
                    bad.push(Problem::new(&c.display, None, format!("{reason}; pass --format")));
                    continue;
                }
                Err(reason) => {
                    report.skipped.push(Skipped { path: c.display.clone(), reason });
                    continue;
                }
            },
            (f, true) => f,
            (f, false) => {
                if !f.extensions().contains(&extension(&c.path).as_str()) {
                    report.skipped.push(Skipped {
                        path: c.display.clone(),
                        reason: format!("not a .{} file", f.extensions()[0]),
                    });
                    continue;
                }
                f
            }
        };
        if !c.explicit
            && opts.format == Format::Auto
            && let Err(reason) = library_shaped(format, &text, opts)
        {
            report.skipped.push(Skipped { path: c.display.clone(), reason });
            continue;
        }
        let ctx = Ctx { file: c.display.clone(), opts };
        let items = parse(format, &text, &ctx);
        let mut records = 0;
        for item in items {
            match item {
                Item::Bad(p) => bad.push(p),
                Item::Note(p) => report.notes.push(p),
                Item::Record(r) => {
                    let r = *r;
                    records += 1;
                    let origin = format!("{}:{}", c.display, r.line);
                    let mut entry = r.entry;
                    entry.kind = r.kind.or(opts.kind).unwrap_or(Kind::Post);
                    entry.platform = r.platform.or(opts.platform).unwrap_or_else(|| default_platform(format));
                    if entry.source.is_none() {
                        entry.source = Some(origin.clone());
                    }
                    match entry.normalize() {
                        Ok(entry) => ready.push(Ready { entry, keep: r.keep, origin }),
                        Err(e) => bad.push(Problem::new(&c.display, Some(r.line), e.to_string())),
                    }
                }
            }
        }
        report.files.push(FileSummary { path: c.display.clone(), format, records });
    }
    progress(total, total);
    if !bad.is_empty() && !opts.skip_bad {
        return Err(Error::BadInput(bad));
    }
    report.bad = bad;
    if opts.dry_run {
        plan(db.conn(), ready, opts, &mut report, |_, _| Ok(None))?;
        return Ok(report);
    }
    let started = now_rfc3339();
    let path_list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    db.write(|tx| {
        tx.execute(
            "INSERT INTO imports (started_at, paths, format) VALUES (?1, ?2, ?3)",
            rusqlite::params![started, serde_json::to_string(&path_list)?, opts.format.as_str()],
        )?;
        let import_id = tx.last_insert_rowid();
        report.import_id = Some(import_id);
        plan(tx, ready, opts, &mut report, |r, conn| {
            let e = insert(conn, r.entry.clone(), &r.keep, Some(import_id), "import")?;
            Ok(Some(e.id))
        })?;
        tx.execute(
            "UPDATE imports SET added = ?2, duplicates = ?3, bad = ?4 WHERE id = ?1",
            rusqlite::params![import_id, report.added as i64, report.duplicates.len() as i64, report.bad.len() as i64],
        )?;
        Ok::<_, Error>(())
    })?;
    Ok(report)
}

/// Reads one entry written as Markdown with front matter (what [`crate::entry_to_markdown`]
/// writes and `edit --editor` opens). Ids and timestamps in it are ignored: an edit cannot
/// change them. `file` is only used in messages.
pub fn entry_from_markdown(text: &str, file: &str) -> Result<NewEntry> {
    let opts = ImportOptions::default();
    let ctx = Ctx { file: file.to_string(), opts: &opts };
    let mut records = Vec::new();
    for item in markdown::parse(&text.replace("\r\n", "\n"), &ctx) {
        match item {
            Item::Record(r) => records.push(*r),
            Item::Bad(p) => return Err(Error::BadInput(vec![p])),
            Item::Note(_) => {}
        }
    }
    if records.len() != 1 {
        return Err(Error::Invalid(format!("{file}: expected exactly 1 entry, found {}", records.len())));
    }
    let r = records.remove(0);
    let mut e = r.entry;
    e.kind = r.kind.unwrap_or(Kind::Post);
    e.platform = r.platform.unwrap_or(Platform::Other);
    e.normalize().map_err(|err| Error::Invalid(format!("{file}:{}: {err}", r.line)))
}

#[derive(Clone)]
enum DupRef {
    Existing(i64, bool),
    Batch(String),
}

/// Checks each record against the library (deleted entries included, so an import never
/// resurrects what the creator removed) and the batch, and hands the keepers to `write`.
fn plan(
    conn: &Connection,
    ready: Vec<Ready>,
    opts: &ImportOptions,
    report: &mut ImportReport,
    mut write: impl FnMut(&Ready, &Connection) -> Result<Option<i64>>,
) -> Result<()> {
    let mut index: DupIndex<DupRef> = DupIndex::new();
    for e in list_in(conn, &Filter { include_deleted: true, ..Filter::default() })? {
        index.insert(e.kind, e.platform, &e.text, DupRef::Existing(e.id, e.is_deleted()));
    }
    for r in ready {
        let dup = index.find(r.entry.kind, r.entry.platform, &r.entry.text);
        if let Some(d) = &dup {
            let (of_id, of) = match &d.of {
                DupRef::Existing(id, deleted) => {
                    (Some(*id), format!("#{id}{}", if *deleted { " (deleted)" } else { "" }))
                }
                DupRef::Batch(s) => (None, s.clone()),
            };
            report.duplicates.push(Duplicate {
                source: r.origin.clone(),
                preview: crate::entry::preview(&r.entry.text, 60),
                of_id,
                of,
                exact: d.exact,
                similarity: (d.similarity * 1000.0).round() / 1000.0,
                imported: opts.allow_duplicates,
            });
            if !opts.allow_duplicates {
                continue;
            }
        }
        if let Some(id) = write(&r, conn)? {
            report.ids.push(id);
        }
        report.added += 1;
        index.insert(r.entry.kind, r.entry.platform, &r.entry.text, DupRef::Batch(r.origin.clone()));
    }
    Ok(())
}
