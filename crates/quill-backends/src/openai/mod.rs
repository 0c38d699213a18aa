//! The OpenAI-compatible HTTP backend: `/v1/chat/completions` (streamed over SSE or not) and
//! `/v1/models`, against OpenAI itself, Ollama, LM Studio, llama.cpp's server, vLLM or `quill serve`.
//!
//! # Blocking facade
//! [`OpenAiBackend`] implements the blocking [`Generator`] trait by driving async reqwest on one
//! small shared tokio runtime (one worker thread for the whole process). The CLI stays plain
//! synchronous code, and `quill serve` calls it from blocking worker threads. Do not call
//! [`Generator::generate`] from inside an async task (tokio forbids blocking there); async callers
//! use [`OpenAiBackend::chat_async`].
//!
//! # Failure handling
//! - Connect and read timeouts from `[backends.NAME]` (`read` is the longest silence between two
//!   received bytes, so a long generation that keeps streaming never times out).
//! - 429, 408 and 5xx are retried with exponential backoff and jitter, honouring `Retry-After`
//!   (seconds or an HTTP date); connection failures are retried the same way. Nothing is retried
//!   once tokens have been handed to the caller.
//! - 401/403, 404 and context-length errors become distinct [`BackendError`] variants with hints.
//! - A stream that ends without `[DONE]` or a `finish_reason` is an error
//!   ([`BackendError::StreamClosed`]), never a silently truncated answer.

pub mod retry;
pub mod sse;
pub mod wire;

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use quill_store::BackendConfig;

use self::retry::{RetryPolicy, is_retryable_status, parse_retry_after};
use self::sse::SseParser;
use self::wire::{
    ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ErrorBody, ErrorDetail, ModelList, ModelObject,
};
use crate::Generator;
use crate::error::{BackendError, Result};
use crate::types::{ChatMessage, Completion, FinishReason, Flow, GenParams, Timings, Usage};

/// Default seconds to wait for a TCP/TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest silence while reading a response. Generous because a non-streamed answer from
/// a busy server arrives only when it is complete.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);
/// Error bodies longer than this are cut (a misconfigured proxy can return a whole HTML page).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How to reach one server.
#[derive(Debug, Clone)]
pub struct OpenAiOptions {
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Model id the server expects.
    pub model: String,
    /// Bearer key, if the server needs one.
    pub api_key: Option<String>,
    /// Name of the variable the key came from (for error messages only).
    pub api_key_env: Option<String>,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Longest silence while reading.
    pub read_timeout: Duration,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Use SSE streaming for [`Generator::generate`] (true) or one JSON response (false).
    pub stream: bool,
    /// The model's context window, when configured; otherwise asked from `/v1/models` once.
    pub context_length: Option<u32>,
}

impl OpenAiOptions {
    /// Options with defaults for everything but the URL and model.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            api_key_env: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            retry: RetryPolicy::default(),
            stream: true,
            context_length: None,
        }
    }

    /// Options from a `[backends.NAME]` section; reads the key from the named variable now, so a
    /// missing key is reported before any request.
    pub fn from_config(name: &str, cfg: &BackendConfig, config_path: &std::path::Path) -> Result<Self> {
        let bad = |message: String| BackendError::Config {
            name: name.to_string(),
            config: config_path.to_path_buf(),
            message,
        };
        if cfg.kind != "openai" {
            return Err(bad(format!(
                "kind = {:?} is not supported; use kind = \"openai\" for any OpenAI-compatible server",
                cfg.kind
            )));
        }
        if cfg.model.trim().is_empty() {
            return Err(bad("model is empty; set it to a model id the server has".into()));
        }
        let mut o = Self::new(cfg.base_url.clone(), cfg.model.clone());
        if let Some(var) = &cfg.api_key_env {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => o.api_key = Some(v),
                _ => return Err(BackendError::MissingApiKey { var: var.clone() }),
            }
            o.api_key_env = Some(var.clone());
        }
        if let Some(s) = cfg.connect_timeout_secs {
            o.connect_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = cfg.read_timeout_secs {
            o.read_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(n) = cfg.max_retries {
            o.retry.max_retries = n;
        }
        o.context_length = cfg.context_length.filter(|n| *n > 0);
        Ok(o)
    }
}

/// A client for one model on one OpenAI-compatible server. Cheap to share (`Send + Sync`); one
/// instance serves concurrent requests over a connection pool.
#[derive(Debug, Clone)]
pub struct OpenAiBackend {
    opts: OpenAiOptions,
    base: String,
    client: reqwest::Client,
    /// The context window reported by `/v1/models`, asked once on first need.
    discovered_context: OnceLock<Option<u32>>,
}

/// The process-wide runtime behind the blocking facade: one worker is plenty for network I/O.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("quill-http")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| BackendError::Engine(format!("cannot start the HTTP runtime: {e}")))
}

/// Builds a reqwest client with Quill's TLS provider; shared with model downloads.
pub(crate) fn http_client(connect: Duration, read: Duration) -> std::result::Result<reqwest::Client, String> {
    // reqwest is built without a bundled crypto provider (see Cargo.toml); install ring once.
    // An error here only means another part of the process installed one first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(connect)
        .read_timeout(read)
        .user_agent(concat!("quill/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// Runs a future to completion on the shared runtime (the blocking facade).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(f))
}

impl OpenAiBackend {
    /// Validates the URL and builds the client.
    pub fn new(opts: OpenAiOptions) -> Result<Self> {
        let base = opts.base_url.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).map_err(|e| BackendError::Config {
            name: opts.model.clone(),
            config: Default::default(),
            message: format!("base_url {base:?} is not a URL ({e}); example: http://127.0.0.1:11434/v1"),
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(BackendError::Config {
                name: opts.model.clone(),
                config: Default::default(),
                message: format!("base_url {base:?} must start with http:// or https://"),
            });
        }
        let client = http_client(opts.connect_timeout, opts.read_timeout)
            .map_err(|e| BackendError::Engine(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { opts, base, client, discovered_context: OnceLock::new() })
    }

    /// Builds the backend for `[backends.NAME]`.
    pub fn from_config(name: &str, cfg: &BackendConfig, config_path: &std::path::Path) -> Result<Self> {
        let opts = OpenAiOptions::from_config(name, cfg, config_path)?;
        Self::new(opts).map_err(|e| match e {
            BackendError::Config { message, .. } => {
                BackendError::Config { name: name.to_string(), config: config_path.to_path_buf(), message }
            }
            other => other,
        })
    }

    /// The options in use.
    pub fn options(&self) -> &OpenAiOptions {
        &self.opts
    }

    /// The model's context window as the server reports it in `/v1/models` (Quill's
    /// `context_length`, vLLM's `max_model_len`, llama.cpp's `meta.n_ctx_train`). One attempt
    /// with a short timeout and no retries: this only sizes prompts, so a server that doesn't
    /// say (Ollama, hosted APIs) or doesn't answer quickly just leaves it unknown.
    async fn probe_context(&self) -> Option<u32> {
        let url = format!("{}/models", self.base);
        let mut req = self.client.get(&url).timeout(Duration::from_secs(5));
        if let Some(key) = &self.opts.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let list: ModelList = serde_json::from_str(&resp.text().await.ok()?).ok()?;
        let entry = list.data.iter().find(|m| m.id == self.opts.model).or(if list.data.len() == 1 {
            list.data.first()
        } else {
            None
        })?;
        entry.context_window()
    }

    /// `GET /models` (blocking).
    pub fn list_models(&self) -> Result<Vec<ModelObject>> {
        block_on(self.list_models_async())?
    }

    /// `GET /models`.
    pub async fn list_models_async(&self) -> Result<Vec<ModelObject>> {
        let url = format!("{}/models", self.base);
        let resp = self.send_with_retry(&url, None).await?;
        let text = resp.text().await.map_err(|e| self.body_error(&url, e, 0))?;
        let list: ModelList = serde_json::from_str(&text).map_err(|e| BackendError::Protocol {
            url: url.clone(),
            detail: format!("models list is not JSON of the expected shape ({e})"),
        })?;
        Ok(list.data)
    }

    /// One chat completion, streamed (`stream = true`, `on_token` per piece) or not (`on_token`
    /// once with the whole text).
    pub async fn chat_async<F: FnMut(&str) -> Flow>(
        &self,
        messages: &[ChatMessage],
        params: &GenParams,
        stream: bool,
        mut on_token: F,
    ) -> Result<Completion> {
        let started = Instant::now();
        let url = format!("{}/chat/completions", self.base);
        let body = ChatCompletionRequest::from_params(&self.opts.model, messages, params, stream);
        let resp = self.send_with_retry(&url, Some(&body)).await?;
        if stream {
            self.read_stream(&url, resp, started, &mut on_token).await
        } else {
            self.read_whole(&url, resp, started, &mut on_token).await
        }
    }

    async fn read_whole(
        &self,
        url: &str,
        resp: reqwest::Response,
        started: Instant,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Completion> {
        let text = resp.text().await.map_err(|e| self.body_error(url, e, 0))?;
        if let Some(detail) = embedded_error(&text) {
            return Err(self.status_error(url, 200, detail));
        }
        let c: ChatCompletion = serde_json::from_str(&text).map_err(|e| BackendError::Protocol {
            url: url.to_string(),
            detail: format!("chat completion is not JSON of the expected shape ({e})"),
        })?;
        let choice = c.choices.into_iter().next().ok_or_else(|| BackendError::Protocol {
            url: url.to_string(),
            detail: "the response has no choices".into(),
        })?;
        let text = choice.message.content.unwrap_or_default();
        let ttft = started.elapsed();
        let cancelled = !text.is_empty() && on_token(&text) == Flow::Stop;
        let usage = c.usage.map(|u| Usage { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens });
        Ok(Completion {
            finish_reason: if cancelled {
                FinishReason::Cancelled
            } else {
                parse_finish(choice.finish_reason.as_deref())
            },
            usage: usage.unwrap_or_default(),
            timings: Timings { time_to_first_token: Some(ttft), total: started.elapsed() },
            model: if c.model.is_empty() { self.opts.model.clone() } else { c.model },
            text,
        })
    }

    async fn read_stream(
        &self,
        url: &str,
        resp: reqwest::Response,
        started: Instant,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Completion> {
        let mut body = resp.bytes_stream();
        let mut parser = SseParser::new();
        let mut text = String::new();
        let mut pieces = 0usize;
        let mut ttft = None;
        let mut finish: Option<FinishReason> = None;
        let mut usage: Option<Usage> = None;
        let mut model = String::new();
        let mut done = false;
        'read: while let Some(item) = body.next().await {
            let bytes = item.map_err(|e| self.body_error(url, e, pieces))?;
            let events =
                parser.feed(&bytes).map_err(|detail| BackendError::Protocol { url: url.to_string(), detail })?;
            for ev in events {
                let data = ev.data.trim();
                if data == "[DONE]" {
                    done = true;
                    break 'read;
                }
                if data.is_empty() {
                    continue;
                }
                if let Some(detail) = embedded_error(data) {
                    return Err(BackendError::StreamError { url: url.to_string(), message: detail.message });
                }
                if ev.event == "error" {
                    return Err(BackendError::StreamError { url: url.to_string(), message: data.to_string() });
                }
                let chunk: ChatCompletionChunk = serde_json::from_str(data).map_err(|e| BackendError::Protocol {
                    url: url.to_string(),
                    detail: format!("stream chunk is not JSON of the expected shape ({e}): {}", truncate(data, 200)),
                })?;
                if model.is_empty() && !chunk.model.is_empty() {
                    model = chunk.model.clone();
                }
                if let Some(u) = chunk.usage {
                    usage = Some(Usage { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens });
                }
                for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
                    if let Some(piece) = choice.delta.content.filter(|p| !p.is_empty()) {
                        ttft.get_or_insert_with(|| started.elapsed());
                        pieces += 1;
                        text.push_str(&piece);
                        if on_token(&piece) == Flow::Stop {
                            // Dropping the body closes the connection, which tells the server to
                            // stop generating and free its slot.
                            return Ok(Completion {
                                text,
                                finish_reason: FinishReason::Cancelled,
                                usage: Usage { prompt_tokens: 0, completion_tokens: pieces as u32 },
                                timings: Timings { time_to_first_token: ttft, total: started.elapsed() },
                                model: self.model_or(&model),
                            });
                        }
                    }
                    if let Some(r) = choice.finish_reason {
                        finish = Some(parse_finish(Some(&r)));
                    }
                }
            }
        }
        if !done && finish.is_none() {
            let detail = if parser.has_partial() { "cut inside an event" } else { "the stream ended without [DONE]" };
            return Err(BackendError::StreamClosed { url: url.to_string(), received: pieces, detail: detail.into() });
        }
        Ok(Completion {
            text,
            finish_reason: finish.unwrap_or(FinishReason::Stop),
            // Servers that ignore `stream_options.include_usage` send no counts; the number of
            // pieces is the best estimate of generated tokens we have.
            usage: usage.unwrap_or(Usage { prompt_tokens: 0, completion_tokens: pieces as u32 }),
            timings: Timings { time_to_first_token: ttft, total: started.elapsed() },
            model: self.model_or(&model),
        })
    }

    fn model_or(&self, reported: &str) -> String {
        if reported.is_empty() { self.opts.model.clone() } else { reported.to_string() }
    }

    /// Sends a request (POST with `body`, else GET), retrying what is worth retrying.
    async fn send_with_retry(&self, url: &str, body: Option<&ChatCompletionRequest>) -> Result<reqwest::Response> {
        let policy = self.opts.retry;
        let mut attempt: u32 = 0;
        loop {
            let mut req = match body {
                Some(b) => self.client.post(url).json(b),
                None => self.client.get(url),
            };
            if let Some(key) = &self.opts.api_key {
                req = req.bearer_auth(key);
            }
            match req.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let detail = read_error_detail(resp).await;
                    if is_retryable_status(status) {
                        if attempt < policy.max_retries
                            && let Some(d) = policy.delay(attempt, retry_after, rand::random::<f64>())
                        {
                            tokio::time::sleep(d).await;
                            attempt += 1;
                            continue;
                        }
                        if status != 429 && is_context_error(&detail).is_some() {
                            return Err(self.status_error(url, status, detail));
                        }
                        return Err(BackendError::Overloaded {
                            url: url.to_string(),
                            status,
                            attempts: attempt + 1,
                            retry_after,
                            message: detail.message,
                        });
                    }
                    return Err(self.status_error(url, status, detail));
                }
                Err(e) if e.is_timeout() || has_timeout(&e) => {
                    return Err(BackendError::Timeout { url: url.to_string(), after: self.timeout_for(&e) });
                }
                Err(e) => {
                    if attempt < policy.max_retries {
                        tokio::time::sleep(policy.backoff(attempt, rand::random::<f64>())).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(BackendError::Connect { url: url.to_string(), detail: error_chain(&e) });
                }
            }
        }
    }

    fn timeout_for(&self, e: &reqwest::Error) -> Duration {
        if e.is_connect() { self.opts.connect_timeout } else { self.opts.read_timeout }
    }

    /// Maps a non-retryable error status to the variant that explains it.
    fn status_error(&self, url: &str, status: u16, detail: ErrorDetail) -> BackendError {
        if let Some((limit, requested)) = is_context_error(&detail) {
            return BackendError::ContextLength { limit, requested, message: detail.message };
        }
        match status {
            401 | 403 => BackendError::Unauthorized {
                url: url.to_string(),
                status,
                key_env: self.opts.api_key_env.clone(),
                message: detail.message,
            },
            404 => BackendError::NotFound {
                url: url.to_string(),
                base_url: self.base.clone(),
                model: self.opts.model.clone(),
                message: detail.message,
            },
            _ => BackendError::Http { url: url.to_string(), status, message: detail.message },
        }
    }

    fn body_error(&self, url: &str, e: reqwest::Error, received: usize) -> BackendError {
        if e.is_timeout() || has_timeout(&e) {
            BackendError::Timeout { url: url.to_string(), after: self.opts.read_timeout }
        } else {
            BackendError::StreamClosed { url: url.to_string(), received, detail: error_chain(&e) }
        }
    }
}

impl Generator for OpenAiBackend {
    fn model_id(&self) -> &str {
        &self.opts.model
    }

    fn context_length(&self) -> Option<u32> {
        self.opts
            .context_length
            .or_else(|| *self.discovered_context.get_or_init(|| block_on(self.probe_context()).ok().flatten()))
    }

    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenParams,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Completion> {
        block_on(self.chat_async(messages, params, self.opts.stream, on_token))?
    }
}

fn parse_finish(r: Option<&str>) -> FinishReason {
    match r {
        Some("length") => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// A body that is an `{"error": ...}` object (some servers send one with status 200, or as an
/// event inside a stream).
fn embedded_error(text: &str) -> Option<ErrorDetail> {
    if !text.trim_start().starts_with('{') || !text.contains("\"error\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    match v.get("error")? {
        serde_json::Value::String(s) => Some(ErrorDetail { message: s.clone(), ..Default::default() }),
        e @ serde_json::Value::Object(_) => serde_json::from_value(e.clone()).ok(),
        _ => None,
    }
}

/// Reads an error body: the OpenAI `{"error": {...}}` shape, Ollama's `{"error": "..."}`, or
/// plain text (cut to a sane length).
async fn read_error_detail(resp: reqwest::Response) -> ErrorDetail {
    let status = resp.status();
    let text = match resp.bytes().await {
        Ok(b) => String::from_utf8_lossy(&b[..b.len().min(MAX_ERROR_BODY)]).into_owned(),
        Err(e) => {
            return ErrorDetail { message: format!("(could not read the error body: {e})"), ..Default::default() };
        }
    };
    if let Ok(body) = serde_json::from_str::<ErrorBody>(&text) {
        return body.error;
    }
    if let Some(d) = embedded_error(&text) {
        return d;
    }
    let t = text.trim();
    let message = if t.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_string()
    } else {
        truncate(t, 500).to_string()
    };
    ErrorDetail { message, ..Default::default() }
}

/// Recognises a context-window error from any of the servers Quill talks to and extracts the
/// limit and the requested size where the message gives them:
/// - OpenAI / vLLM: `code: context_length_exceeded`, "This model's maximum context length is 8192
///   tokens. However, your messages resulted in 9000 tokens" / "you requested 9000 tokens";
/// - llama.cpp: `type: exceed_context_size_error` with `n_ctx` and `n_prompt_tokens`;
/// - others: a message that mentions the context length, size or window.
pub fn is_context_error(d: &ErrorDetail) -> Option<(Option<u32>, Option<u32>)> {
    static LIMIT: OnceLock<Option<regex::Regex>> = OnceLock::new();
    static REQUESTED: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let code = d.code_str().unwrap_or_default();
    let kind = d.kind.clone().unwrap_or_default();
    let msg = d.message.to_lowercase();
    let flagged = code == "context_length_exceeded"
        || kind == "exceed_context_size_error"
        || msg.contains("context length")
        || msg.contains("context size")
        || msg.contains("context window")
        || msg.contains("maximum context");
    if !flagged {
        return None;
    }
    let num = |re: &OnceLock<Option<regex::Regex>>, pat: &str| {
        re.get_or_init(|| regex::Regex::new(pat).ok())
            .as_ref()
            .and_then(|re| re.captures(&msg))
            .and_then(|c| c.get(1))
            .and_then(|m| m.as_str().parse::<u32>().ok())
    };
    let limit =
        d.n_ctx.or_else(|| num(&LIMIT, r"(?:maximum context length|context (?:length|size|window))(?: is| of)? (\d+)"));
    let requested =
        d.n_prompt_tokens.or_else(|| num(&REQUESTED, r"(?:resulted in|requested|you requested) (\d+) tokens"));
    Some((limit, requested))
}

fn has_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        if let Some(r) = err.downcast_ref::<reqwest::Error>()
            && r.is_timeout()
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// "a: b: c" from an error and its sources, skipping repeats (hyper nests the same message).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(json: &str) -> ErrorDetail {
        serde_json::from_str::<ErrorBody>(json).unwrap().error
    }

    #[test]
    fn context_errors_from_known_servers() {
        let openai = detail(
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
        );
        assert_eq!(is_context_error(&openai), Some((Some(8192), Some(9000))));
        let vllm = detail(
            r#"{"error":{"message":"This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (2000 in the messages, 100 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","code":400}}"#,
        );
        assert_eq!(is_context_error(&vllm), Some((Some(2048), Some(2100))));
        let llama = detail(
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}"#,
        );
        assert_eq!(is_context_error(&llama), Some((Some(4096), Some(5000))));
        let other = detail(r#"{"error":{"message":"model not found"}}"#);
        assert_eq!(is_context_error(&other), None);
    }

    #[test]
    fn embedded_errors() {
        assert_eq!(embedded_error(r#"{"error":"model 'x' not found"}"#).unwrap().message, "model 'x' not found");
        assert_eq!(embedded_error(r#"{"error":{"message":"boom"}}"#).unwrap().message, "boom");
        assert!(embedded_error(r#"{"choices":[]}"#).is_none());
    }

    #[test]
    fn config_validation() {
        let cfg = BackendConfig {
            kind: "anthropic".into(),
            base_url: "http://x/v1".into(),
            model: "m".into(),
            api_key_env: None,
            connect_timeout_secs: None,
            read_timeout_secs: None,
            max_retries: None,
            context_length: None,
        };
        let err = OpenAiBackend::from_config("b", &cfg, std::path::Path::new("/w/quill.toml")).unwrap_err();
        assert!(err.to_string().contains("kind = \"openai\""), "{err}");
        let cfg = BackendConfig { kind: "openai".into(), base_url: "localhost:8080".into(), ..cfg };
        let err = OpenAiBackend::from_config("b", &cfg, std::path::Path::new("/w/quill.toml")).unwrap_err();
        assert!(err.to_string().contains("[backends.b] in /w/quill.toml"), "{err}");
        let cfg = BackendConfig {
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key_env: Some("QUILL_TEST_SURELY_UNSET_KEY".into()),
            ..cfg
        };
        let err = OpenAiBackend::from_config("b", &cfg, std::path::Path::new("/w/quill.toml")).unwrap_err();
        assert!(matches!(err, BackendError::MissingApiKey { .. }), "{err}");
    }
}
