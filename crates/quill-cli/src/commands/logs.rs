//! `quill logs` — the generation log, newest first.

use std::process::ExitCode;

use anyhow::{Result, bail};
use quill_prompt::log;

use crate::Globals;

/// Show logged generations: prompt, response, model, parameters, timings, token counts, checks.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  quill logs                  # the last 10
  quill logs -n 50 --backend ollama
  quill logs --id 12 --json
  quill logs --id 12 --accept # mark a draft as accepted (it can become training data)")]
pub struct Args {
    /// How many to show.
    #[arg(short = 'n', long, default_value_t = 10)]
    count: usize,
    /// Only this command's generations (draft, generate, ...).
    #[arg(long)]
    command: Option<String>,
    /// Only this backend's.
    #[arg(long)]
    backend: Option<String>,
    /// One record, in full.
    #[arg(long)]
    id: Option<i64>,
    /// Mark the record as accepted.
    #[arg(long, requires = "id", conflicts_with = "reject")]
    accept: bool,
    /// Mark the record as rejected.
    #[arg(long, requires = "id")]
    reject: bool,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let ws = g.workspace()?;
    let mut db = ws.open_db()?;
    if let Some(id) = args.id {
        if args.accept || args.reject {
            let status = if args.accept { "accepted" } else { "rejected" };
            if !log::set_status(&mut db, id, Some(status))? {
                bail!("no generation #{id} in the log (see `quill logs`)");
            }
        }
        let Some(r) = log::get(&db, id)? else { bail!("no generation #{id} in the log (see `quill logs`)") };
        if g.json {
            g.print_json(&r)?;
        } else {
            println!(
                "#{} {} {} via {} ({}){}",
                r.id,
                r.created_at,
                r.command,
                r.backend,
                r.model,
                r.status.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default()
            );
            println!("params: {}", r.params);
            if let Some(s) = &r.system {
                println!("\n── system ──\n{s}");
            }
            println!("\n── prompt ──\n{}\n\n── response ──\n{}", r.prompt, r.response);
            println!("\nchecks: {}\nrepairs: {}", r.checks, r.repairs);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let records = log::list(&db, args.count, args.command.as_deref(), args.backend.as_deref())?;
    if g.json {
        g.print_json(&records)?;
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        println!("No generations logged yet (quill draft --brief FILE).");
    }
    for r in records {
        let preview: String = r.response.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(70).collect();
        println!(
            "#{:<4} {}  {:<8} {:<10} {:>5} tok {:>6} ms  {}",
            r.id,
            &r.created_at[..r.created_at.len().min(19)],
            r.command,
            r.backend,
            r.completion_tokens.unwrap_or(0),
            r.duration_ms.unwrap_or(0),
            preview
        );
    }
    Ok(ExitCode::SUCCESS)
}
