//! Importing the files creators actually have.
//!
//! Each format has its own module that turns a file's text into [`Item`]s (a record with its
//! line, a bad row, or a note). This module finds the files, picks the format, applies the
//! defaults, validates, detects duplicates and writes everything in **one** transaction — so a
//! bad row means nothing is written unless the caller asked for `skip_bad`.

mod csv;
mod fields;
mod html;
mod jsonl;
mod linkedin;
mod markdown;
mod text;
mod x_archive;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use quill_store::{Db, now_rfc3339};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::dedup::DupIndex;
use crate::store::{Filter, Keep, insert, list_in};
use crate::{Error, Kind, NewEntry, Platform, Problem, Result};

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
                return Err(Error::Invalid(format!(
                    "--map entry `{pair}` should look like field=Header"
                )));
            };
            let (k, v) = (k.trim(), v.trim());
            let known = fields::FIELD_SYNONYMS.iter().any(|(f, _)| *f == k)
                || fields::metric_for(k).is_some()
                || k.strip_prefix("metric:")
                    .is_some_and(|m| !m.trim().is_empty());
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
    pub fn bad_field(
        &self,
        line: impl Into<Option<usize>>,
        field: &str,
        msg: impl Into<String>,
    ) -> Item {
        Item::Bad(Problem::new(&self.file, line.into(), msg).field(field))
    }
    pub fn note(&self, line: impl Into<Option<usize>>, msg: impl Into<String>) -> Item {
        Item::Note(Problem::new(&self.file, line.into(), msg))
    }
}

struct Candidate {
    path: PathBuf,
    display: String,
    /// Named on the command line (imported whatever its shape) rather than found in a folder.
    explicit: bool,
}

fn collect(
    paths: &[PathBuf],
    skipped: &mut Vec<Skipped>,
    bad: &mut Vec<Problem>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        let display = p.display().to_string();
        match std::fs::metadata(p) {
            Err(e) => bad.push(Problem::new(display, None, format!("cannot read: {e}"))),
            Ok(m) if m.is_dir() => walk(
                p,
                &display,
                &mut Vec::new(),
                &mut out,
                skipped,
                &mut seen,
                bad,
            ),
            Ok(_) => {
                if seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())) {
                    out.push(Candidate {
                        path: p.clone(),
                        display,
                        explicit: true,
                    });
                }
            }
        }
    }
    out
}

/// `.quillignore` patterns in force while walking: (folder they are relative to, patterns).
type Ignores = Vec<(PathBuf, Vec<String>)>;

/// Reads `dir/.quillignore`: one pattern per line, `#` comments; `name`, `*.txt`, `heldout/`
/// (folders only) or `docs/drafts` (relative to the file's folder). Lets a creator keep held-out
/// posts, drafts or negative examples next to the library without them being imported.
fn read_ignore(dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let text = std::fs::read_to_string(dir.join(".quillignore")).ok()?;
    let pats: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    Some((dir.to_path_buf(), pats))
}

fn wildcard(pat: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pat.chars().collect(), s.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn ignored(ignores: &Ignores, path: &Path, is_dir: bool) -> bool {
    ignores.iter().any(|(base, pats)| {
        let Ok(rel) = path.strip_prefix(base) else {
            return false;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        pats.iter().any(|p| {
            let (p, dir_only) = match p.strip_suffix('/') {
                Some(p) => (p, true),
                None => (p.as_str(), false),
            };
            if dir_only && !is_dir {
                return false;
            }
            let p = p.trim_start_matches('/');
            if p.contains('/') {
                wildcard(p, &rel)
            } else {
                wildcard(p, &name)
            }
        })
    })
}

fn walk(
    dir: &Path,
    display: &str,
    ignores: &mut Ignores,
    out: &mut Vec<Candidate>,
    skipped: &mut Vec<Skipped>,
    seen: &mut HashSet<PathBuf>,
    bad: &mut Vec<Problem>,
) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            bad.push(Problem::new(
                display,
                None,
                format!("cannot list folder: {e}"),
            ));
            return;
        }
    };
    let pushed = match read_ignore(dir) {
        Some(ig) => {
            ignores.push(ig);
            true
        }
        None => false,
    };
    let mut children: Vec<(String, PathBuf)> = rd
        .filter_map(|d| d.ok())
        .map(|d| (d.file_name().to_string_lossy().into_owned(), d.path()))
        .collect();
    children.sort();
    for (name, path) in children {
        if name.starts_with('.') {
            continue; // .quill, .git, .quillignore, editor swap files
        }
        let shown = format!("{}/{name}", display.trim_end_matches('/'));
        // symlink_metadata: do not follow links to folders (a loop would never end).
        let is_dir = std::fs::symlink_metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        if ignored(ignores, &path, is_dir) {
            skipped.push(Skipped {
                path: shown,
                reason: "listed in .quillignore".into(),
            });
            continue;
        }
        if is_dir {
            walk(&path, &shown, ignores, out, skipped, seen, bad);
        } else if path.is_file()
            && seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone()))
        {
            out.push(Candidate {
                path,
                display: shown,
                explicit: false,
            });
        }
    }
    if pushed {
        ignores.pop();
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The format of a file from its name, extension and first bytes; `Err(reason)` if none fits.
fn detect(path: &Path, text: &str) -> std::result::Result<Format, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let head = text.trim_start();
    let ext = extension(path);
    if ext == "js" {
        let stem = name.trim_end_matches(".js");
        let tweets = stem == "tweets"
            || stem == "tweet"
            || stem.starts_with("tweets-part")
            || stem.starts_with("tweet-part");
        if tweets || head.starts_with("window.YTD.tweets.") || head.starts_with("window.YTD.tweet.")
        {
            return Ok(Format::X);
        }
        return Err("JavaScript that is not an X archive tweets.js".into());
    }
    if ext == "csv" || ext == "tsv" {
        let first = head.lines().next().unwrap_or("").to_ascii_lowercase();
        if name == "shares.csv" || first.contains("sharecommentary") {
            return Ok(Format::Linkedin);
        }
        return Ok(Format::Csv);
    }
    for f in [Format::Md, Format::Txt, Format::Jsonl, Format::Html] {
        if f.extensions().contains(&ext.as_str()) {
            return Ok(f);
        }
    }
    Err(if ext.is_empty() {
        "no file extension to tell its format".into()
    } else {
        format!("`.{ext}` is not a format Quill imports")
    })
}

/// For files found inside a folder in auto mode: is this library material, or a document?
/// Brand documents, transcripts and notes live next to the library in real folders and belong in
/// the knowledge base, not in few-shot examples.
fn library_shaped(
    format: Format,
    text: &str,
    opts: &ImportOptions,
) -> std::result::Result<(), String> {
    match format {
        Format::X | Format::Linkedin => Ok(()),
        Format::Md => {
            if markdown::has_entry_front_matter(text) {
                Ok(())
            } else {
                Err("Markdown without `kind:` or `platform:` front matter looks like a document, not a library entry (name the file to import it anyway; brand documents belong in `quill kb`)".into())
            }
        }
        Format::Csv => csv::has_text_column(text, opts).map_err(|h| {
            format!(
                "CSV without a text column (headers: {h}); pass --map text=COLUMN and name the file"
            )
        }),
        Format::Jsonl => {
            if jsonl::looks_like_entries(text) {
                Ok(())
            } else {
                Err("JSON that is not library entries (no `text` field)".into())
            }
        }
        Format::Txt | Format::Html => Err(format!(
            "{} inside a folder is treated as a document, not library entries (name the file to import it)",
            if format == Format::Txt {
                "plain text"
            } else {
                "HTML"
            }
        )),
        Format::Auto => Err("unknown format".into()),
    }
}

fn read_text(c: &Candidate) -> std::result::Result<String, Problem> {
    let bytes = std::fs::read(&c.path)
        .map_err(|e| Problem::new(&c.display, None, format!("cannot read: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(s)
            .replace("\r\n", "\n")),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Err(Problem::new(
                &c.display,
                Some(line),
                "is not UTF-8 text; save it as UTF-8 and import again",
            ))
        }
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
    let mut report = ImportReport {
        dry_run: opts.dry_run,
        ..ImportReport::default()
    };
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
                    bad.push(Problem::new(
                        &c.display,
                        None,
                        format!("{reason}; pass --format"),
                    ));
                    continue;
                }
                Err(reason) => {
                    report.skipped.push(Skipped {
                        path: c.display.clone(),
                        reason,
                    });
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
            report.skipped.push(Skipped {
                path: c.display.clone(),
                reason,
            });
            continue;
        }
        let ctx = Ctx {
            file: c.display.clone(),
            opts,
        };
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
                    entry.platform = r
                        .platform
                        .or(opts.platform)
                        .unwrap_or_else(|| default_platform(format));
                    if entry.source.is_none() {
                        entry.source = Some(origin.clone());
                    }
                    match entry.normalize() {
                        Ok(entry) => ready.push(Ready {
                            entry,
                            keep: r.keep,
                            origin,
                        }),
                        Err(e) => bad.push(Problem::new(&c.display, Some(r.line), e.to_string())),
                    }
                }
            }
        }
        report.files.push(FileSummary {
            path: c.display.clone(),
            format,
            records,
        });
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
            rusqlite::params![
                started,
                serde_json::to_string(&path_list)?,
                opts.format.as_str()
            ],
        )?;
        let import_id = tx.last_insert_rowid();
        report.import_id = Some(import_id);
        plan(tx, ready, opts, &mut report, |r, conn| {
            let e = insert(conn, r.entry.clone(), &r.keep, Some(import_id), "import")?;
            Ok(Some(e.id))
        })?;
        tx.execute(
            "UPDATE imports SET added = ?2, duplicates = ?3, bad = ?4 WHERE id = ?1",
            rusqlite::params![
                import_id,
                report.added as i64,
                report.duplicates.len() as i64,
                report.bad.len() as i64
            ],
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
    let ctx = Ctx {
        file: file.to_string(),
        opts: &opts,
    };
    let mut records = Vec::new();
    for item in markdown::parse(&text.replace("\r\n", "\n"), &ctx) {
        match item {
            Item::Record(r) => records.push(*r),
            Item::Bad(p) => return Err(Error::BadInput(vec![p])),
            Item::Note(_) => {}
        }
    }
    if records.len() != 1 {
        return Err(Error::Invalid(format!(
            "{file}: expected exactly 1 entry, found {}",
            records.len()
        )));
    }
    let r = records.remove(0);
    let mut e = r.entry;
    e.kind = r.kind.unwrap_or(Kind::Post);
    e.platform = r.platform.unwrap_or(Platform::Other);
    e.normalize()
        .map_err(|err| Error::Invalid(format!("{file}:{}: {err}", r.line)))
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
    for e in list_in(
        conn,
        &Filter {
            include_deleted: true,
            ..Filter::default()
        },
    )? {
        index.insert(
            e.kind,
            e.platform,
            &e.text,
            DupRef::Existing(e.id, e.is_deleted()),
        );
    }
    for r in ready {
        let dup = index.find(r.entry.kind, r.entry.platform, &r.entry.text);
        if let Some(d) = &dup {
            let (of_id, of) = match &d.of {
                DupRef::Existing(id, deleted) => (
                    Some(*id),
                    format!("#{id}{}", if *deleted { " (deleted)" } else { "" }),
                ),
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
        index.insert(
            r.entry.kind,
            r.entry.platform,
            &r.entry.text,
            DupRef::Batch(r.origin.clone()),
        );
    }
    Ok(())
}
