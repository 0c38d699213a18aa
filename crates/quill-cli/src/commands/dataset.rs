//! `quill dataset build|validate` — fine-tuning datasets from the library, checked like the
//! hosted services check them, with a verdict on whether they are strong enough.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_dataset::build::{self, Source, Weighting};
use quill_dataset::validate::notebook::Cell;
use quill_dataset::validate::tokens::Encoding;
use quill_dataset::validate::verdict::Level;
use quill_dataset::{Format, validate};

use crate::Globals;

/// Subcommands of `quill dataset`.
#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Build train / validation / test files from the library (or convert a JSONL file).
    Build(BuildArgs),
    /// Check a JSONL file like OpenAI's cookbook notebook does, and much more; give a verdict.
    Validate(ValidateArgs),
}

/// `--format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// OpenAI chat JSONL (assistant turns with weight).
    Openai,
    /// ShareGPT conversations.
    Sharegpt,
    /// Alpaca instruction/input/output.
    Alpaca,
    /// Plain prompt/completion.
    Completion,
    /// All four, each in its own folder.
    All,
}

/// `--weighting`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum WeightingArg {
    /// Every example once.
    None,
    /// Repeat your best work in the training split (rating 5, top performers; up to 3 copies).
    Repeat,
}

/// `--encoding`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EncodingArg {
    /// GPT-3.5/4 encoding (the cookbook notebook's).
    #[value(name = "cl100k_base")]
    Cl100kBase,
    /// GPT-4o encoding (gpt-4o-mini fine-tuning).
    #[value(name = "o200k_base")]
    O200kBase,
    /// The local model's tokenizer and chat template.
    Local,
}

/// Build a fine-tuning dataset. Posts become brief → post pairs (the brief is derived from the post
/// without repeating its sentences), rewrites become draft → your edit pairs. The split is
/// deterministic and stratified by platform and kind; the test split is stored in the workspace and
/// never used as a few-shot example or training data.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  quill dataset build -o dataset                       # OpenAI chat JSONL from the library
  quill dataset build --format all -o dataset          # every format, one folder each
  quill dataset build --min-rating 4 --weighting repeat -o best
  quill dataset build --from old.jsonl --format sharegpt -o converted")]
pub struct BuildArgs {
    /// `library` (default), `workflows`, or a JSONL file in any supported format.
    #[arg(long, default_value = "library", value_name = "library|workflows|FILE")]
    pub from: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "openai")]
    pub format: FormatArg,
    /// System prompt for every example ("" for none; default: [dataset] system in quill.toml, or a
    /// short "you are NAME" line).
    #[arg(long, conflicts_with = "system_file")]
    pub system: Option<String>,
    /// Read the system prompt from a file.
    #[arg(long, value_name = "FILE")]
    pub system_file: Option<PathBuf>,
    /// Only entries rated at least N (unrated left out; unrated rewrites kept).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub min_rating: Option<u8>,
    /// How ratings and performance weigh examples.
    #[arg(long, value_enum, default_value = "none")]
    pub weighting: WeightingArg,
    /// Seed of the split and the file order.
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub split_seed: u64,
    /// Validation share.
    #[arg(long, default_value_t = 0.1)]
    pub val: f64,
    /// Held-out test share.
    #[arg(long, default_value_t = 0.1)]
    pub test: f64,
    /// Forget the stored splits (including the held-out test split) and assign them again.
    #[arg(long)]
    pub resplit: bool,
    /// Output folder.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
}

/// Validate a fine-tuning file: the cookbook notebook's checks and numbers, exactly, then
/// duplicates, leakage of the held-out test split, banned phrases, short or cut-off targets,
/// balance, and a verdict: strong, usable or not yet.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  quill dataset validate dataset/openai/train.jsonl
  quill dataset validate train.jsonl --encoding o200k_base --json
  quill dataset validate train.jsonl --test-split dataset/openai/test.jsonl")]
pub struct ValidateArgs {
    /// The JSONL file (OpenAI chat, ShareGPT, Alpaca or completion).
    pub file: PathBuf,
    /// Tokenizer for our statistics (the notebook section always uses cl100k_base, as it does).
    #[arg(long, value_enum, default_value = "cl100k_base")]
    pub encoding: EncodingArg,
    /// The held-out test file (default: the workspace's stored test split).
    #[arg(long, value_name = "FILE")]
    pub test_split: Option<PathBuf>,
    /// Local model for `--encoding local` (default: the embedded SmolLM2).
    #[arg(long, value_name = "GGUF")]
    pub model: Option<PathBuf>,
    /// Print every issue, not the first 20.
    #[arg(long)]
    pub all: bool,
}

/// Runs the command.
pub fn run(cmd: Cmd, g: &Globals) -> Result<ExitCode> {
    match cmd {
        Cmd::Build(a) => run_build(a, g),
        Cmd::Validate(a) => run_validate(a, g),
    }
}

fn run_build(a: BuildArgs, g: &Globals) -> Result<ExitCode> {
    let source = match a.from.as_str() {
        "library" => Source::Library,
        "workflows" => Source::Workflows,
        f => Source::File(PathBuf::from(f)),
    };
    let ws = match &source {
        Source::File(_) => g.workspace().ok(),
        _ => Some(g.workspace()?),
    };
    let system = match (&a.system, &a.system_file) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(f)) => {
            Some(std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?.trim().to_string())
        }
        (None, None) => None,
    };
    let formats = match a.format {
        FormatArg::Openai => vec![Format::Openai],
        FormatArg::Sharegpt => vec![Format::Sharegpt],
        FormatArg::Alpaca => vec![Format::Alpaca],
        FormatArg::Completion => vec![Format::Completion],
        FormatArg::All => Format::ALL.to_vec(),
    };
    let opts = build::Options {
        source,
        formats,
        system,
        min_rating: a.min_rating,
        weighting: match a.weighting {
            WeightingArg::None => Weighting::None,
            WeightingArg::Repeat => Weighting::Repeat,
        },
        seed: a.split_seed,
        validation: a.val,
        test: a.test,
        out: a.out.clone(),
        resplit: a.resplit,
    };
    let sp = g.spinner("building the dataset");
    let report = build::build(ws.as_ref(), &opts)?;
    sp.finish_and_clear();
    if g.json {
        g.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let m = &report.manifest;
    let c = |s: &str| m.counts.examples.get(s).copied().unwrap_or(0);
    println!(
        "Built {} examples from {}: {} train, {} validation, {} test (held out)",
        c("train") + c("validation") + c("test"),
        m.source,
        c("train"),
        c("validation"),
        c("test")
    );
    for (k, n) in &m.counts.by_source {
        println!("  {k}: {n}");
    }
    if m.brief_leak_check.briefs > 0 {
        println!(
            "  briefs: {} derived, none repeats {} words in a row of its post ({} copied field(s) dropped)",
            m.brief_leak_check.briefs, m.brief_leak_check.ngram, m.brief_leak_check.fields_dropped
        );
    }
    if !m.skipped.is_empty() {
        println!("  skipped {} entr{}:", m.skipped.len(), if m.skipped.len() == 1 { "y" } else { "ies" });
        for s in m.skipped.iter().take(10) {
            println!("    entry {}: {}", s.entry_id.map_or("-".into(), |i| i.to_string()), s.reason);
        }
        if m.skipped.len() > 10 {
            println!("    … and {} more (see manifest.json)", m.skipped.len() - 10);
        }
    }
    for f in &m.files {
        println!("  {:<28} {:>6} lines", report.out.join(&f.path).display(), f.lines);
    }
    println!("  {}", report.out.join("manifest.json").display());
    if let Some(f) = m.files.iter().find(|f| f.format == Format::Openai && f.split == "train") {
        println!("Next: quill dataset validate {}", report.out.join(&f.path).display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_validate(a: ValidateArgs, g: &Globals) -> Result<ExitCode> {
    let workspace = match g.workspace() {
        Ok(ws) => Some(quill_dataset::validate::leakage::load_workspace(&ws.open_db()?)?),
        Err(_) => None,
    };
    let opts = validate::Options {
        encoding: match a.encoding {
            EncodingArg::Cl100kBase => Encoding::Cl100kBase,
            EncodingArg::O200kBase => Encoding::O200kBase,
            EncodingArg::Local => Encoding::Local,
        },
        local_model: a.model.clone(),
        test_split: a.test_split.clone(),
        workspace,
        max_issues: if a.all || g.json { usize::MAX } else { 1000 },
    };
    let sp = g.spinner(format!("validating {}", a.file.display()));
    let r = validate::validate_file(&a.file, &opts)?;
    sp.finish_and_clear();
    let code = if r.error_lines > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS };
    if g.json {
        g.print_json(&r)?;
        return Ok(code);
    }
    print_report(&r, a.all);
    Ok(code)
}

fn print_report(r: &validate::Report, all: bool) {
    let bold = console::Style::new().bold();
    let fmts: Vec<String> = r.formats.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "{} — {} lines ({}), {} clean",
        bold.apply_to(r.file.display()),
        r.lines,
        fmts.join(", "),
        r.clean_examples
    );
    if let Some(m) = &r.manifest {
        println!("  described by manifest.json ({m})");
    }
    println!();
    println!("{}", bold.apply_to("Format"));
    if r.issue_counts.is_empty() {
        println!("  no errors");
    } else {
        for (k, v) in &r.issue_counts {
            println!("  {k}: {v}");
        }
        let shown = if all { r.issues.len() } else { 20.min(r.issues.len()) };
        for i in &r.issues[..shown] {
            println!("  line {}: {} ({})", i.line, i.message, i.category);
        }
        if r.issues.len() > shown {
            println!("  … {} more (--all, or --json)", r.issues.len() - shown);
        }
    }
    println!("  examples missing a system message: {}, a user message: {}", r.missing_system, r.missing_user);

    println!();
    println!(
        "{} (openai-cookbook Chat_finetuning_data_prep, cl100k_base, on the {})",
        bold.apply_to("The cookbook notebook"),
        r.notebook_input
    );
    let crash = |what: &str, c: &quill_dataset::validate::notebook::Crash| {
        println!(
            "  the notebook's {what} cell would crash{}: {}: {}",
            c.line.map(|l| format!(" at line {l}")).unwrap_or_default(),
            c.exception,
            c.message.lines().next().unwrap_or("")
        );
    };
    if let Cell::Crashed(c) = &r.notebook.load {
        crash("data loading", c);
    }
    if let Cell::Crashed(c) = &r.notebook.format_errors {
        crash("format validation", c);
    }
    for l in &r.notebook.transcript {
        // The notebook labels np.quantile(…, 0.1/0.9) "p5 / p95"; say what they are.
        match l.strip_prefix("p5 / p95: ") {
            Some(rest) => {
                println!("  p10 / p90: {rest}   (printed by the notebook as \"p5 / p95\")")
            }
            None => println!("  {l}"),
        }
    }
    if let Cell::Crashed(c) = &r.notebook.warnings {
        crash("token counting", c);
        if c.exception == "TypeError" {
            println!("    (it encodes every message value, so an integer \"weight\" — valid for the API — breaks it;");
            println!("     our token statistics below count such files correctly)");
        }
    }

    println!();
    let t = &r.tokens;
    println!("{} ({}, {} clean examples)", bold.apply_to("Tokens"), t.encoding, t.examples);
    for (name, d) in [("per example", &t.total_tokens_per_example), ("assistant only", &t.assistant_tokens_per_example)]
    {
        if let Some(d) = d {
            println!(
                "  {name:<15} min {} max {} mean {:.1} median {} p10 {:.1} p90 {:.1}",
                d.min, d.max, d.mean, d.median, d.p10, d.p90
            );
        }
    }
    println!(
        "  over the 16,385-token limit: {}; default epochs {}, ~{} billed tokens per epoch, ~{} in total",
        t.over_limit_lines.len(),
        t.cost.n_epochs,
        t.cost.n_billing_tokens_in_dataset,
        t.cost.charged_tokens
    );

    println!();
    println!("{}", bold.apply_to("Beyond the notebook"));
    let d = &r.duplicates;
    println!(
        "  exact duplicates: {} extra cop{}{}; same target, different prompt: {} group(s); near-duplicate targets: {} pair(s)",
        d.exact_extra_copies,
        if d.exact_extra_copies == 1 { "y" } else { "ies" },
        if d.intentional_repeats { " (intentional: --weighting repeat)" } else { "" },
        d.same_target_groups.len(),
        d.near_pair_count
    );
    for (a, b, s) in d.near_pairs.iter().take(5) {
        println!("    lines {a} and {b}: Jaccard {s:.2}");
    }
    match &r.leakage {
        Some(l) => {
            println!("  test-split leakage ({} test examples from {}):", l.test_examples, l.test_source);
            println!("    into this file: {}", l.train.leaked_examples);
            if let Some(p) = &l.few_shot_pool {
                println!("    into the few-shot pool: {}", p.leaked_examples);
            }
            if let Some(k) = &l.knowledge_base {
                println!("    into the knowledge base: {}", k.leaked_examples);
            }
            for leak in l
                .train
                .leaks
                .iter()
                .chain(l.few_shot_pool.iter().flat_map(|p| &p.leaks))
                .chain(l.knowledge_base.iter().flat_map(|k| &k.leaks))
                .take(5)
            {
                println!("    {} → {} ({}, {:.2})", leak.test, leak.found_in, leak.kind, leak.similarity);
            }
        }
        None => println!("  test-split leakage: no test split known (pass --test-split, or run inside the workspace)"),
    }
    match &r.targets.banned {
        Some(hits) => {
            println!("  banned phrases in targets: {} line(s)", r.targets.banned_lines);
            for h in hits.iter().take(5) {
                let repl = h.replacement.as_ref().map(|x| format!(" → {x}")).unwrap_or_default();
                println!("    line {}: {:?} ({}){repl}", h.line, h.found, h.phrase);
            }
        }
        None => println!("  banned phrases: no phrase list (validate inside a workspace)"),
    }
    println!("  very short targets: {}; cut-off targets: {}", r.targets.short_lines.len(), r.targets.truncated.len());
    for (l, why) in r.targets.truncated.iter().take(5) {
        println!("    line {l}: {why}");
    }
    if let Some(b) = &r.balance {
        let p: Vec<String> = b.by_platform.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let k: Vec<String> = b.by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "  balance (from {}): platforms {}; kinds {}; evenness {:.2}",
            b.source,
            p.join(", "),
            k.join(", "),
            b.evenness
        );
    }

    println!();
    let v = &r.verdict;
    let style = match v.level {
        Level::Strong => console::Style::new().green().bold(),
        Level::Usable => console::Style::new().yellow().bold(),
        Level::NotYet => console::Style::new().red().bold(),
    };
    println!("{} {}", bold.apply_to("Verdict:"), style.apply_to(v.level.to_string().to_uppercase()));
    for reason in &v.reasons {
        let mark = match reason.allows {
            Level::Strong => "✓",
            Level::Usable => "~",
            Level::NotYet => "✗",
        };
        println!("  {mark} {}: {}", reason.area, reason.message);
    }
    println!("  (the seed's test: \"{}\")", quill_dataset::validate::verdict::checklist::PROVEN);
}
