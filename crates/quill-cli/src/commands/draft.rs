//! `quill draft` — drafts from a brief, streamed, checked against the brief, repaired, logged.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use quill_backends::{GenParams, LocalOptions, open_generator};
use quill_prompt::checks::Status;
use quill_prompt::compose::compose;
use quill_prompt::draft::{BanSupport, Event, draft};
use quill_prompt::log::{Record, record};
use quill_prompt::{Presets, lint::lint_brief};

use crate::Globals;
use crate::commands::prompt::{BriefArgs, Counter, print_prompt};

/// Generate drafts from a brief with the local model or any OpenAI-compatible backend. Each draft
/// is checked against the brief (platform limits, must-include elements, banned phrases),
/// repaired where it breaks a voice rule, and logged with its prompt, model and timings.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  quill draft --brief briefs/onboarding.toml
  quill draft --brief briefs/onboarding.toml -n 3 --temperature 0.8 --seed 7
  quill draft --brief briefs/onboarding.toml --backend ollama
  quill draft --brief briefs/onboarding.toml --adapter maya-v1")]
pub struct Args {
    #[command(flatten)]
    brief: BriefArgs,
    /// Number of variants (overrides the brief).
    #[arg(short = 'n', long)]
    variants: Option<u32>,
    /// `local` or a [backends.NAME] from quill.toml.
    #[arg(long)]
    backend: Option<String>,
    /// LoRA adapter (a name from `quill tune list`, or a path) for the local model.
    #[arg(long)]
    adapter: Option<String>,
    /// Sampling temperature.
    #[arg(long)]
    temperature: Option<f32>,
    /// Nucleus sampling.
    #[arg(long)]
    top_p: Option<f32>,
    /// Most new tokens per draft.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Seed (variants use seed, seed+1, ...).
    #[arg(long)]
    seed: Option<u64>,
    /// Print the prompt first.
    #[arg(long)]
    show_prompt: bool,
}

fn adapter_path(ws: &quill_store::Workspace, name: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(name);
    if p.exists() { p } else { ws.data_dir().join("adapters").join(name) }
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let ws = g.workspace()?;
    let mut brief = args.brief.resolve()?;
    if let Some(n) = args.variants {
        brief.variants = n;
    }
    let cfg = ws.config().generation.clone();
    let backend = args.backend.clone().unwrap_or_else(|| cfg.backend.clone());
    let local = backend == quill_backends::LOCAL;
    let opts =
        LocalOptions { adapter: args.adapter.as_deref().map(|a| adapter_path(&ws, a)), ..LocalOptions::default() };
    let spinner = g.spinner("loading the model");
    let generator =
        open_generator(Some(&ws), Some(&backend), args.brief.model.as_deref(), &opts).context("opening the backend")?;
    spinner.finish_and_clear();

    let counter = Counter::new(
        if local { args.brief.model.as_deref() } else { None },
        args.brief.context.or(generator.context_length().map(|c| c as usize)),
    );
    let max_tokens = args.max_tokens.unwrap_or(cfg.max_tokens);
    let reserve = (max_tokens as usize).min(counter.context / 2);
    let composed =
        compose(&ws, &brief, counter.context, reserve, &|s| counter.count(s)).context("composing the prompt")?;
    if args.show_prompt && !g.json {
        print_prompt(&composed, true);
    }
    let preset = Presets::load(ws.root())?.get(&brief.platform);
    let params = GenParams {
        max_tokens: Some(max_tokens),
        temperature: Some(args.temperature.unwrap_or(cfg.temperature)),
        top_p: Some(args.top_p.unwrap_or(cfg.top_p)),
        seed: args.seed,
        ..GenParams::default()
    };
    let ban = if local { BanSupport::InSampler } else { BanSupport::AfterTheFact };
    let json = g.json;
    let mut out = std::io::stdout();
    let drafts = draft(generator.as_ref(), ban, &composed, &brief, &preset, &params, &mut |ev| {
        if json {
            return;
        }
        match ev {
            Event::Variant(v) => {
                let _ = writeln!(out, "\n{}", console::Style::new().bold().apply_to(format!("── draft {v} ──")));
            }
            Event::Piece(p) => {
                let _ = write!(out, "{p}");
                let _ = out.flush();
            }
            Event::Repairing(what) => eprintln!("\n  repairing: {what}"),
        }
    })?;

    let mut db = ws.open_db()?;
    let batch = format!("draft-{}", quill_store::now_rfc3339());
    let mut logged = Vec::new();
    for d in &drafts {
        let id = record(
            &mut db,
            &Record {
                command: "draft".into(),
                batch: Some(batch.clone()),
                variant: Some(d.variant),
                backend: backend.clone(),
                model: generator.model_id().to_string(),
                adapter: args.adapter.clone(),
                brief: Some(serde_json::to_value(&brief)?),
                system: Some(composed.prompt.system.clone()),
                prompt: composed.prompt.user.clone(),
                response: d.text.clone(),
                params: serde_json::to_value(&params)?,
                prompt_tokens: Some(d.completion.usage.prompt_tokens),
                completion_tokens: Some(d.completion.usage.completion_tokens),
                duration_ms: Some(d.duration_ms),
                first_token_ms: d.first_token_ms,
                finish_reason: Some(d.completion.finish_reason.wire_name().to_string()),
                checks: serde_json::to_value(&d.checks)?,
                repairs: serde_json::to_value(&d.repairs)?,
                ..Record::default()
            },
        )?;
        logged.push(id);
    }

    if json {
        let items: Vec<_> = drafts
            .iter()
            .zip(&logged)
            .map(|(d, id)| serde_json::json!({ "log_id": id, "variant": d.variant, "text": d.text, "checks": d.checks, "repairs": d.repairs,
                "usage": d.completion.usage, "duration_ms": d.duration_ms, "first_token_ms": d.first_token_ms }))
            .collect();
        g.print_json(
            &serde_json::json!({ "backend": backend, "model": generator.model_id(), "brief_lint": lint_brief(&brief),
            "prompt_tokens": composed.prompt.tokens, "trimmed": composed.prompt.trimmed, "drafts": items }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut any_fail = false;
    for (d, id) in drafts.iter().zip(&logged) {
        println!(
            "\n{}",
            console::Style::new().bold().apply_to(format!("── draft {} (final, log #{id}) ──", d.variant))
        );
        if !d.repairs.is_empty() {
            println!("{}", d.text);
            for r in &d.repairs {
                println!("  repaired {}: {} ({} → {})", r.check, r.action, r.before.trim(), r.after.trim());
            }
        }
        for c in &d.checks {
            let (mark, style) = match c.status {
                Status::Pass => ("✓", console::Style::new().green()),
                Status::Fail => {
                    any_fail = true;
                    ("✗", console::Style::new().red())
                }
                Status::Review => ("?", console::Style::new().yellow()),
            };
            println!("  {} {}: {}", style.apply_to(mark), c.name, c.message);
        }
    }
    Ok(if any_fail { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
