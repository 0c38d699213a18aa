//! `quill lint` — run the style rules (built-in styles, the library's banned phrases, the
//! workspace's `.quill/styles`, any `--style` folder) over drafts and print what they find.
//! All the work is in `quill_voice::lint`; this file reads files and prints.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use console::style;
use quill_voice::lint::{Diagnostic, Level, LintOptions, Linter};
use quill_voice::text::split_front_matter;
use serde::Serialize;

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill lint draft.md                          # built-in styles + your workspace's rules
  quill lint drafts/*.md --platform linkedin   # adds LinkedIn's limits (hook, length, hashtags)
  pbpaste | quill lint - --platform x          # lint stdin
  quill lint post.md --style ~/vale/styles     # also run a Vale style package
  quill lint post.md --ignore HE002,Hype       # skip a rule code or a whole style
  quill lint --explain AI006                   # what a rule flags, why, and what to write instead
  quill lint drafts/ --json | jq '.summary'";

/// `--min-level`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MinLevel {
    /// Everything.
    Suggestion,
    /// Warnings and errors.
    Warning,
    /// Errors only.
    Error,
}

/// Arguments of `quill lint`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Files or folders to lint (`.md`, `.txt`); `-` reads stdin.
    #[arg(value_name = "FILE", required_unless_present_any = ["explain", "list_rules"])]
    files: Vec<String>,
    /// The platform the drafts are for: enables its limits (x, linkedin, instagram, youtube, …).
    /// Defaults to a file's `platform:` front matter.
    #[arg(long, value_name = "P")]
    platform: Option<String>,
    /// Also load this style folder (`Style/*.yml`) or Vale StylesPath; repeatable.
    #[arg(long = "style", value_name = "DIR")]
    styles: Vec<PathBuf>,
    /// Lowest level to report.
    #[arg(long, value_enum, default_value_t = MinLevel::Suggestion)]
    min_level: MinLevel,
    /// Skip rules by code (AI006), name (Hype.Shouting) or style (Hedges); comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Built-in styles and --style folders only: skip the workspace's phrases and styles.
    #[arg(long)]
    no_workspace: bool,
    /// Print a rule's documentation (by code or Style.Rule) and exit.
    #[arg(long, value_name = "RULE", conflicts_with = "list_rules")]
    explain: Option<String>,
    /// List every loaded rule with its code and level, and exit.
    #[arg(long)]
    list_rules: bool,
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize, Default)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    suggestions: usize,
    seconds: f64,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let linter = build_linter(&args, g)?;
    let report = linter.report();
    for e in &report.errors {
        eprintln!("{} {e}", style("warning:").yellow().bold().for_stderr());
    }
    if !g.json {
        for u in &report.unsupported {
            eprintln!("note: {} uses `extends: {}`, which Quill does not run ({})", u.rule, u.extends, u.source);
        }
    }
    if let Some(rule) = &args.explain {
        return explain(&linter, rule, g);
    }
    if args.list_rules {
        return list_rules(&linter, g);
    }

    let inputs = super::inputs::read_inputs(&args.files)?;
    let started = Instant::now();
    let pb = g.progress(inputs.len() as u64, "linting");
    let mut files = Vec::with_capacity(inputs.len());
    let mut summary = Summary { files: inputs.len(), ..Default::default() };
    for (path, text) in &inputs {
        let platform = args.platform.clone().or_else(|| front_matter_platform(text));
        let opts = LintOptions { platform, min_level: min_level(args.min_level), ignore: args.ignore.clone() };
        let diagnostics = linter.lint(text, &opts);
        for d in &diagnostics {
            match d.level {
                Level::Error => summary.errors += 1,
                Level::Warning => summary.warnings += 1,
                Level::Suggestion => summary.suggestions += 1,
            }
        }
        files.push(FileReport { path: path.clone(), diagnostics });
        pb.inc(1);
    }
    pb.finish_and_clear();
    summary.seconds = started.elapsed().as_secs_f64();

    if g.json {
        g.print_json(&serde_json::json!({
            "files": files,
            "summary": summary,
            "unsupported": report.unsupported,
            "rule_errors": report.errors,
        }))?;
    } else {
        for f in &files {
            for d in &f.diagnostics {
                print_diagnostic(&f.path, d);
            }
        }
        let total = summary.errors + summary.warnings + summary.suggestions;
        if total == 0 {
            eprintln!("{} {} file(s) clean", style("✓").green().for_stderr(), summary.files);
        } else {
            eprintln!(
                "{} error(s), {} warning(s), {} suggestion(s) in {} file(s)",
                summary.errors, summary.warnings, summary.suggestions, summary.files
            );
        }
    }
    Ok(if summary.errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn min_level(m: MinLevel) -> Level {
    match m {
        MinLevel::Suggestion => Level::Suggestion,
        MinLevel::Warning => Level::Warning,
        MinLevel::Error => Level::Error,
    }
}

fn build_linter(args: &Args, g: &Globals) -> Result<Linter> {
    let mut linter = if args.no_workspace {
        Linter::builtin()
    } else {
        match g.workspace() {
            Ok(ws) => {
                let db = ws.open_db()?;
                quill_voice::workspace::workspace_linter(&ws, &db)?
            }
            // Linting a file needs no workspace; an explicit -C that is wrong is still an error.
            Err(e) if g.workspace.is_some() => return Err(e),
            Err(_) => Linter::builtin(),
        }
    };
    for dir in &args.styles {
        if !dir.is_dir() {
            bail!(
                "--style {}: not a folder\n  hint: pass a Vale style folder (Style/*.yml) or a StylesPath",
                dir.display()
            );
        }
        linter.add_styles(dir).with_context(|| format!("loading styles from {}", dir.display()))?;
    }
    Ok(linter)
}

/// `(display path, text)` for every input; folders expand to their `.md`/`.txt` files.
fn front_matter_platform(text: &str) -> Option<String> {
    let (fm, _) = split_front_matter(text);
    fm?.lines().find_map(|l| l.strip_prefix("platform:").map(|v| v.trim().trim_matches('"').to_lowercase()))
}

fn print_diagnostic(path: &str, d: &Diagnostic) {
    let level = match d.level {
        Level::Error => style("error").red().bold(),
        Level::Warning => style("warning").yellow().bold(),
        Level::Suggestion => style("suggestion").cyan(),
    };
    let code = d.code.as_deref().map(|c| format!("{c} ")).unwrap_or_default();
    println!("{path}:{}:{}: {level} {}{} {}", d.line, d.column, style(code).bold(), style(&d.rule).dim(), d.message);
    if let Some(s) = &d.suggestion {
        println!("    {} {s}", style("→ use:").green());
    }
}

fn find_rule<'a>(linter: &'a Linter, key: &str) -> Option<&'a quill_voice::lint::Rule> {
    linter.rules().iter().find(|r| {
        r.meta.name.eq_ignore_ascii_case(key) || r.meta.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(key))
    })
}

fn explain(linter: &Linter, key: &str, g: &Globals) -> Result<ExitCode> {
    let Some(rule) = find_rule(linter, key) else {
        bail!("no rule '{key}' is loaded\n  hint: `quill lint --list-rules` lists codes and names");
    };
    let m = &rule.meta;
    if g.json {
        g.print_json(m)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} {} ({}, {})", style(m.code.as_deref().unwrap_or("-")).bold(), m.name, m.extends, m.level);
    if !m.platforms.is_empty() {
        println!("platforms: {}", m.platforms.join(", "));
    }
    match &m.docs {
        Some(d) => {
            println!(
                "\n## What it does\n{}\n\n## Why\n{}\n\n## Example\n{}\n\nUse instead:\n{}",
                d.what, d.why, d.example, d.instead
            );
        }
        None => println!("\n{}", m.description.as_deref().unwrap_or("(this rule has no documentation)")),
    }
    println!("\nsource: {}", m.source);
    Ok(ExitCode::SUCCESS)
}

fn list_rules(linter: &Linter, g: &Globals) -> Result<ExitCode> {
    if g.json {
        let rules: Vec<_> = linter.rules().iter().map(|r| &r.meta).collect();
        g.print_json(&rules)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in linter.rules() {
        let m = &r.meta;
        let what = m.docs.as_ref().map(|d| d.what.as_str()).unwrap_or("");
        println!(
            "{:<8} {:<32} {:<10} {:<14} {}",
            m.code.as_deref().unwrap_or("-"),
            m.name,
            m.level.to_string(),
            m.extends,
            what
        );
    }
    Ok(ExitCode::SUCCESS)
}
