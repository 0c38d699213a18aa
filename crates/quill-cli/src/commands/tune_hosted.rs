//! `quill tune --hosted openai …` — fine-tune with OpenAI instead of locally: upload the dataset,
//! create the job, follow it with a progress display, list checkpoints, cancel, and record the
//! resulting model in the workspace (a `[backends.NAME]` entry) so drafts can use it.
//!
//! `tune.rs` dispatches here through a flag-style subcommand, so `--hosted` reads like a flag:
//! `#[command(long_flag = "hosted")] Hosted(tune_hosted::HostedArgs)` in its subcommand enum and
//! `Some(Sub::Hosted(h)) => tune_hosted::run_hosted(h, g)` in its `run`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quill_dataset::hosted::{self, Client, ClientOptions, types::Job};

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill dataset build -o dataset                              # first: the files
  quill tune --hosted openai --data dataset                   # upload, create, follow
  quill tune --hosted openai --data dataset --epochs 3 --suffix maya --detach
  quill tune --hosted openai status ftjob-abc123
  quill tune --hosted openai events ftjob-abc123
  quill tune --hosted openai checkpoints ftjob-abc123
  quill tune --hosted openai cancel ftjob-abc123
  quill tune --hosted openai list

The key comes from $OPENAI_API_KEY (or --api-key-env NAME); the base URL from --base-url,
$OPENAI_BASE_URL or https://api.openai.com/v1. When a job succeeds, its model is recorded in the
workspace and added to quill.toml as [backends.openai-ft-SUFFIX]: draft with --backend openai-ft-SUFFIX.";

/// Fine-tune with a hosted service.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct HostedArgs {
    /// The service.
    #[command(subcommand)]
    pub provider: Provider,
}

/// Hosted services.
#[derive(Debug, clap::Subcommand)]
pub enum Provider {
    /// OpenAI fine-tuning (supervised).
    #[command(after_long_help = EXAMPLES, args_conflicts_with_subcommands = true)]
    Openai(OpenAiArgs),
}

/// `quill tune --hosted openai …`.
#[derive(Debug, clap::Args)]
pub struct OpenAiArgs {
    /// Manage an existing job instead of starting one.
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Start flags.
    #[command(flatten)]
    pub start: StartArgs,
    /// Connection flags.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// Starting a job.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// A `quill dataset build` folder (uses openai/train.jsonl and validation.jsonl), a folder
    /// with train.jsonl, or one JSONL file.
    #[arg(long, value_name = "DIR|FILE")]
    pub data: Option<PathBuf>,
    /// Base model.
    #[arg(long, default_value = "gpt-4o-mini-2024-07-18")]
    pub model: String,
    /// Epochs (default: the service decides).
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Batch size (default: the service decides).
    #[arg(long)]
    pub batch_size: Option<u32>,
    /// Learning-rate multiplier (default: the service decides).
    #[arg(long, value_name = "X")]
    pub lr_multiplier: Option<f64>,
    /// Up to 64 characters added to the model name (and to the backend name).
    #[arg(long)]
    pub suffix: Option<String>,
    /// Seed for reproducibility.
    #[arg(long)]
    pub seed: Option<i64>,
    /// Create the job and return; follow it later with `status` or `follow`.
    #[arg(long)]
    pub detach: bool,
    /// Upload even when `quill dataset validate` finds format errors.
    #[arg(long)]
    pub skip_validation: bool,
}

/// Connection and polling.
#[derive(Debug, clap::Args)]
pub struct ConnArgs {
    /// API base URL including /v1 (default: $OPENAI_BASE_URL or https://api.openai.com/v1).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key.
    #[arg(long, global = true, default_value = "OPENAI_API_KEY", value_name = "NAME")]
    pub api_key_env: String,
    /// Seconds between status polls.
    #[arg(long, global = true, default_value_t = 10.0, value_name = "S")]
    pub poll_secs: f64,
    /// Do not add a [backends.NAME] entry for the resulting model.
    #[arg(long, global = true)]
    pub no_backend: bool,
}

/// Managing jobs.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Show a job.
    Status {
        /// Job id (ftjob-…).
        job: String,
    },
    /// Follow a job until it ends, with progress.
    Follow {
        /// Job id.
        job: String,
    },
    /// A job's events, oldest first.
    Events {
        /// Job id.
        job: String,
        /// How many (newest).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// A job's checkpoints (each usable as a model).
    Checkpoints {
        /// Job id.
        job: String,
    },
    /// Cancel a job.
    Cancel {
        /// Job id.
        job: String,
    },
    /// Jobs on the service, and the ones recorded in this workspace.
    List {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

/// Runs `quill tune --hosted …`.
pub fn run_hosted(args: HostedArgs, g: &Globals) -> Result<ExitCode> {
    match args.provider {
        Provider::Openai(a) => run_openai(a, g),
    }
}

fn client(c: &ConnArgs) -> Result<Client> {
    let opts = ClientOptions::from_env(Some(&c.api_key_env), c.base_url.as_deref())?;
    Ok(Client::new(opts)?)
}

fn run_openai(a: OpenAiArgs, g: &Globals) -> Result<ExitCode> {
    let cl = client(&a.conn)?;
    match a.action {
        None => start(&cl, a.start, &a.conn, g),
        Some(Action::Status { job }) => {
            let j = cl.retrieve_job(&job)?;
            record_quietly(&cl, &a.conn, &j, g);
            print_job(&j, g)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Action::Follow { job }) => follow(&cl, &job, &a.conn, g),
        Some(Action::Events { job, limit }) => {
            let mut page = cl.list_events(&job, None, limit)?;
            page.data.sort_by_key(|e| e.created_at.unwrap_or(0));
            if g.json {
                g.print_json(&page.data)?;
            } else {
                for e in &page.data {
                    println!("{} [{}] {}", e.created_at.unwrap_or(0), e.level.as_deref().unwrap_or("info"), e.message);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Action::Checkpoints { job }) => {
            let page = cl.list_checkpoints(&job, None, 100)?;
            if g.json {
                g.print_json(&page.data)?;
            } else if page.data.is_empty() {
                println!("no checkpoints yet");
            } else {
                for c in &page.data {
                    let m = c.metrics.as_ref();
                    let loss = m.and_then(|m| m.get("train_loss")).and_then(serde_json::Value::as_f64);
                    let vloss = m.and_then(|m| m.get("valid_loss")).and_then(serde_json::Value::as_f64);
                    println!(
                        "step {:>5}  {}  train_loss {}  valid_loss {}",
                        c.step_number.unwrap_or(0),
                        c.fine_tuned_model_checkpoint.as_deref().unwrap_or("?"),
                        loss.map_or("-".into(), |l| format!("{l:.4}")),
                        vloss.map_or("-".into(), |l| format!("{l:.4}"))
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Action::Cancel { job }) => {
            let j = cl.cancel_job(&job)?;
            record_quietly(&cl, &a.conn, &j, g);
            print_job(&j, g)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Action::List { limit }) => {
            let page = cl.list_jobs(None, limit)?;
            let recorded = g
                .workspace()
                .ok()
                .and_then(|ws| ws.open_db().ok())
                .and_then(|db| hosted::recorded(&db).ok())
                .unwrap_or_default();
            if g.json {
                g.print_json(&serde_json::json!({ "jobs": page.data, "recorded": recorded }))?;
            } else {
                for j in &page.data {
                    println!(
                        "{}  {:<16} {}  {}",
                        j.id,
                        j.status,
                        j.model.as_deref().unwrap_or("?"),
                        j.fine_tuned_model.as_deref().unwrap_or("")
                    );
                }
                if !recorded.is_empty() {
                    println!("recorded in this workspace:");
                    for r in &recorded {
                        println!(
                            "  {}  {:<16} {}{}",
                            r.job_id,
                            r.status,
                            r.fine_tuned_model.as_deref().unwrap_or("-"),
                            r.backend_name.as_ref().map(|b| format!("  (--backend {b})")).unwrap_or_default()
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn start(cl: &Client, s: StartArgs, conn: &ConnArgs, g: &Globals) -> Result<ExitCode> {
    let Some(data) = s.data.clone() else {
        bail!(
            "--data DIR is required to start a job (or use status/events/checkpoints/cancel/list)\n  hint: quill dataset build -o dataset, then --data dataset"
        );
    };
    let files = hosted::find_data(&data)?;
    if !s.skip_validation {
        let r = quill_dataset::validate::validate_file(&files.train, &quill_dataset::validate::Options::default())?;
        if r.error_lines > 0 {
            bail!(
                "{} has {} line(s) with format errors; the service would reject it\n  hint: quill dataset validate {} (or --skip-validation)",
                files.train.display(),
                r.error_lines,
                files.train.display()
            );
        }
    }
    let opts = hosted::StartOptions {
        model: s.model.clone(),
        epochs: s.epochs,
        batch_size: s.batch_size,
        learning_rate_multiplier: s.lr_multiplier,
        suffix: s.suffix.clone(),
        seed: s.seed,
    };
    let sp = g.spinner("starting");
    let (job, train_id, val_id) = hosted::start(cl, &files, &opts, &mut |m| sp.set_message(m.to_string()))?;
    sp.finish_and_clear();
    if let Ok(ws) = g.workspace() {
        let mut db = ws.open_db()?;
        hosted::record(&mut db, cl.base_url(), &job, Some((&files, &train_id, val_id.as_deref())))?;
    } else if !g.json {
        eprintln!("warning: not in a workspace; the job is not recorded (run inside one to keep track of its model)");
    }
    if !g.json {
        eprintln!("created {} ({}, {})", job.id, job.model.as_deref().unwrap_or(&s.model), job.status);
    }
    if s.detach {
        print_job(&job, g)?;
        if !g.json {
            println!("Follow it with: quill tune --hosted openai follow {}", job.id);
        }
        return Ok(ExitCode::SUCCESS);
    }
    follow(cl, &job.id, conn, g)
}

fn follow(cl: &Client, id: &str, conn: &ConnArgs, g: &Globals) -> Result<ExitCode> {
    let pb = g.spinner(format!("{id}: waiting"));
    let interval = Duration::from_secs_f64(conn.poll_secs.max(0.01));
    let quiet = g.json;
    let job = hosted::follow(cl, id, interval, None, &mut |job, events| {
        for e in events {
            if !quiet {
                pb.suspend(|| eprintln!("  [{}] {}", e.level.as_deref().unwrap_or("info"), e.message));
            }
        }
        let step = events.iter().rev().find_map(|e| {
            let d = e.data.as_ref()?;
            Some(format!(
                " — step {}/{} train_loss {:.3}",
                d.get("step")?.as_u64()?,
                d.get("total_steps")?.as_u64()?,
                d.get("train_loss").and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN)
            ))
        });
        pb.set_message(format!("{id}: {}{}", job.status, step.unwrap_or_default()));
    })?;
    pb.finish_and_clear();
    record_quietly(cl, conn, &job, g);
    print_job(&job, g)?;
    Ok(if job.status == "succeeded" { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Records the job's latest state and, once it has a model, the backend entry. Not being in a
/// workspace only means nothing is recorded.
fn record_quietly(cl: &Client, conn: &ConnArgs, job: &Job, g: &Globals) {
    let Ok(ws) = g.workspace() else { return };
    let result = (|| -> Result<Option<String>> {
        let mut db = ws.open_db()?;
        hosted::record(&mut db, cl.base_url(), job, None)?;
        if conn.no_backend || job.status != "succeeded" {
            return Ok(None);
        }
        Ok(hosted::add_backend(&ws, &mut db, cl.base_url(), &conn.api_key_env, job)?)
    })();
    match result {
        Ok(Some(name)) if !g.json => {
            eprintln!("recorded: draft with the fine-tuned model using --backend {name}")
        }
        Ok(_) => {}
        Err(e) => eprintln!("warning: could not record the job in the workspace: {e:#}"),
    }
}

fn print_job(j: &Job, g: &Globals) -> Result<()> {
    if g.json {
        return g.print_json(j).context("printing the job");
    }
    println!("{}  {}", j.id, j.status);
    if let Some(m) = &j.model {
        println!("  base model:       {m}");
    }
    if let Some(m) = &j.fine_tuned_model {
        println!("  fine-tuned model: {m}");
    }
    if let Some(t) = j.trained_tokens {
        println!("  trained tokens:   {t}");
    }
    if let Some(e) = &j.error
        && e.message.is_some()
    {
        println!("  error:            {} ({})", e.message.as_deref().unwrap_or(""), e.code.as_deref().unwrap_or("?"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// How tune.rs mounts the command: `--hosted` is a flag-style subcommand.
    #[derive(Debug, Parser)]
    struct Tune {
        #[command(subcommand)]
        sub: Sub,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Sub {
        #[command(long_flag = "hosted")]
        Hosted(HostedArgs),
    }

    #[test]
    fn reads_like_a_flag() {
        let t =
            Tune::try_parse_from(["tune", "--hosted", "openai", "--data", "ds", "--epochs", "3", "--suffix", "maya"])
                .unwrap();
        let Sub::Hosted(HostedArgs { provider: Provider::Openai(a) }) = t.sub;
        assert!(a.action.is_none());
        assert_eq!(a.start.data.as_deref(), Some(std::path::Path::new("ds")));
        assert_eq!(a.start.epochs, Some(3));
        let t = Tune::try_parse_from(["tune", "--hosted", "openai", "status", "ftjob-1", "--base-url", "http://x/v1"])
            .unwrap();
        let Sub::Hosted(HostedArgs { provider: Provider::Openai(a) }) = t.sub;
        assert!(matches!(a.action, Some(Action::Status { ref job }) if job == "ftjob-1"));
        assert_eq!(a.conn.base_url.as_deref(), Some("http://x/v1"));
        assert!(Tune::try_parse_from(["tune", "--hosted", "openai", "status", "ftjob-1", "--data", "x"]).is_err());
    }
}
