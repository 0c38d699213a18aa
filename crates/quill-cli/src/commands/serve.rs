//! `quill serve` — the creator's model over the OpenAI-compatible API.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quill_backends::{Generator, LocalBackend, LocalOptions, ModelStores};
use quill_serve::{ServeOptions, Server};

use crate::Globals;

const EXAMPLES: &str = "Examples:
  quill serve                                   # the default model on http://127.0.0.1:8080/v1
  quill serve --model llama3.2:1b --parallel 2  # a model from the Ollama store, two at a time
  quill serve --addr 0.0.0.0:8080 --token \"$QUILL_TOKEN\"   # reachable from the network: a token is required
  quill serve --backend ollama                  # relay a [backends.NAME] server (one URL for every tool)

Then, from any OpenAI client:
  curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{\"model\":\"smollm2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}'
  python -c \"from openai import OpenAI; c=OpenAI(base_url='http://127.0.0.1:8080/v1', api_key='x'); print(c.chat.completions.create(model='smollm2', messages=[{'role':'user','content':'Hi'}]).choices[0].message.content)\"";

/// Serve a model over the OpenAI-compatible API (`/v1/chat/completions`, `/v1/models`, `/health`).
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// Address to listen on; anything but loopback requires --token. Port 0 picks a free port.
    #[arg(long, default_value = quill_serve::DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Model: a name from `quill models list`, an Ollama name, `hf://…`, or a GGUF path
    /// (default: the workspace's [generation].model, else the default model).
    #[arg(long)]
    pub model: Option<String>,
    /// Relay a `[backends.NAME]` server instead of running a local model.
    #[arg(long, value_name = "NAME")]
    pub backend: Option<String>,
    /// A LoRA adapter to apply: a file, or a name under the workspace's .quill/adapters/.
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Bearer token clients must send (required off loopback).
    #[arg(long, env = "QUILL_SERVE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Requests generated at the same time (one model engine each).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub parallel: u32,
    /// Requests that may wait for a free slot; beyond that clients get 429 with Retry-After.
    #[arg(long, default_value_t = quill_serve::DEFAULT_MAX_QUEUE)]
    pub max_queue: usize,
    /// Largest request body in KiB.
    #[arg(long, default_value_t = quill_serve::DEFAULT_MAX_BODY / 1024)]
    pub max_body_kib: usize,
    /// Compute threads per engine (default: the cores divided among --parallel engines).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Context window in tokens (default: the model's).
    #[arg(long)]
    pub ctx: Option<usize>,
    /// max_tokens for requests that give none (default: until the model stops or the context is full).
    #[arg(long)]
    pub default_max_tokens: Option<u32>,
    /// Seconds open requests may finish after Ctrl-C before their streams are cut.
    #[arg(long, default_value_t = 5)]
    pub grace: u64,
}

/// Runs the command.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    // Checked before loading anything: a refused address should fail in milliseconds.
    if !args.addr.ip().is_loopback() && args.token.as_deref().is_none_or(str::is_empty) {
        return Err(quill_serve::ServeError::TokenRequired { addr: args.addr }.into());
    }
    let ws = g.workspace().ok();
    let parallel = args.parallel as usize;
    let (slots, model_id, aliases): (Vec<Arc<dyn Generator>>, String, Vec<String>) = match args.backend.as_deref() {
        Some(name) if name != quill_backends::LOCAL => {
            let remote: Arc<dyn Generator> = Arc::from(quill_backends::open_generator(
                ws.as_ref(),
                Some(name),
                args.model.as_deref(),
                &LocalOptions::default(),
            )?);
            let id = remote.model_id().to_string();
            (vec![remote; parallel], id, vec![])
        }
        _ => {
            let name = args
                .model
                .clone()
                .or_else(|| ws.as_ref().map(|w| w.config().generation.model.clone()))
                .unwrap_or_else(|| "default".into());
            let path = ModelStores::from_env().resolve(&name)?;
            let adapter = match &args.adapter {
                Some(a) => Some(find_adapter(a, ws.as_ref().map(|w| w.data_dir()))?),
                None => None,
            };
            let base_id = served_name(&name, &path);
            let model_id = match &args.adapter {
                Some(a) => format!("{base_id}+{a}"),
                None => base_id.clone(),
            };
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
            let threads = args.threads.unwrap_or_else(|| (cores / parallel).max(1));
            let opts = LocalOptions { threads: Some(threads), n_ctx: args.ctx, adapter, name: Some(model_id.clone()) };
            let spinner = g.spinner(format!("loading {} ×{parallel}", path.display()));
            let mut slots: Vec<Arc<dyn Generator>> = Vec::with_capacity(parallel);
            for _ in 0..parallel {
                let b =
                    LocalBackend::load(&path, opts.clone()).with_context(|| format!("loading {}", path.display()))?;
                slots.push(Arc::new(b));
            }
            spinner.finish_and_clear();
            let mut aliases = vec![base_id.clone(), name.clone(), "default".to_string()];
            if let Some(stem) = path.file_stem() {
                aliases.push(stem.to_string_lossy().into_owned());
            }
            aliases.retain(|a| *a != model_id);
            (slots, model_id, aliases)
        }
    };

    let mut opts = ServeOptions::new(model_id.clone());
    opts.addr = args.addr;
    opts.token = args.token.clone();
    opts.max_queue = args.max_queue;
    opts.max_body_bytes = args.max_body_kib.saturating_mul(1024).max(1024);
    opts.aliases = aliases;
    opts.default_max_tokens = args.default_max_tokens;
    let server = Server::bind(opts, slots)?;
    let addr = server.local_addr();
    if g.json {
        // One line, printed once listening: scripts read it to learn the (possibly random) port.
        println!(
            "{}",
            serde_json::json!({
                "addr": addr.to_string(),
                "base_url": format!("http://{addr}/v1"),
                "model": model_id,
                "slots": parallel,
                "auth": args.token.is_some(),
            })
        );
    } else {
        println!(
            "Serving {model_id} at http://{addr}/v1 ({parallel} slot{}, queue {})",
            if parallel == 1 { "" } else { "s" },
            args.max_queue
        );
        eprintln!("Ctrl-C stops (open requests get {}s to finish)", args.grace);
    }
    std::io::stdout().flush().context("writing to stdout")?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("quill-serve")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(server.run(shutdown_signal(), Duration::from_secs(args.grace)))?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM (what service managers and `kill` send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The id clients put in `model`: what the creator typed, unless it was a path (then the file
/// name without `.gguf`); `default` is reported as the default model's name.
fn served_name(typed: &str, path: &Path) -> String {
    if typed.is_empty() || typed == "default" {
        return quill_backends::models::wheels::DEFAULT_LLM.name.to_string();
    }
    if Path::new(typed).is_file() {
        return path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "local".into());
    }
    typed.to_string()
}

/// `--adapter`: a file, or `<workspace>/.quill/adapters/NAME(.gguf | /adapter.gguf)`.
fn find_adapter(name: &str, data_dir: Option<PathBuf>) -> Result<PathBuf> {
    let p = Path::new(name);
    if p.is_file() {
        return Ok(p.to_path_buf());
    }
    if let Some(d) = data_dir {
        for c in [d.join("adapters").join(format!("{name}.gguf")), d.join("adapters").join(name).join("adapter.gguf")] {
            if c.is_file() {
                return Ok(c);
            }
        }
    }
    bail!("no adapter {name:?}: not a file, and not in the workspace's .quill/adapters/ (train one with `quill tune`)")
}
