//! `quill library …` — the voice & example library: add, import, list, show, edit, rate, tag,
//! rm, restore, export, stats. All the work is in `quill-library`; this file parses flags and
//! prints results (text for people, `--json` for scripts).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use console::style;
use quill_library::{Entry, ExportFormat, Filter, Format, ImportOptions, Kind, NewEntry, Platform, Polarity, Sort};
use quill_store::Db;

use crate::Globals;

/// `println!` that treats a closed stdout (`quill library list | head`) as "done" instead of
/// panicking, as `println!` does on a broken pipe.
macro_rules! out {
    () => { out!("") };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

const EXAMPLES: &str = "Examples:
  quill library import examples/creator/library
  quill library import posts.csv --map text=Body,likes=Reactions
  quill library add \"Ship it ugly.\" --kind hook --platform x --rating 5
  quill library list --platform x --top 5 --by likes
  quill library show 12
  quill library edit 12 --title \"Calendars\"    # or --editor
  quill library export --format jsonl -o backup.jsonl
  quill library stats";

/// Subcommands of `quill library`.
#[derive(Debug, clap::Subcommand)]
#[command(after_long_help = EXAMPLES)]
pub enum Cmd {
    /// Add one entry from a text argument, --file, or stdin.
    #[command(
        after_long_help = "Examples:\n  quill library add \"Ship it ugly.\" --kind hook --platform x\n  pbpaste | quill library add --platform linkedin --metric likes=120 --metric comments=14\n  quill library add --kind rewrite --before \"We leverage synergies.\" \"We work together.\" --why \"plain words\"\n  quill library add --kind phrase --polarity banned \"game-changer\" --replacement \"useful\""
    )]
    Add(AddArgs),
    /// Import files or folders (Markdown, text, CSV, JSONL, HTML, X archive, LinkedIn export).
    #[command(
        after_long_help = "Examples:\n  quill library import examples/creator/library\n  quill library import twitter-archive/data/tweets.js\n  quill library import Shares.csv --dry-run\n  quill library import posts.csv --map text=Body,likes=Reactions,date=Published --skip-bad\n  quill library import hooks.txt --kind hook --platform linkedin"
    )]
    Import(ImportArgs),
    /// List entries, filtered and ranked.
    #[command(
        after_long_help = "Examples:\n  quill library list --kind hook --min-rating 4\n  quill library list --platform linkedin --top 5 --by score\n  quill library list --tag onboarding --json\n  quill library list --deleted"
    )]
    List(ListArgs),
    /// Show one entry in full, with its performance score and history.
    #[command(after_long_help = "Examples:\n  quill library show 12\n  quill library show 12 --json")]
    Show(IdArgs),
    /// Change an entry's fields (history keeps the old version).
    #[command(
        after_long_help = "Examples:\n  quill library edit 12 --text \"New text\" --rating 5\n  quill library edit 12 --metric likes=210 --unset-metric clicks\n  quill library edit 12 --clear title\n  quill library edit 12 --editor        # opens $EDITOR on the entry as Markdown"
    )]
    Edit(EditArgs),
    /// Rate an entry 1-5 (5 = best work); 0 clears the rating.
    #[command(after_long_help = "Examples:\n  quill library rate 12 5\n  quill library rate 12 0   # clear")]
    Rate(RateArgs),
    /// Add (+tag or tag) and remove (-tag) tags.
    #[command(after_long_help = "Examples:\n  quill library tag 12 +onboarding +clients -draft")]
    Tag(TagArgs),
    /// Soft-delete entries (`restore` undoes it).
    #[command(after_long_help = "Examples:\n  quill library rm 12 13")]
    Rm(IdsArgs),
    /// Undo `rm`.
    #[command(after_long_help = "Examples:\n  quill library restore 12")]
    Restore(IdsArgs),
    /// Export entries as JSONL (every field), CSV or Markdown.
    #[command(
        after_long_help = "Examples:\n  quill library export -o backup.jsonl\n  quill library export --format csv --platform linkedin -o linkedin.csv\n  quill library export --format md --kind hook"
    )]
    Export(ExportArgs),
    /// Counts by kind and platform, ratings, and top performers per platform.
    #[command(after_long_help = "Examples:\n  quill library stats\n  quill library stats --top 5 --json")]
    Stats(StatsArgs),
}

fn parse_kind(s: &str) -> std::result::Result<Kind, String> {
    s.parse().map_err(|e: quill_library::Error| e.to_string())
}
fn parse_platform(s: &str) -> std::result::Result<Platform, String> {
    s.parse().map_err(|e: quill_library::Error| e.to_string())
}
fn parse_polarity(s: &str) -> std::result::Result<Polarity, String> {
    s.parse().map_err(|e: quill_library::Error| e.to_string())
}
fn parse_format(s: &str) -> std::result::Result<Format, String> {
    s.parse().map_err(|e: quill_library::Error| e.to_string())
}
fn parse_export_format(s: &str) -> std::result::Result<ExportFormat, String> {
    s.parse().map_err(|e: quill_library::Error| e.to_string())
}
fn parse_rating(s: &str) -> std::result::Result<u8, String> {
    match s.trim().parse::<u8>() {
        Ok(n) if (1..=5).contains(&n) => Ok(n),
        _ => Err(format!("rating {s} is not between 1 and 5")),
    }
}
fn parse_metric(s: &str) -> std::result::Result<(String, f64), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("`{s}` should look like name=value, e.g. likes=120"))?;
    let v: f64 = v.trim().replace(',', "").parse().map_err(|_| format!("metric {k}: `{v}` is not a number"))?;
    Ok((k.trim().to_string(), v))
}

/// Fields shared by `add` and `edit`.
#[derive(Debug, clap::Args)]
pub struct FieldArgs {
    /// Title (newsletter subject, article title).
    #[arg(long)]
    title: Option<String>,
    /// Publication date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long)]
    date: Option<String>,
    /// Metric, repeatable: --metric likes=120 --metric comments=14.
    #[arg(long = "metric", value_name = "NAME=VALUE", value_parser = parse_metric)]
    metrics: Vec<(String, f64)>,
    /// Rating 1-5 (5 = best work).
    #[arg(long, value_parser = parse_rating)]
    rating: Option<u8>,
    /// Where it came from (URL or file).
    #[arg(long)]
    source: Option<String>,
    /// Your notes.
    #[arg(long)]
    notes: Option<String>,
    /// Rewrites: the draft before your edit.
    #[arg(long)]
    before: Option<String>,
    /// Rewrites: why you changed it.
    #[arg(long)]
    why: Option<String>,
    /// Phrases: approved or banned.
    #[arg(long, value_parser = parse_polarity)]
    polarity: Option<Polarity>,
    /// Banned phrases: what to write instead.
    #[arg(long)]
    replacement: Option<String>,
    /// Id in the source system (tweet id, share URN).
    #[arg(long)]
    external_id: Option<String>,
}

/// `quill library add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The text (omit to read --file or stdin; `-` reads stdin).
    text: Option<String>,
    /// Read the text from a file.
    #[arg(long, short = 'f', conflicts_with = "text")]
    file: Option<PathBuf>,
    /// What it is.
    #[arg(long, short = 'k', default_value = "post", value_parser = parse_kind)]
    kind: Kind,
    /// Where it was published.
    #[arg(long, short = 'p', default_value = "other", value_parser = parse_platform)]
    platform: Platform,
    /// Tags, repeatable or comma-separated.
    #[arg(long = "tag", short = 't', value_name = "TAG")]
    tags: Vec<String>,
    #[command(flatten)]
    fields: FieldArgs,
}

/// `quill library import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Files or folders (folders are walked recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Input format; auto decides per file by name, extension and content.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    format: Format,
    /// CSV column mapping: our field or metric = their header, e.g. text=Body,likes=Reactions.
    #[arg(long)]
    map: Option<String>,
    /// Kind for records that do not say.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<Kind>,
    /// Platform for records that do not say.
    #[arg(long, value_parser = parse_platform)]
    platform: Option<Platform>,
    /// Import the good rows and list the bad ones (default: a bad row stops the whole import).
    #[arg(long)]
    skip_bad: bool,
    /// Show what would be imported; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import duplicates too (they are still reported).
    #[arg(long)]
    allow_duplicates: bool,
    /// X archive: import retweets as well (tagged `retweet`).
    #[arg(long)]
    include_retweets: bool,
}

/// Filters shared by `list` and `export`.
#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// Only these kinds (repeatable or comma-separated).
    #[arg(long, short = 'k', value_delimiter = ',', value_parser = parse_kind)]
    kind: Vec<Kind>,
    /// Only these platforms (repeatable or comma-separated).
    #[arg(long, short = 'p', value_delimiter = ',', value_parser = parse_platform)]
    platform: Vec<Platform>,
    /// Only entries with all these tags.
    #[arg(long = "tag", short = 't', value_delimiter = ',')]
    tags: Vec<String>,
    /// Only entries rated at least N.
    #[arg(long, alias = "rating", value_parser = parse_rating)]
    min_rating: Option<u8>,
    /// Only phrases of this polarity.
    #[arg(long, value_parser = parse_polarity)]
    polarity: Option<Polarity>,
    /// Only entries dated on or after (YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// Only entries dated before (YYYY-MM-DD).
    #[arg(long)]
    until: Option<String>,
    /// Include deleted entries.
    #[arg(long)]
    deleted: bool,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter> {
        let date = |d: &Option<String>| -> Result<Option<String>> {
            d.as_deref().map(quill_library::normalize_date).transpose().map_err(Into::into)
        };
        Ok(Filter {
            kinds: self.kind.clone(),
            platforms: self.platform.clone(),
            tags: self.tags.clone(),
            min_rating: self.min_rating,
            polarity: self.polarity,
            since: date(&self.since)?,
            until: date(&self.until)?,
            include_deleted: self.deleted,
            ..Filter::default()
        })
    }
}

/// `quill library list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Only the N best by --by.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Rank by this metric (likes, impressions, …) or `score` (engagement ÷ platform median).
    #[arg(long, value_name = "METRIC")]
    by: Option<String>,
    /// Order: id, newest, oldest.
    #[arg(long, default_value = "id", value_parser = ["id", "newest", "oldest"])]
    sort: String,
    /// At most N entries.
    #[arg(long, short = 'n')]
    limit: Option<usize>,
}

/// One id.
#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// Entry id.
    id: i64,
}

/// One or more ids.
#[derive(Debug, clap::Args)]
pub struct IdsArgs {
    /// Entry ids.
    #[arg(required = true)]
    ids: Vec<i64>,
}

/// `quill library edit`.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// Entry id.
    id: i64,
    /// New text.
    #[arg(long, conflicts_with = "file")]
    text: Option<String>,
    /// Read the new text from a file.
    #[arg(long, short = 'f')]
    file: Option<PathBuf>,
    /// New kind.
    #[arg(long, short = 'k', value_parser = parse_kind)]
    kind: Option<Kind>,
    /// New platform.
    #[arg(long, short = 'p', value_parser = parse_platform)]
    platform: Option<Platform>,
    /// Add tags (see also `quill library tag`).
    #[arg(long = "tag", short = 't', value_name = "TAG")]
    tags: Vec<String>,
    #[command(flatten)]
    fields: FieldArgs,
    /// Remove a metric, repeatable.
    #[arg(long, value_name = "NAME")]
    unset_metric: Vec<String>,
    /// Clear a field: title, date, rating, before, why, polarity, replacement, source, notes, external_id, tags, metrics.
    #[arg(long, value_name = "FIELD")]
    clear: Vec<String>,
    /// Open $VISUAL/$EDITOR on the entry as Markdown with front matter.
    #[arg(long, conflicts_with_all = ["text", "file"])]
    editor: bool,
}

/// `quill library rate`.
#[derive(Debug, clap::Args)]
pub struct RateArgs {
    /// Entry id.
    id: i64,
    /// 1-5, or 0 to clear.
    rating: u8,
}

/// `quill library tag`.
#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// Entry id.
    id: i64,
    /// +tag or tag adds, -tag removes.
    #[arg(required = true, allow_hyphen_values = true, num_args = 1..)]
    changes: Vec<String>,
}

/// `quill library export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// jsonl (every field; the backup format), csv or md.
    #[arg(long, default_value = "jsonl", value_parser = parse_export_format)]
    format: ExportFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    filter: FilterArgs,
}

/// `quill library stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Top performers to show per platform.
    #[arg(long, default_value_t = 3)]
    top: usize,
}

/// Runs the command.
pub fn run(cmd: Cmd, g: &Globals) -> Result<ExitCode> {
    let ws = g.workspace()?;
    let mut db = ws.open_db().with_context(|| format!("opening {}", ws.db_path().display()))?;
    match cmd {
        Cmd::Add(a) => add(a, &mut db, g),
        Cmd::Import(a) => import(a, &mut db, g),
        Cmd::List(a) => list(a, &db, g),
        Cmd::Show(a) => show(a.id, &db, g),
        Cmd::Edit(a) => edit(a, &mut db, &ws, g),
        Cmd::Rate(a) => {
            let r = match a.rating {
                0 => None,
                n => Some(parse_rating(&n.to_string()).map_err(anyhow::Error::msg)?),
            };
            let e = quill_library::rate(&mut db, a.id, r)?;
            done(&e, &format!("Rated #{} {}", e.id, stars(e.rating)), g)
        }
        Cmd::Tag(a) => {
            let (mut add, mut remove) = (Vec::new(), Vec::new());
            for c in a.changes {
                match c.strip_prefix('-') {
                    Some(t) => remove.push(t.to_string()),
                    None => add.push(c.trim_start_matches('+').to_string()),
                }
            }
            let e = quill_library::tag(&mut db, a.id, &add, &remove)?;
            done(
                &e,
                &format!("Tags of #{}: {}", e.id, if e.tags.is_empty() { "(none)".into() } else { e.tags.join(", ") }),
                g,
            )
        }
        Cmd::Rm(a) => each(
            &a.ids,
            g,
            |id| quill_library::remove(&mut db, id),
            "Deleted",
            "restore with `quill library restore ID`",
        ),
        Cmd::Restore(a) => each(&a.ids, g, |id| quill_library::restore(&mut db, id), "Restored", ""),
        Cmd::Export(a) => export(a, &db, g),
        Cmd::Stats(a) => stats(a.top, &db, g),
    }
}

fn read_text(text: Option<String>, file: Option<&PathBuf>) -> Result<Option<String>> {
    if let Some(f) = file {
        return Ok(Some(std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?));
    }
    match text.as_deref() {
        Some("-") => {}
        Some(_) => return Ok(text),
        None if std::io::stdin().is_terminal() => return Ok(None),
        None => {}
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("reading stdin")?;
    Ok(Some(s))
}

fn apply_fields(e: &mut NewEntry, f: FieldArgs) {
    let set = |slot: &mut Option<String>, v: Option<String>| {
        if let Some(v) = v {
            *slot = Some(v).filter(|s| !s.trim().is_empty());
        }
    };
    set(&mut e.title, f.title);
    set(&mut e.date, f.date);
    set(&mut e.source, f.source);
    set(&mut e.notes, f.notes);
    set(&mut e.before, f.before);
    set(&mut e.why, f.why);
    set(&mut e.replacement, f.replacement);
    set(&mut e.external_id, f.external_id);
    if f.rating.is_some() {
        e.rating = f.rating;
    }
    if f.polarity.is_some() {
        e.polarity = f.polarity;
    }
    e.metrics.extend(f.metrics);
}

fn add(a: AddArgs, db: &mut Db, g: &Globals) -> Result<ExitCode> {
    let Some(text) = read_text(a.text, a.file.as_ref())? else {
        bail!("no text given\n  hint: pass the text as an argument, --file PATH, or pipe it on stdin");
    };
    let mut new = NewEntry { tags: a.tags, ..NewEntry::new(a.kind, a.platform, text) };
    apply_fields(&mut new, a.fields);
    let e = quill_library::add(db, new)?;
    done(&e, &format!("Added #{} ({} {}): {}", e.id, e.platform, e.kind, e.preview(60)), g)
}

fn done(e: &Entry, msg: &str, g: &Globals) -> Result<ExitCode> {
    if g.json {
        g.print_json(e)?;
    } else {
        out!("{msg}");
    }
    Ok(ExitCode::SUCCESS)
}

fn each(
    ids: &[i64],
    g: &Globals,
    mut f: impl FnMut(i64) -> quill_library::Result<Entry>,
    verb: &str,
    hint: &str,
) -> Result<ExitCode> {
    let mut out = Vec::new();
    for &id in ids {
        let e = f(id)?;
        if !g.json {
            out!("{verb} #{}: {}", e.id, e.preview(60));
        }
        out.push(e);
    }
    if g.json {
        g.print_json(&out)?;
    } else if !hint.is_empty() {
        eprintln!("  {hint}");
    }
    Ok(ExitCode::SUCCESS)
}

fn import(a: ImportArgs, db: &mut Db, g: &Globals) -> Result<ExitCode> {
    let opts = ImportOptions {
        format: a.format,
        map: a.map.as_deref().map(ImportOptions::parse_map).transpose()?.unwrap_or_default(),
        kind: a.kind,
        platform: a.platform,
        skip_bad: a.skip_bad,
        dry_run: a.dry_run,
        allow_duplicates: a.allow_duplicates,
        include_retweets: a.include_retweets,
    };
    let mut bar: Option<indicatif::ProgressBar> = None;
    let result = quill_library::import(db, &a.paths, &opts, &mut |done, total| {
        if total > 3 {
            bar.get_or_insert_with(|| g.progress(total as u64, "Reading")).set_position(done as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(quill_library::Error::BadInput(problems)) if g.json => {
            g.print_json(&serde_json::json!({ "imported": false, "bad": problems }))?;
            bail!("{} problem(s) in the input; nothing was imported", problems.len());
        }
        Err(e) => return Err(e.into()),
    };
    if g.json {
        g.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if report.dry_run { "Would import" } else { "Imported" };
    let files = report.files.len();
    out!(
        "{} {} entr{} from {files} file{}{}",
        style(verb).bold(),
        style(report.added).bold().green(),
        if report.added == 1 { "y" } else { "ies" },
        if files == 1 { "" } else { "s" },
        report.import_id.map(|i| format!(" (import #{i})")).unwrap_or_default()
    );
    // Many files (a folder of posts): one line per folder and format instead of per file.
    let mut rows: Vec<(String, String, usize, usize)> = Vec::new();
    for f in &report.files {
        let (dir, name) = f.path.rsplit_once('/').map(|(d, n)| (format!("{d}/"), n.to_string())).unwrap_or_default();
        let key = if report.files.len() > 12 { dir } else { format!("{dir}{name}") };
        let key = if key.is_empty() { f.path.clone() } else { key };
        match rows.iter_mut().find(|r| r.0 == key && r.1 == f.format.as_str()) {
            Some(r) => {
                r.2 += 1;
                r.3 += f.records;
            }
            None => rows.push((key, f.format.as_str().to_string(), 1, f.records)),
        }
    }
    let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    for (path, format, n, records) in &rows {
        let files = if *n > 1 { format!("{n} files") } else { String::new() };
        out!("  {path:<w$}  {format:<8}  {files:>9}  {records:>5} records");
    }
    if !report.duplicates.is_empty() {
        let what = if opts.allow_duplicates { "imported anyway" } else { "not imported; --allow-duplicates to force" };
        out!("{} ({}, {what}):", style("Duplicates").yellow().bold(), report.duplicates.len());
        for d in report.duplicates.iter().take(LIST_MAX) {
            let how = if d.exact { "same text".to_string() } else { format!("{:.0}% similar", d.similarity * 100.0) };
            out!("  {}  {:?}  = {} ({how})", d.source, d.preview, d.of);
        }
        more(report.duplicates.len());
    }
    if !report.notes.is_empty() {
        out!("{} ({}):", style("Not imported").yellow(), report.notes.len());
        for n in report.notes.iter().take(LIST_MAX) {
            out!("  {n}");
        }
        more(report.notes.len());
    }
    if !report.bad.is_empty() {
        out!("{} ({}, skipped):", style("Bad rows").red().bold(), report.bad.len());
        for b in &report.bad {
            out!("  {b}");
        }
    }
    if !report.skipped.is_empty() {
        out!("{} ({}):", style("Skipped files").dim(), report.skipped.len());
        for s in report.skipped.iter().take(LIST_MAX) {
            out!("  {}: {}", s.path, style(&s.reason).dim());
        }
        more(report.skipped.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Longest list printed in text mode; `--json` has everything.
const LIST_MAX: usize = 15;

fn more(n: usize) {
    if n > LIST_MAX {
        out!("  … and {} more (--json lists all)", n - LIST_MAX);
    }
}

fn stars(r: Option<u8>) -> String {
    match r {
        Some(n) => format!("{}{}", "★".repeat(n as usize), "☆".repeat(5 - n as usize)),
        None => "unrated".into(),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v:.2}") }
}

fn term_width() -> usize {
    if std::io::stdout().is_terminal() {
        console::Term::stdout().size_checked().map(|(_, w)| w as usize).unwrap_or(100).max(60)
    } else {
        120
    }
}

fn list(a: ListArgs, db: &Db, g: &Globals) -> Result<ExitCode> {
    let mut filter = a.filter.filter()?;
    let by = a.by.clone().or_else(|| a.top.map(|_| "score".to_string()));
    filter.sort = match (&by, a.sort.as_str()) {
        (Some(b), _) if b == "score" => Sort::Score,
        (Some(b), _) => Sort::Metric(b.clone()),
        (None, "newest") => Sort::Newest,
        (None, "oldest") => Sort::Oldest,
        _ => Sort::Id,
    };
    filter.limit = a.top.or(a.limit);
    let entries = quill_library::list(db, &filter)?;
    if g.json {
        g.print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        eprintln!("No entries match.");
        return Ok(ExitCode::SUCCESS);
    }
    let scores: BTreeMap<i64, f64> = if by.as_deref() == Some("score") {
        let all = quill_library::list(db, &Filter::default())?;
        all.iter().zip(quill_library::performance_scores(&all)).filter_map(|(e, s)| Some((e.id, s?))).collect()
    } else {
        BTreeMap::new()
    };
    let value_col = by.as_deref().map(|b| {
        let vals: Vec<String> = entries
            .iter()
            .map(|e| {
                if b == "score" {
                    scores.get(&e.id).map(|s| format!("{s:.2}×")).unwrap_or_default()
                } else {
                    let key = b.to_lowercase();
                    e.metrics.get(&key).map(|v| fmt_num(*v)).unwrap_or_default()
                }
            })
            .collect();
        (b.to_string(), vals)
    });
    let idw = entries.iter().map(|e| e.id.to_string().len()).max().unwrap_or(2).max(2);
    let tagw = entries.iter().map(|e| e.tags.join(",").chars().count()).max().unwrap_or(0).clamp(4, 24);
    let vw = value_col.as_ref().map(|(h, v)| v.iter().map(String::len).max().unwrap_or(0).max(h.len())).unwrap_or(0);
    let fixed = idw + 2 + 8 + 2 + 10 + 2 + 10 + 2 + 5 + 2 + tagw + 2 + if vw > 0 { vw + 2 } else { 0 };
    let textw = term_width().saturating_sub(fixed).max(20);
    let header = format!(
        "{:>idw$}  {:<8}  {:<10}  {:<10}  {:<5}  {:<tagw$}  {}{}",
        "ID",
        "KIND",
        "PLATFORM",
        "DATE",
        "RATE",
        "TAGS",
        value_col.as_ref().map(|(h, _)| format!("{:>vw$}  ", h.to_uppercase())).unwrap_or_default(),
        "TEXT"
    );
    out!("{}", style(header).bold());
    for (i, e) in entries.iter().enumerate() {
        let mut tags = e.tags.join(",");
        if tags.chars().count() > tagw {
            tags = tags.chars().take(tagw - 1).collect::<String>() + "…";
        }
        let date = e.date.as_deref().map(|d| &d[..d.len().min(10)]).unwrap_or("");
        let rate = e.rating.map(|r| format!("{r}/5")).unwrap_or_default();
        let val = value_col.as_ref().map(|(_, v)| format!("{:>vw$}  ", v[i])).unwrap_or_default();
        let mut text = e.preview(textw);
        if e.is_deleted() {
            text = format!("{} {text}", style("[deleted]").red());
        }
        out!(
            "{:>idw$}  {:<8}  {:<10}  {:<10}  {:<5}  {:<tagw$}  {val}{text}",
            style(e.id).cyan(),
            e.kind.as_str(),
            e.platform.as_str(),
            date,
            rate,
            tags
        );
    }
    eprintln!("{} entr{}", entries.len(), if entries.len() == 1 { "y" } else { "ies" });
    Ok(ExitCode::SUCCESS)
}

fn show(id: i64, db: &Db, g: &Globals) -> Result<ExitCode> {
    let e = quill_library::get(db, id)?;
    let history = quill_library::history(db, id)?;
    let pool = quill_library::list(db, &Filter::default())?;
    let score = pool.iter().position(|p| p.id == id).and_then(|i| quill_library::performance_scores(&pool)[i]);
    if g.json {
        g.print_json(&serde_json::json!({ "entry": e, "score": score, "history": history }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let label = |s: &str| style(format!("{s:>12}")).dim().to_string();
    out!(
        "{} {}",
        style(format!("#{}", e.id)).cyan().bold(),
        if e.is_deleted() { style("[deleted]").red().to_string() } else { String::new() }
    );
    out!("{} {} on {}", label("kind"), e.kind, e.platform);
    let opt = |name: &str, v: &Option<String>| {
        if let Some(v) = v {
            out!("{} {}", label(name), v.replace('\n', &format!("\n{:>13}", "")));
        }
    };
    opt("title", &e.title);
    opt("date", &e.date);
    if e.rating.is_some() {
        out!("{} {}", label("rating"), stars(e.rating));
    }
    if !e.tags.is_empty() {
        out!("{} {}", label("tags"), e.tags.join(", "));
    }
    if !e.metrics.is_empty() {
        let m: Vec<String> = e.metrics.iter().map(|(k, v)| format!("{k} {}", fmt_num(*v))).collect();
        out!("{} {}", label("metrics"), m.join(" · "));
    }
    if let Some(s) = score {
        out!("{} {s:.2}× the {} median", label("performance"), e.platform);
    }
    if let Some(p) = e.polarity {
        out!("{} {p}", label("polarity"));
    }
    opt("replacement", &e.replacement);
    opt("source", &e.source);
    opt("external id", &e.external_id);
    opt("notes", &e.notes);
    if !e.extra.is_empty() {
        out!("{} {}", label("extra"), serde_json::Value::Object(e.extra.clone()));
    }
    opt("before", &e.before);
    if let Some(w) = &e.why {
        out!("{} {w}", label("why"));
    }
    out!();
    out!("{}", e.text);
    out!();
    out!("{}", style("History").bold());
    let mut prev: Option<&Entry> = None;
    for h in &history {
        let what = match prev {
            Some(p) => {
                let f = quill_library::changed_fields(p, &h.snapshot);
                if f.is_empty() { String::new() } else { format!(" ({})", f.join(", ")) }
            }
            None => String::new(),
        };
        out!("  v{:<3} {:<8} {}{what}", h.version, h.action, style(&h.changed_at).dim());
        prev = Some(&h.snapshot);
    }
    Ok(ExitCode::SUCCESS)
}

fn edit(a: EditArgs, db: &mut Db, ws: &quill_store::Workspace, g: &Globals) -> Result<ExitCode> {
    if a.editor {
        let e = quill_library::get(db, a.id)?;
        let path = ws.data_dir().join(format!("edit-{}-{}.md", a.id, std::process::id()));
        quill_store::atomic_write(&path, quill_library::entry_to_markdown(&e)?.as_bytes())?;
        let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
        // Through the shell so EDITOR="code --wait" works.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status()
            .with_context(|| format!("starting the editor `{editor}`"));
        let text = std::fs::read_to_string(&path);
        let _ = std::fs::remove_file(&path);
        if !status?.success() {
            bail!("the editor exited with an error; nothing changed");
        }
        let text = text.with_context(|| format!("reading {}", path.display()))?;
        let new = quill_library::entry_from_markdown(&text, "edited entry")?;
        let e = quill_library::update(db, a.id, "edit", |e| {
            e.set_content(new);
            Ok(())
        })?;
        return done(&e, &format!("Saved #{}", e.id), g);
    }
    let text = match (&a.text, &a.file) {
        (None, None) => None,
        _ => read_text(a.text.clone(), a.file.as_ref())?,
    };
    let mut clear = Vec::new();
    for c in &a.clear {
        let c = c.trim().to_lowercase().replace('-', "_");
        const FIELDS: &[&str] = &[
            "title",
            "date",
            "rating",
            "before",
            "why",
            "polarity",
            "replacement",
            "source",
            "notes",
            "external_id",
            "tags",
            "metrics",
        ];
        if !FIELDS.contains(&c.as_str()) {
            bail!("--clear {c}: not a field that can be cleared; one of {}", FIELDS.join(", "));
        }
        clear.push(c);
    }
    let e = quill_library::update(db, a.id, "edit", |e| {
        let mut n = e.to_new();
        if let Some(t) = text {
            n.text = t;
        }
        if let Some(k) = a.kind {
            n.kind = k;
        }
        if let Some(p) = a.platform {
            n.platform = p;
        }
        n.tags.extend(a.tags);
        apply_fields(&mut n, a.fields);
        for m in &a.unset_metric {
            n.metrics.remove(&m.trim().to_lowercase());
        }
        for c in &clear {
            match c.as_str() {
                "title" => n.title = None,
                "date" => n.date = None,
                "rating" => n.rating = None,
                "before" => n.before = None,
                "why" => n.why = None,
                "polarity" => n.polarity = None,
                "replacement" => n.replacement = None,
                "source" => n.source = None,
                "notes" => n.notes = None,
                "external_id" => n.external_id = None,
                "tags" => n.tags.clear(),
                _ => n.metrics.clear(),
            }
        }
        e.set_content(n);
        Ok(())
    })?;
    done(&e, &format!("Saved #{}: {}", e.id, e.preview(60)), g)
}

fn export(a: ExportArgs, db: &Db, g: &Globals) -> Result<ExitCode> {
    let entries = quill_library::list(db, &a.filter.filter()?)?;
    match &a.output {
        Some(path) => {
            quill_library::export_to_file(&entries, a.format, path)?;
            if g.json {
                g.print_json(&serde_json::json!({ "path": path, "entries": entries.len() }))?;
            } else {
                out!("Exported {} entries to {}", entries.len(), path.display());
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            match quill_library::export(&entries, a.format, &mut lock) {
                Err(quill_library::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(top: usize, db: &Db, g: &Globals) -> Result<ExitCode> {
    let s = quill_library::stats(db, top)?;
    if g.json {
        g.print_json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "{} {} entries{}",
        style("Library:").bold(),
        s.total,
        if s.deleted > 0 { format!(" ({} deleted)", s.deleted) } else { String::new() }
    );
    if let Some((a, b)) = &s.date_range {
        out!("  dated {} to {}", &a[..a.len().min(10)], &b[..b.len().min(10)]);
    }
    let table = |title: &str, rows: Vec<(String, usize)>| {
        let rows: Vec<_> = rows.into_iter().filter(|(_, n)| *n > 0).collect();
        if rows.is_empty() {
            return;
        }
        out!("\n{}", style(title).bold());
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
        for (k, n) in rows {
            let bar = "█".repeat((n * 30).div_ceil(max));
            out!("  {k:<11} {n:>5}  {}", style(bar).cyan());
        }
    };
    table("By kind", s.by_kind.iter().map(|(k, n)| (k.to_string(), *n)).collect());
    table("By platform", s.by_platform.iter().map(|(k, n)| (k.to_string(), *n)).collect());
    table(
        "Ratings",
        ["5", "4", "3", "2", "1", "unrated"]
            .iter()
            .map(|r| (r.to_string(), s.ratings.get(*r).copied().unwrap_or(0)))
            .collect(),
    );
    if s.phrases.values().any(|n| *n > 0) {
        out!("\n{} {} approved, {} banned", style("Phrases:").bold(), s.phrases["approved"], s.phrases["banned"]);
    }
    if !s.performance.is_empty() {
        out!("\n{} (score = engagement ÷ that platform's median)", style("Top performers").bold());
        for p in &s.performance {
            out!(
                "  {} — median {} {} over {} entr{}",
                style(p.platform).bold(),
                fmt_num((p.median * 100.0).round() / 100.0),
                p.basis,
                p.scored,
                if p.scored == 1 { "y" } else { "ies" }
            );
            for t in &p.top {
                out!(
                    "    {:>5.2}×  #{:<5} {:>7}  {}",
                    t.score,
                    t.id,
                    fmt_num(t.value),
                    t.preview.chars().take(70).collect::<String>()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
