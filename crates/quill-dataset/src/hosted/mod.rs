//! Hosted fine-tuning (OpenAI) for creators with an API key: upload a built dataset, create the
//! job, follow it, and record the resulting model in the workspace so drafts can use it.

pub mod client;
pub mod types;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

pub use client::{Client, ClientOptions, DEFAULT_BASE_URL};
use types::{CreateJob, Event, Hyperparameters, Job, Method, Supervised};

use crate::error::{Error, Result};

/// What can go wrong talking to the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostedError {
    /// No API key in the environment.
    #[error("no API key: ${var} is not set\n  hint: export {var}=sk-… (or name another variable with --api-key-env)")]
    NoKey {
        /// The variable looked at.
        var: String,
    },
    /// The service answered with an error.
    #[error("{url}: HTTP {status}: {message}{}{}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default(), if hint.is_empty() { String::new() } else { format!("\n  hint: {hint}") })]
    Api {
        /// HTTP status.
        status: u16,
        /// The request URL.
        url: String,
        /// The API's message.
        message: String,
        /// The API's error type.
        kind: Option<String>,
        /// The offending parameter.
        param: Option<String>,
        /// The API's error code.
        code: Option<String>,
        /// What to do.
        hint: String,
    },
    /// The service could not be reached.
    #[error("{url}: {message}\n  hint: check the network and OPENAI_BASE_URL")]
    Http {
        /// The request URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The answer was not the documented shape.
    #[error("{url}: unexpected answer: {message}")]
    Decode {
        /// The request URL.
        url: String,
        /// What failed to decode.
        message: String,
    },
    /// A local file could not be read.
    #[error("reading {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Bad settings.
    #[error("{0}")]
    Config(String),
}

/// The training and validation files of a built dataset folder.
#[derive(Debug, Clone, Serialize)]
pub struct DataFiles {
    /// Training file.
    pub train: PathBuf,
    /// Validation file, when present and not empty.
    pub validation: Option<PathBuf>,
    /// The build's manifest, when present.
    pub manifest: Option<PathBuf>,
}

/// Finds the OpenAI chat files in `data`: a `quill dataset build` folder (`openai/train.jsonl`),
/// a folder with `train.jsonl`, or a single JSONL file.
pub fn find_data(data: &Path) -> Result<DataFiles> {
    if data.is_file() {
        return Ok(DataFiles { train: data.to_path_buf(), validation: None, manifest: None });
    }
    for dir in [data.join("openai"), data.to_path_buf()] {
        let train = dir.join("train.jsonl");
        if train.is_file() {
            let val = dir.join("validation.jsonl");
            let validation = std::fs::metadata(&val).ok().filter(|m| m.len() > 0).map(|_| val);
            let manifest = [data.join("manifest.json")].into_iter().find(|p| p.is_file());
            return Ok(DataFiles { train, validation, manifest });
        }
    }
    Err(Error::Invalid(format!(
        "{}: no openai/train.jsonl or train.jsonl\n  hint: run `quill dataset build --format openai -o {}` first",
        data.display(),
        data.display()
    )))
}

/// What `start` needs.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Base model.
    pub model: String,
    /// Epochs (None = the service's `auto`).
    pub epochs: Option<u32>,
    /// Batch size.
    pub batch_size: Option<u32>,
    /// Learning-rate multiplier.
    pub learning_rate_multiplier: Option<f64>,
    /// Model-name suffix (≤ 64 characters).
    pub suffix: Option<String>,
    /// Seed.
    pub seed: Option<i64>,
}

/// Uploads the files and creates the job. `progress` gets one line per step.
pub fn start(
    client: &Client,
    files: &DataFiles,
    opts: &StartOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(Job, String, Option<String>)> {
    if let Some(s) = &opts.suffix
        && s.chars().count() > 64
    {
        return Err(Error::Invalid(format!(
            "--suffix is {} characters; the service allows at most 64",
            s.chars().count()
        )));
    }
    progress(&format!("uploading {}", files.train.display()));
    let train = client.upload_file(&files.train)?;
    let validation = match &files.validation {
        Some(v) => {
            progress(&format!("uploading {}", v.display()));
            Some(client.upload_file(v)?.id)
        }
        None => None,
    };
    let hp = Hyperparameters {
        n_epochs: opts.epochs.map(Into::into),
        batch_size: opts.batch_size.map(Into::into),
        learning_rate_multiplier: opts.learning_rate_multiplier.map(Into::into),
    };
    let req = CreateJob {
        model: opts.model.clone(),
        training_file: train.id.clone(),
        validation_file: validation.clone(),
        suffix: opts.suffix.clone(),
        seed: opts.seed,
        method: Method { kind: "supervised".into(), supervised: Some(Supervised { hyperparameters: hp }) },
    };
    progress("creating the fine-tuning job");
    let job = client.create_job(&req)?;
    Ok((job, train.id, validation))
}

/// Polls a job until it ends, passing every new event and each status to `on_update`.
/// `interval` is the pause between polls; `max_polls` bounds the loop (None = until terminal).
pub fn follow(
    client: &Client,
    id: &str,
    interval: Duration,
    max_polls: Option<u64>,
    on_update: &mut dyn FnMut(&Job, &[Event]),
) -> Result<Job> {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut polls = 0u64;
    loop {
        let job = client.retrieve_job(id)?;
        let page = client.list_events(id, None, 100)?;
        let mut fresh: Vec<Event> = page.data.into_iter().filter(|e| seen.insert(e.id.clone())).collect();
        // The API lists newest first; show oldest first.
        fresh.sort_by_key(|e| e.created_at.unwrap_or(0));
        on_update(&job, &fresh);
        polls += 1;
        if job.is_terminal() || max_polls.is_some_and(|m| polls >= m) {
            return Ok(job);
        }
        std::thread::sleep(interval);
    }
}

/// A job as recorded in the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// Job id.
    pub job_id: String,
    /// Provider.
    pub provider: String,
    /// Base URL.
    pub base_url: String,
    /// Base model.
    pub base_model: String,
    /// Last known status.
    pub status: String,
    /// Resulting model.
    pub fine_tuned_model: Option<String>,
    /// The backend added for it.
    pub backend_name: Option<String>,
    /// Dataset folder.
    pub dataset_dir: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last update.
    pub updated_at: String,
}

/// Records a new job (or refreshes a known one) in `hosted_jobs`.
pub fn record(
    db: &mut quill_store::Db,
    base_url: &str,
    job: &Job,
    files: Option<(&DataFiles, &str, Option<&str>)>,
) -> Result<()> {
    let now = quill_store::now_rfc3339();
    let (dataset_dir, manifest_sha, training_file, validation_file) = match files {
        Some((f, t, v)) => (
            f.manifest.as_ref().and_then(|m| m.parent()).map(|d| d.display().to_string()),
            f.manifest.as_ref().and_then(|m| std::fs::read(m).ok()).map(|b| crate::text::sha256_hex(&b)),
            t.to_string(),
            v.map(str::to_string),
        ),
        None => (None, None, job.training_file.clone().unwrap_or_default(), job.validation_file.clone()),
    };
    let err = job.error.as_ref().and_then(|e| e.message.clone());
    db.write(|tx| -> Result<()> {
        tx.execute(
            "INSERT INTO hosted_jobs (job_id, provider, base_url, base_model, training_file, validation_file, suffix, dataset_dir,
                                      manifest_sha256, status, fine_tuned_model, trained_tokens, error, created_at, updated_at)
             VALUES (?1, 'openai', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
             ON CONFLICT(job_id) DO UPDATE SET status = excluded.status, fine_tuned_model = excluded.fine_tuned_model,
                 trained_tokens = excluded.trained_tokens, error = excluded.error, updated_at = excluded.updated_at",
            rusqlite::params![
                job.id,
                base_url,
                job.model.clone().unwrap_or_default(),
                training_file,
                validation_file,
                job.suffix,
                dataset_dir,
                manifest_sha,
                job.status,
                job.fine_tuned_model,
                job.trained_tokens.map(|t| t as i64),
                err,
                now
            ],
        )?;
        Ok(())
    })
}

/// Every recorded job, newest first.
pub fn recorded(db: &quill_store::Db) -> Result<Vec<Recorded>> {
    let mut st = db.conn().prepare(
        "SELECT job_id, provider, base_url, base_model, status, fine_tuned_model, backend_name, dataset_dir, created_at, updated_at
         FROM hosted_jobs ORDER BY created_at DESC, job_id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(Recorded {
            job_id: r.get(0)?,
            provider: r.get(1)?,
            base_url: r.get(2)?,
            base_model: r.get(3)?,
            status: r.get(4)?,
            fine_tuned_model: r.get(5)?,
            backend_name: r.get(6)?,
            dataset_dir: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A backend name for a fine-tuned model: `openai-ft-SUFFIX`, else from the job id.
pub fn backend_name(job: &Job) -> String {
    let tail: String = match &job.suffix {
        Some(s) if !s.is_empty() => s.clone(),
        _ => job.id.trim_start_matches("ftjob-").chars().take(8).collect(),
    };
    let clean: String = tail
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    format!("openai-ft-{clean}")
}

/// Adds `[backends.NAME]` for a succeeded job's model to quill.toml (appended as text, so the
/// creator's comments survive; atomic) and notes it on the job. Returns the name, or None when
/// the job has no model yet. An existing section of that name is left alone.
pub fn add_backend(
    ws: &quill_store::Workspace,
    db: &mut quill_store::Db,
    base_url: &str,
    key_env: &str,
    job: &Job,
) -> Result<Option<String>> {
    let Some(model) = &job.fine_tuned_model else {
        return Ok(None);
    };
    let name = backend_name(job);
    if !ws.config().backends.contains_key(&name) {
        let path = ws.config_path();
        let mut text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let q = |s: &str| toml_string(s);
        text.push_str(&format!(
            "\n# Fine-tuned with `quill tune --hosted openai` (job {}). Use it with --backend {name}.\n[backends.{name}]\nkind = \"openai\"\nbase_url = {}\nmodel = {}\napi_key_env = {}\n",
            job.id,
            q(base_url),
            q(model),
            q(key_env)
        ));
        quill_store::Config::parse(&text, &path)?;
        quill_store::atomic_write(&path, text.as_bytes())?;
    }
    db.write(|tx| -> Result<()> {
        tx.execute("UPDATE hosted_jobs SET backend_name = ?1 WHERE job_id = ?2", rusqlite::params![name, job.id])?;
        Ok(())
    })?;
    Ok(Some(name))
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
