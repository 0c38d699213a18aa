//! `quill prompt` — assemble a structured prompt from a brief (copy-paste mode), or lint a prompt.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use quill_prompt::Brief;
use quill_prompt::compose::{Composed, compose};
use quill_prompt::lint::{LintReport, lint_brief, lint_prompt};

use crate::Globals;

/// Assemble the prompt for a brief — examples chosen from your library, cited passages from your
/// knowledge base, your voice rules — ready to paste into any chatbot. Works with no model at all.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_long_help = "Examples:
  quill prompt --brief briefs/onboarding.toml
  quill prompt --brief briefs/onboarding.toml --explain
  quill prompt --platform x --audience \"agency owners\" --main-point \"raise prices before hiring\"
  quill prompt lint my-prompt.txt
  echo \"Write a LinkedIn post in my voice\" | quill prompt lint -"
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    brief: BriefArgs,
    /// Say why each example was chosen and what was trimmed.
    #[arg(long)]
    explain: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Score a prompt (or a brief file) and list what it is missing.
    Lint {
        /// Prompt text file, a brief (.toml), or - for stdin.
        file: PathBuf,
    },
}

/// The brief, from a file and/or flags (flags win).
#[derive(Debug, Clone, clap::Args)]
pub struct BriefArgs {
    /// Brief file (TOML).
    #[arg(long, short = 'b')]
    pub brief: Option<PathBuf>,
    /// Platform preset: linkedin, x, x_thread, newsletter, email, instagram, youtube, blog, other.
    #[arg(long)]
    pub platform: Option<String>,
    /// Who it is for.
    #[arg(long)]
    pub audience: Option<String>,
    /// How it should sound.
    #[arg(long)]
    pub tone: Option<String>,
    /// The one takeaway.
    #[arg(long)]
    pub main_point: Option<String>,
    /// Something the draft must include (repeatable).
    #[arg(long = "include")]
    pub include: Vec<String>,
    /// Something to avoid (repeatable).
    #[arg(long)]
    pub avoid: Vec<String>,
    /// The call to action.
    #[arg(long)]
    pub cta: Option<String>,
    /// Length ("150-220 words").
    #[arg(long)]
    pub length: Option<String>,
    /// Number of examples from the library.
    #[arg(long)]
    pub examples: Option<u32>,
    /// Leave the knowledge base out.
    #[arg(long)]
    pub no_knowledge: bool,
    /// Context window to fit the prompt into (default: the model's).
    #[arg(long)]
    pub context: Option<usize>,
    /// Model whose tokenizer counts the prompt (default: the local default model).
    #[arg(long)]
    pub model: Option<String>,
}

impl BriefArgs {
    /// The brief: the file (if any) with flags applied over it.
    pub fn resolve(&self) -> Result<Brief> {
        let mut b = match &self.brief {
            Some(p) => Brief::load(p)?,
            None => Brief::default(),
        };
        let set = |dst: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                *dst = v.clone();
            }
        };
        set(&mut b.platform, &self.platform);
        set(&mut b.audience, &self.audience);
        set(&mut b.tone, &self.tone);
        set(&mut b.main_point, &self.main_point);
        set(&mut b.cta, &self.cta);
        set(&mut b.length, &self.length);
        b.must_include.extend(self.include.iter().cloned());
        b.avoid.extend(self.avoid.iter().cloned());
        if let Some(n) = self.examples {
            b.examples = n;
        }
        if self.no_knowledge {
            b.knowledge = false;
        }
        b.validate(self.brief.as_deref().unwrap_or(Path::new("flags")))?;
        Ok(b)
    }
}

/// Token counting for the budget: the model's own tokenizer when the model file is here, else
/// an estimate (4 characters a token) with the context given.
pub struct Counter {
    tokenizer: Option<quill_llm::Tokenizer>,
    /// Context window in tokens.
    pub context: usize,
}

impl Counter {
    /// Loads the tokenizer of `model` (or the default model).
    pub fn new(model: Option<&str>, context: Option<usize>) -> Self {
        let loaded = quill_backends::resolve_model(model.unwrap_or("default"))
            .ok()
            .and_then(|p| quill_llm::gguf::GgufFile::open(p).ok())
            .and_then(|f| {
                let t = quill_llm::Tokenizer::from_gguf(&f).ok()?;
                let ctx = quill_llm::LlamaConfig::from_gguf(&f).ok().map(|c| c.n_ctx_train);
                Some((t, ctx))
            });
        match loaded {
            Some((t, ctx)) => Self { tokenizer: Some(t), context: context.or(ctx).unwrap_or(8192) },
            None => Self { tokenizer: None, context: context.unwrap_or(8192) },
        }
    }

    /// Tokens in `text`.
    pub fn count(&self, text: &str) -> usize {
        match &self.tokenizer {
            Some(t) => t.encode(text, false, false).len(),
            None => text.chars().count().div_ceil(4),
        }
    }
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    if let Some(Cmd::Lint { file }) = args.cmd {
        return lint(&file, g);
    }
    let ws = g.workspace()?;
    let brief = args.brief.resolve()?;
    let counter = Counter::new(args.brief.model.as_deref(), args.brief.context);
    let reserve = 600.min(counter.context / 4);
    let composed =
        compose(&ws, &brief, counter.context, reserve, &|s| counter.count(s)).context("composing the prompt")?;
    if g.json {
        g.print_json(&serde_json::json!({ "brief": brief, "prompt": composed.prompt, "notes": composed.notes, "lint": lint_brief(&brief) }))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_prompt(&composed, args.explain);
    Ok(ExitCode::SUCCESS)
}

/// Prints the prompt (and, with `explain`, the choices) in text form.
pub fn print_prompt(c: &Composed, explain: bool) {
    let dim = console::Style::new().dim();
    println!("{}", dim.apply_to("─── system ───"));
    println!("{}", c.prompt.system);
    println!("{}", dim.apply_to("─── user ───"));
    println!("{}", c.prompt.user);
    eprintln!("{}", dim.apply_to(format!("{} tokens of {} available", c.prompt.tokens, c.prompt.budget)));
    for n in &c.notes {
        eprintln!("note: {n}");
    }
    if explain {
        eprintln!("\nExamples chosen:");
        for e in &c.prompt.examples {
            eprintln!("  #{} ({}): {}", e.id, e.platform, e.why);
        }
        if !c.prompt.passages.is_empty() {
            eprintln!("Passages:");
            for p in &c.prompt.passages {
                eprintln!(
                    "  [{}] {} › {} — {} chars {}–{} (score {:.3})",
                    p.number, p.title, p.heading, p.source, p.range.0, p.range.1, p.score
                );
            }
        }
        for t in &c.prompt.trimmed {
            eprintln!("  trimmed: {t}");
        }
    }
}

fn lint(file: &Path, g: &Globals) -> Result<ExitCode> {
    let text = if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading stdin")?;
        s
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    };
    if text.trim().is_empty() {
        bail!("{}: the prompt is empty", file.display());
    }
    let is_brief = file.extension().is_some_and(|e| e == "toml");
    let report: LintReport = if is_brief { lint_brief(&Brief::parse(&text, file)?) } else { lint_prompt(&text) };
    if g.json {
        g.print_json(&report)?;
    } else {
        let style = match report.grade {
            "strong" => console::Style::new().green().bold(),
            "okay" => console::Style::new().yellow().bold(),
            _ => console::Style::new().red().bold(),
        };
        println!("{}: {} ({}/100)", file.display(), style.apply_to(report.grade), report.score);
        for m in &report.missing {
            println!("  missing {} (-{}): {}", m.name, m.points, m.fix);
        }
        for w in &report.warnings {
            println!("  warning: {w}");
        }
    }
    Ok(if report.score < 50 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
