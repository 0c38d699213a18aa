//! Typed errors. Each variant says what went wrong *and what to do*, because the CLI prints them
//! straight to a creator who configured a URL and an environment variable, not an HTTP stack.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong generating through a backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// `--backend NAME` names no `[backends.NAME]` section.
    #[error(
        "no backend named {name:?} in {config}; known: {known}\n  hint: add a [backends.{name}] section (kind = \"openai\", base_url, model) or use `local`"
    )]
    UnknownBackend {
        /// The name asked for.
        name: String,
        /// The settings file.
        config: PathBuf,
        /// Comma-separated known names.
        known: String,
    },
    /// A `[backends.NAME]` section is unusable.
    #[error("[backends.{name}] in {config}: {message}")]
    Config {
        /// Backend name.
        name: String,
        /// The settings file.
        config: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The environment variable named by `api_key_env` is not set.
    #[error("the API key variable {var} is not set\n  hint: export {var}=... (the backend's api_key_env names it)")]
    MissingApiKey {
        /// The variable name.
        var: String,
    },
    /// 401/403: the server rejected the key.
    #[error("{url} rejected the API key (HTTP {status}){}: {message}\n  hint: check the key in the environment variable named by api_key_env", key_env.as_deref().map(|v| format!(" from ${v}")).unwrap_or_default())]
    Unauthorized {
        /// Request URL.
        url: String,
        /// 401 or 403.
        status: u16,
        /// The variable the key came from, if any.
        key_env: Option<String>,
        /// The server's message.
        message: String,
    },
    /// 404: wrong base URL or unknown model.
    #[error(
        "{url} answered 404 for model {model:?}: {message}\n  hint: check base_url (it usually ends in /v1) and that the server has this model (`GET {base_url}/models`)"
    )]
    NotFound {
        /// Request URL.
        url: String,
        /// Configured base URL.
        base_url: String,
        /// Model asked for.
        model: String,
        /// The server's message.
        message: String,
    },
    /// The prompt (plus `max_tokens`) does not fit the model's context window.
    #[error("the prompt does not fit the model's context window{}{}: {message}\n  hint: shorten the prompt or lower --max-tokens; for `quill draft`, pass --context N (or set context_length in the backend's [backends.NAME] section) so prompts are fitted to the window", limit.map(|l| format!(" of {l} tokens")).unwrap_or_default(), requested.map(|r| format!(" ({r} tokens requested)")).unwrap_or_default())]
    ContextLength {
        /// The window, when the server says.
        limit: Option<u32>,
        /// Tokens requested, when the server says.
        requested: Option<u32>,
        /// The server's (or engine's) message.
        message: String,
    },
    /// 429 or 5xx after every retry.
    #[error("{url} kept failing with HTTP {status} after {attempts} attempts: {message}{}", retry_after.map(|d| format!("\n  hint: the server asks to wait {}s before retrying", d.as_secs())).unwrap_or_default())]
    Overloaded {
        /// Request URL.
        url: String,
        /// Last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The last `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The server's message.
        message: String,
    },
    /// Any other HTTP error status.
    #[error("{url} answered HTTP {status}: {message}")]
    Http {
        /// Request URL.
        url: String,
        /// Status code.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// No TCP/TLS connection could be made.
    #[error("cannot connect to {url}: {detail}\n  hint: is the server running, and is base_url right?")]
    Connect {
        /// Request URL.
        url: String,
        /// What the network stack said.
        detail: String,
    },
    /// No byte arrived for longer than the read timeout.
    #[error("{url} sent nothing for {}s (read timeout)\n  hint: the server is overloaded or stalled; raise read_timeout_secs if it is just slow", after.as_secs_f64())]
    Timeout {
        /// Request URL.
        url: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection ended before the stream said it was complete.
    #[error(
        "{url} closed the connection mid-stream after {received} pieces ({detail})\n  hint: the server crashed, restarted or was stopped; the partial answer was discarded"
    )]
    StreamClosed {
        /// Request URL.
        url: String,
        /// Pieces received before the cut.
        received: usize,
        /// What the network stack said.
        detail: String,
    },
    /// The server reported an error inside an event stream.
    #[error("{url} reported an error mid-stream: {message}")]
    StreamError {
        /// Request URL.
        url: String,
        /// The server's message.
        message: String,
    },
    /// The server sent something that is not the OpenAI wire format.
    #[error(
        "{url} sent a response Quill cannot read: {detail}\n  hint: is base_url an OpenAI-compatible endpoint (ending in /v1)?"
    )]
    Protocol {
        /// Request URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// A request parameter is out of range (caught before anything is sent or run).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The local engine failed.
    #[error("local model: {0}")]
    Engine(String),
    /// The local engine's worker thread is gone (it panicked or was shut down).
    #[error("the local model's worker thread stopped unexpectedly: {0}")]
    WorkerGone(String),
    /// The model could not be found or opened.
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
}

impl BackendError {
    /// Whether a retry may succeed (the generation never started streaming).
    pub fn is_transient(&self) -> bool {
        matches!(self, BackendError::Overloaded { .. } | BackendError::Connect { .. })
    }
}

/// Result alias for this crate.
pub type Result<T, E = BackendError> = std::result::Result<T, E>;
