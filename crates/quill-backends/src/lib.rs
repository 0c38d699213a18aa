//! One [`Generator`] trait for every model Quill can talk to — the local runtime
//! ([`LocalBackend`]) and any OpenAI-compatible server ([`OpenAiBackend`]) — plus model management
//! ([`models`]: list, info, pull, rm, and the `--model` name resolver).
//!
//! # Why one blocking trait
//! Every Quill command is a short synchronous program: it builds messages, streams pieces to the
//! terminal, and records the result. A blocking trait with a per-piece callback keeps those
//! commands free of async plumbing; the HTTP backend drives its own small tokio runtime inside,
//! and `quill-serve` runs generators on blocking worker threads. Cancellation is the callback's
//! return value ([`Flow::Stop`]), which works the same for a closed HTTP connection, Ctrl-C, or a
//! stop condition the caller checks itself.
//!
//! # Choosing a backend
//! [`open_generator`] applies the rules every command shares: `--backend NAME` (or
//! `[generation].backend`) picks `local` or a `[backends.NAME]` section of `quill.toml`;
//! `--model` (or `[generation].model`) picks the local model or overrides the server's model.
//!
//! ```no_run
//! use quill_backends::{ChatMessage, Flow, GenParams, open_generator};
//! let g = open_generator(None, Some("local"), None, &Default::default())?;
//! let params = GenParams { max_tokens: Some(32), ..Default::default() };
//! let done = g.generate(&[ChatMessage::user("Say hi")], &params, &mut |piece| {
//!     print!("{piece}");
//!     Flow::Continue
//! })?;
//! eprintln!("\n{} tokens", done.usage.completion_tokens);
//! # Ok::<(), quill_backends::BackendError>(())
//! ```
#![deny(missing_docs)]

mod error;
pub mod local;
mod local_engine;
pub mod models;
pub mod openai;
mod types;

use std::collections::BTreeSet;

pub use error::{BackendError, Result};
pub use local::{LocalBackend, LocalOptions};
pub use models::{ModelError, ModelStores, resolve_model};
pub use openai::{OpenAiBackend, OpenAiOptions};
pub use types::{ChatMessage, Completion, FinishReason, Flow, GenParams, Role, Timings, Usage};

use quill_store::Workspace;

/// The built-in backend name for the local runtime.
pub const LOCAL: &str = "local";

/// Generates from chat messages with sampling parameters, streaming each piece of text to a
/// callback as soon as it exists.
///
/// Implementations are `Send + Sync` so one instance can be shared between threads (the server's
/// worker pool, a CLI's Ctrl-C handler). A call blocks until the generation ends, is cancelled
/// (the callback returned [`Flow::Stop`]) or fails.
pub trait Generator: Send + Sync {
    /// The model this generator answers with (a server's model id, or the local model's name).
    fn model_id(&self) -> &str;

    /// Generates a reply to `messages`. `on_token` receives each new piece of text (a token, or
    /// several when a multi-byte character spans tokens); returning [`Flow::Stop`] cancels the
    /// generation, which then returns what it has with [`FinishReason::Cancelled`].
    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenParams,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Completion>;

    /// The context window in tokens, when known (servers do not say).
    fn context_length(&self) -> Option<u32> {
        None
    }
}

/// Builds the generator for a backend name: `local` (the model from `[generation].model`) or a
/// `[backends.NAME]` section.
pub fn backend_from_config(ws: &Workspace, name: &str) -> Result<Box<dyn Generator>> {
    open_generator(Some(ws), Some(name), None, &LocalOptions::default())
}

/// The rules every generating command shares (see the crate docs):
/// - backend: `backend` if given, else the workspace's `[generation].backend`, else `local`;
/// - for `local`, model: `model` if given, else `[generation].model`, else the default model,
///   resolved with [`resolve_model`];
/// - for a server backend, `model` overrides the section's `model`.
///
/// Works without a workspace (`ws = None`) for `local`, so `quill generate` runs anywhere.
pub fn open_generator(
    ws: Option<&Workspace>,
    backend: Option<&str>,
    model: Option<&str>,
    local: &LocalOptions,
) -> Result<Box<dyn Generator>> {
    let cfg = ws.map(|w| w.config());
    let name = backend
        .map(str::to_string)
        .or_else(|| cfg.map(|c| c.generation.backend.clone()).filter(|b| !b.is_empty()))
        .unwrap_or_else(|| LOCAL.to_string());
    if name == LOCAL {
        let model = model
            .map(str::to_string)
            .or_else(|| cfg.map(|c| c.generation.model.clone()))
            .unwrap_or_else(|| "default".to_string());
        let path = resolve_model(&model)?;
        return Ok(Box::new(LocalBackend::load(&path, local.clone())?));
    }
    let Some(ws) = ws else {
        return Err(BackendError::UnknownBackend {
            name,
            config: "quill.toml".into(),
            known: "local (no workspace here: run inside one, or pass -C DIR)".into(),
        });
    };
    let c = ws.config();
    let Some(section) = c.backends.get(&name) else {
        let mut known: BTreeSet<&str> = c.backends.keys().map(String::as_str).collect();
        known.insert(LOCAL);
        return Err(BackendError::UnknownBackend {
            name,
            config: ws.config_path(),
            known: known.into_iter().collect::<Vec<_>>().join(", "),
        });
    };
    let mut section = section.clone();
    if let Some(m) = model {
        section.model = m.to_string();
    }
    Ok(Box::new(OpenAiBackend::from_config(&name, &section, &ws.config_path())?))
}
