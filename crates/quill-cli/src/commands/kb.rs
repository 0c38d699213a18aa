//! `quill kb …` — the knowledge base: add documents, list, remove, search, evaluate.
//! All the work is in `quill-knowledge`; this file parses flags and prints results.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use console::style;
use indicatif::ProgressBar;
use quill_knowledge::{
    Knowledge, Mode, Phase, Progress, SearchOptions, SearchScope,
    eval::{self, EvalReport},
    library_items,
};

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill kb add examples/creator/docs            # Markdown, text, HTML, PDF, DOCX; re-run to pick up edits
  quill kb search \"what does the course cost?\"   # hybrid (keywords + meaning), 5 passages
  quill kb search refund --mode bm25 --k 3 --json
  quill kb search \"a hook about onboarding\" --scope library
  quill kb list
  quill kb rm 4                                  # or a path: quill kb rm examples/creator/docs/old.md";

/// Subcommands of `quill kb`.
#[derive(Debug, clap::Subcommand)]
#[command(after_long_help = EXAMPLES)]
pub enum Cmd {
    /// Add or re-index files and folders (only changed files are re-read; deleted ones are dropped).
    #[command(
        after_long_help = "Examples:\n  quill kb add docs/\n  quill kb add offer.pdf faq.md notes.docx\n  quill kb add docs/ --json"
    )]
    Add(AddArgs),
    /// List indexed documents.
    #[command(after_long_help = "Examples:\n  quill kb list\n  quill kb list --scope all --json")]
    List(ListArgs),
    /// Remove documents from the index by id, file or folder (the files are left alone).
    #[command(
        after_long_help = "Examples:\n  quill kb rm 4 7\n  quill kb rm docs/old-offer.md\n  quill kb rm docs/archive/"
    )]
    Rm(RmArgs),
    /// Search for passages: keyword (BM25), semantic (embeddings) or both.
    #[command(
        after_long_help = "Examples:\n  quill kb search \"what's the price?\"\n  quill kb search \"refund policy\" --mode bm25 --k 3\n  quill kb search \"how do I onboard a client\" --mmr 0.7 --json\n  quill kb search \"hook about calendars\" --scope library"
    )]
    Search(SearchArgs),
    /// Index the library's entries (scope `library`) so examples can be chosen by relevance.
    #[command(name = "sync-library", after_long_help = "Examples:\n  quill kb sync-library")]
    SyncLibrary,
    /// Counts of documents, chunks and embedded chunks.
    #[command(after_long_help = "Examples:\n  quill kb stats --json")]
    Stats,
    /// Retrieval quality (recall@5, nDCG@10) on a labelled JSONL set, for every mode.
    #[command(
        after_long_help = "Examples:\n  quill kb eval crates/quill-knowledge/tests/fixtures/retrieval.jsonl\n\nEach line: {\"query\": \"...\", \"relevant\": [{\"doc\": \"pricing.md\", \"phrase\": \"text inside the answer\"}]}"
    )]
    Eval(EvalArgs),
}

/// `kb add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Files and folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Exit with status 1 when any file was skipped.
    #[arg(long)]
    pub strict: bool,
}

/// `kb list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Which documents.
    #[arg(long, value_enum, default_value_t = ScopeArg::Docs)]
    pub scope: ScopeArg,
}

/// `kb rm`.
#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Document ids, files or folders.
    #[arg(required = true)]
    pub targets: Vec<String>,
}

/// `kb search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for, in plain words.
    pub query: String,
    /// Passages to return.
    #[arg(long, short = 'k', default_value_t = 5)]
    pub k: usize,
    /// Retrieval method.
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    pub mode: ModeArg,
    /// Where to look.
    #[arg(long, value_enum, default_value_t = ScopeArg::Docs)]
    pub scope: ScopeArg,
    /// Diversify with maximal marginal relevance, λ in [0, 1] (1 = relevance only; 0.7 is a good start).
    #[arg(long, value_name = "λ")]
    pub mmr: Option<f64>,
}

/// `kb eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The labelled set (JSONL).
    pub set: PathBuf,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// Keywords.
    Bm25,
    /// Meaning (embeddings).
    Dense,
    /// Both, fused.
    Hybrid,
}

/// `--scope`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScopeArg {
    /// Your documents.
    Docs,
    /// Library entries.
    Library,
    /// Both.
    All,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Bm25 => Mode::Bm25,
            ModeArg::Dense => Mode::Dense,
            ModeArg::Hybrid => Mode::Hybrid,
        }
    }
}

impl From<ScopeArg> for SearchScope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::Docs => SearchScope::Docs,
            ScopeArg::Library => SearchScope::Library,
            ScopeArg::All => SearchScope::All,
        }
    }
}

/// Progress bars for the two phases of indexing.
struct Bars<'a> {
    g: &'a Globals,
    bar: Option<ProgressBar>,
}

impl Progress for Bars<'_> {
    fn start(&mut self, phase: Phase, total: u64) {
        let msg = match phase {
            Phase::Reading => "reading",
            Phase::Embedding => "embedding",
        };
        self.bar = Some(self.g.progress(total, msg));
    }
    fn advance(&mut self, n: u64, item: Option<&str>) {
        if let Some(b) = &self.bar {
            b.inc(n);
            if let Some(i) = item {
                b.set_message(i.rsplit('/').next().unwrap_or(i).to_string());
            }
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

fn open(g: &Globals) -> Result<Knowledge> {
    let ws = g.workspace()?;
    Knowledge::open(&ws).context("opening the knowledge base")
}

/// Runs the command.
pub fn run(cmd: Cmd, g: &Globals) -> Result<ExitCode> {
    match cmd {
        Cmd::Add(a) => add(a, g),
        Cmd::List(a) => list(a, g),
        Cmd::Rm(a) => rm(a, g),
        Cmd::Search(a) => search(a, g),
        Cmd::SyncLibrary => sync_library(g),
        Cmd::Stats => stats(g),
        Cmd::Eval(a) => evaluate(a, g),
    }
}

fn add(a: AddArgs, g: &Globals) -> Result<ExitCode> {
    let mut kb = open(g)?;
    let report = kb.add_paths(&a.paths, &mut Bars { g, bar: None })?;
    if g.json {
        g.print_json(&report)?;
    } else {
        let show = |label: &str, v: &[PathBuf]| {
            for p in v {
                println!("{label} {}", p.display());
            }
        };
        show(&style("added  ").green().to_string(), &report.added);
        show(&style("updated").yellow().to_string(), &report.updated);
        show(&style("removed").red().to_string(), &report.removed);
        println!(
            "{} added, {} updated, {} unchanged, {} removed, {} skipped; {} chunks written ({} vectors reused), {} embedded",
            report.added.len(),
            report.updated.len(),
            report.unchanged.len(),
            report.removed.len(),
            report.failed.len(),
            report.chunks,
            report.vectors_reused,
            report.embedded
        );
    }
    for f in &report.failed {
        eprintln!("{} {}: {}", style("skipped:").yellow().bold().for_stderr(), f.path.display(), f.error);
    }
    Ok(if a.strict && !report.failed.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn list(a: ListArgs, g: &Globals) -> Result<ExitCode> {
    let kb = open(g)?;
    let docs = kb.documents(a.scope.into())?;
    if g.json {
        g.print_json(&docs)?;
        return Ok(ExitCode::SUCCESS);
    }
    if docs.is_empty() {
        println!("No documents yet. Add some with: quill kb add PATH");
        return Ok(ExitCode::SUCCESS);
    }
    for d in &docs {
        println!(
            "{:>4}  {:<8} {:>4} chunks{}  {}  {}",
            d.id,
            d.format,
            d.chunks,
            if d.embedded < d.chunks { format!(" ({} embedded)", d.embedded) } else { String::new() },
            style(&d.title).bold(),
            style(&d.source).dim()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn rm(a: RmArgs, g: &Globals) -> Result<ExitCode> {
    let mut kb = open(g)?;
    let mut removed = Vec::new();
    let mut missing = Vec::new();
    for t in &a.targets {
        let r = kb.remove(t)?;
        if r.is_empty() {
            missing.push(t.clone());
        }
        removed.extend(r);
    }
    if g.json {
        g.print_json(&serde_json::json!({ "removed": removed, "not_found": missing }))?;
    } else {
        for d in &removed {
            println!("removed {:>4}  {}", d.id, d.source);
        }
    }
    for m in &missing {
        eprintln!(
            "{} no indexed document matches {m:?} (see `quill kb list`)",
            style("warning:").yellow().bold().for_stderr()
        );
    }
    Ok(if missing.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn search(a: SearchArgs, g: &Globals) -> Result<ExitCode> {
    let mut kb = open(g)?;
    let scope: SearchScope = a.scope.into();
    if scope != SearchScope::Docs {
        let items = library_items(kb.db())?;
        kb.sync_library(&items, &mut Bars { g, bar: None })?;
    }
    if let Some(l) = a.mmr {
        anyhow::ensure!((0.0..=1.0).contains(&l), "--mmr takes λ between 0 and 1 (got {l})");
    }
    let opts = SearchOptions { k: a.k, mode: a.mode.into(), scope, mmr: a.mmr, ..SearchOptions::default() };
    let hits = kb.search(&a.query, &opts)?;
    if g.json {
        g.print_json(&serde_json::json!({ "query": a.query, "mode": opts.mode, "scope": opts.scope, "hits": hits }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        println!("No passages found. (Is anything indexed? `quill kb list`)");
    }
    for h in &hits {
        let path: Vec<&str> = h.heading_path.iter().map(String::as_str).filter(|p| *p != h.title).collect();
        let ranks = match (h.bm25_rank, h.dense_rank) {
            (Some(b), Some(d)) => format!(", bm25 #{b}, dense #{d}"),
            (Some(b), None) => format!(", bm25 #{b}"),
            (None, Some(d)) => format!(", dense #{d}"),
            (None, None) => String::new(),
        };
        println!(
            "{} {}{}  {}",
            style(format!("[{}]", h.n)).cyan().bold(),
            style(&h.title).bold(),
            if path.is_empty() { String::new() } else { format!(" › {}", path.join(" › ")) },
            style(format!("(score {:.4}{ranks})", h.score)).dim()
        );
        println!("    {}", style(format!("{}  chars {}–{}", h.source, h.start_char, h.end_char)).dim());
        for line in h.text.lines() {
            println!("    {line}");
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

fn sync_library(g: &Globals) -> Result<ExitCode> {
    let mut kb = open(g)?;
    let items = library_items(kb.db())?;
    let r = kb.sync_library(&items, &mut Bars { g, bar: None })?;
    if g.json {
        g.print_json(&r)?;
    } else {
        println!(
            "library: {} indexed, {} unchanged, {} removed, {} chunks embedded",
            r.indexed, r.unchanged, r.removed, r.embedded
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(g: &Globals) -> Result<ExitCode> {
    let kb = open(g)?;
    let s = kb.stats()?;
    if g.json {
        g.print_json(&s)?;
    } else {
        let docs = s.documents.get("docs").copied().unwrap_or(0);
        let lib = s.documents.get("library").copied().unwrap_or(0);
        println!(
            "{docs} documents, {lib} library entries, {} chunks, {} embedded with {}",
            s.chunks, s.embedded, s.model
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn evaluate(a: EvalArgs, g: &Globals) -> Result<ExitCode> {
    let kb = open(g)?;
    let set = eval::load_set(&a.set)?;
    let reports: Vec<EvalReport> = [Mode::Bm25, Mode::Dense, Mode::Hybrid]
        .into_iter()
        .map(|m| eval::evaluate(&kb, &set, m))
        .collect::<Result<_, _>>()?;
    if g.json {
        g.print_json(&reports)?;
    } else {
        println!("{} queries from {}", set.len(), a.set.display());
        println!("{:<8} {:>9} {:>9} {:>9}", "mode", "recall@5", "nDCG@10", "MRR@10");
        for r in &reports {
            println!(
                "{:<8} {:>9.3} {:>9.3} {:>9.3}",
                format!("{:?}", r.mode).to_lowercase(),
                r.recall_at_5,
                r.ndcg_at_10,
                r.mrr_at_10
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
