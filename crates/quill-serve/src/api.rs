//! The HTTP routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /health`.
//!
//! Errors always use OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the
//! status OpenAI uses for the same condition, so client libraries raise their usual exception
//! types (`BadRequestError`, `AuthenticationError`, `RateLimitError`, ...).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use quill_backends::openai::wire::{
    ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Choice, ChunkChoice, Delta, ErrorBody, ErrorDetail,
    ModelList, ModelObject, ResponseMessage, WireUsage,
};
use quill_backends::{BackendError, ChatMessage, Completion, Flow, GenParams, Role, Usage};
use tokio::sync::{mpsc, watch};

use crate::AppState;

/// An error response in OpenAI's shape.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<&'static str>,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self { status, kind, code, param: None, message: message.into(), retry_after: None }
    }
    pub fn bad_request(param: &'static str, message: impl Into<String>) -> Self {
        Self { param: Some(param), ..Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None, message) }
    }
    fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            message: self.message.clone(),
            kind: Some(self.kind.to_string()),
            param: self.param.map(str::to_string),
            code: self.code.map(|c| serde_json::Value::String(c.to_string())),
            n_ctx: None,
            n_prompt_tokens: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(ErrorBody { error: self.detail() })).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Maps a generator's failure to the status a client expects.
fn backend_error(e: &BackendError) -> ApiError {
    match e {
        BackendError::ContextLength { limit, requested, message } => {
            let message = match (limit, requested) {
                (Some(l), Some(r)) => format!(
                    "This model's maximum context length is {l} tokens. However, your messages resulted in {r} tokens. Please reduce the length of the messages."
                ),
                _ => message.clone(),
            };
            ApiError {
                param: Some("messages"),
                ..ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    Some("context_length_exceeded"),
                    message,
                )
            }
        }
        BackendError::InvalidRequest(m) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", None, m.clone())
        }
        BackendError::Overloaded { .. } | BackendError::Connect { .. } | BackendError::Timeout { .. } => {
            ApiError::new(StatusCode::BAD_GATEWAY, "server_error", Some("upstream_error"), e.to_string())
        }
        _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", None, e.to_string()),
    }
}

pub(crate) async fn health(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let c = &st.pool.counters;
    Json(serde_json::json!({
        "status": if st.aborting.load(Ordering::SeqCst) { "stopping" } else { "ok" },
        "model": st.opts.model_id,
        "slots": st.pool.size(),
        "busy": st.pool.busy(),
        "queued": st.pool.waiting(),
        "max_queue": st.opts.max_queue,
        "served": c.served.load(Ordering::Relaxed),
        "cancelled": c.cancelled.load(Ordering::Relaxed),
        "rejected": c.rejected.load(Ordering::Relaxed),
        "failed": c.failed.load(Ordering::Relaxed),
    }))
}

pub(crate) async fn models(State(st): State<Arc<AppState>>) -> Json<ModelList> {
    let n_ctx = st.pool.context_length().map(u64::from);
    Json(ModelList {
        object: "list".into(),
        data: vec![ModelObject {
            id: st.opts.model_id.clone(),
            object: "model".into(),
            created: st.created,
            owned_by: "quill".into(),
            context_length: n_ctx,
            max_model_len: n_ctx,
            meta: None,
        }],
    })
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("not_found"),
        "no such route; this server has POST /v1/chat/completions, GET /v1/models and GET /health",
    )
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request_error",
        Some("method_not_allowed"),
        "method not allowed on this route",
    )
}

/// A validated request.
struct Parsed {
    messages: Vec<ChatMessage>,
    params: GenParams,
    n: u32,
    stream: bool,
    include_usage: bool,
}

fn parse(st: &AppState, body: &[u8]) -> Result<Parsed, ApiError> {
    let req: ChatCompletionRequest = serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() { "malformed JSON" } else { "unexpected JSON shape" };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("invalid_json"),
            format!("{what} in the request body: {e} (line {}, column {})", e.line(), e.column()),
        )
    })?;
    if !req.model.is_empty() && !st.accepts_model(&req.model) {
        return Err(ApiError {
            param: Some("model"),
            ..ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("model_not_found"),
                format!(
                    "The model `{}` does not exist on this server; it serves `{}` (see GET /v1/models)",
                    req.model, st.opts.model_id
                ),
            )
        });
    }
    if req.messages.is_empty() {
        return Err(ApiError::bad_request("messages", "messages must not be empty"));
    }
    let mut messages = Vec::with_capacity(req.messages.len());
    for (i, m) in req.messages.iter().enumerate() {
        let role = Role::parse(&m.role).ok_or_else(|| {
            ApiError::bad_request(
                "messages",
                format!("messages[{i}].role {:?} is not supported (system, user, assistant)", m.role),
            )
        })?;
        let content = match &m.content {
            None => String::new(),
            Some(c) => c.text().map_err(|kind| {
                ApiError::bad_request(
                    "messages",
                    format!("messages[{i}] has a {kind:?} content part; only text is supported"),
                )
            })?,
        };
        messages.push(ChatMessage { role, content });
    }
    let n = req.n.unwrap_or(1);
    if n == 0 || n > st.opts.max_n {
        return Err(ApiError::bad_request("n", format!("n must be between 1 and {}", st.opts.max_n)));
    }
    let check = |v: Option<f32>, lo: f32, hi: f32, name: &'static str| -> Result<(), ApiError> {
        match v {
            Some(x) if !(lo..=hi).contains(&x) || x.is_nan() => {
                Err(ApiError::bad_request(name, format!("{name} must be between {lo} and {hi}, got {x}")))
            }
            _ => Ok(()),
        }
    };
    check(req.temperature, 0.0, 2.0, "temperature")?;
    check(req.top_p, 0.0, 1.0, "top_p")?;
    check(req.min_p, 0.0, 1.0, "min_p")?;
    check(req.frequency_penalty, -2.0, 2.0, "frequency_penalty")?;
    check(req.presence_penalty, -2.0, 2.0, "presence_penalty")?;
    check(req.repeat_penalty, 0.0, 10.0, "repeat_penalty")?;
    let max_tokens = req.max_completion_tokens.or(req.max_tokens).or(st.opts.default_max_tokens);
    if max_tokens == Some(0) {
        return Err(ApiError::bad_request("max_tokens", "max_tokens must be at least 1"));
    }
    let stop = req.stop.map(|s| s.into_vec()).unwrap_or_default();
    if stop.len() > 16 || stop.iter().any(|s| s.is_empty() || s.len() > 512) {
        return Err(ApiError::bad_request("stop", "stop takes up to 16 non-empty strings of at most 512 bytes"));
    }
    let params = GenParams {
        max_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: req.top_k,
        min_p: req.min_p,
        repeat_penalty: req.repeat_penalty,
        frequency_penalty: req.frequency_penalty,
        presence_penalty: req.presence_penalty,
        seed: req.seed.map(|s| s as u64),
        stop,
        ignore_eos: req.ignore_eos.unwrap_or(false),
        banned_phrases: Vec::new(),
    };
    Ok(Parsed {
        messages,
        params,
        n,
        stream: req.stream.unwrap_or(false),
        include_usage: req.stream_options.map(|o| o.include_usage).unwrap_or(false),
    })
}

/// What the generation task sends to the response side.
enum Msg {
    Piece { index: u32, text: String },
    ChoiceDone { index: u32, completion: Completion },
    Failed(BackendError),
}

/// Sets the cancel flag when the request handler goes away (the client disconnected while the
/// response was not yet streaming), so the generation stops and frees the slot.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn new_id() -> String {
    format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub(crate) async fn chat_completions(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rej) => {
            let status = rej.status();
            let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
                (
                    Some("request_too_large"),
                    format!("the request body is larger than this server's limit of {} bytes", st.opts.max_body_bytes),
                )
            } else {
                (None, rej.body_text())
            };
            return ApiError::new(status, "invalid_request_error", code, message).into_response();
        }
    };
    let req = match parse(&st, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let slot = match st.pool.acquire().await {
        Ok(s) => s,
        Err(full) => {
            let secs = full.retry_after.as_secs().max(1);
            return ApiError {
                retry_after: Some(secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    Some("queue_full"),
                    format!(
                        "all {} slots are busy and {} requests are queued (the --max-queue limit); retry in {secs}s",
                        st.pool.size(),
                        st.pool.waiting()
                    ),
                )
            }
            .into_response();
        }
    };
    if st.aborting.load(Ordering::SeqCst) {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            Some("shutting_down"),
            "the server is shutting down",
        )
        .into_response();
    }

    let started = Instant::now();
    let cancel = Arc::new(AtomicBool::new(false));
    let guard = CancelOnDrop(cancel.clone());
    let (tx, mut rx) = mpsc::channel::<Msg>(256);
    let task_state = st.clone();
    let Parsed { messages, params, n, stream, include_usage } = req;
    tokio::task::spawn_blocking(move || {
        let st = task_state;
        let generator = slot.generator().clone();
        let mut cancelled = false;
        for index in 0..n {
            let mut p = params.clone();
            // Distinct but reproducible choices when a seed is given.
            p.seed = p.seed.map(|s| s.wrapping_add(u64::from(index)));
            let mut on_token = |piece: &str| {
                if cancel.load(Ordering::SeqCst)
                    || st.aborting.load(Ordering::SeqCst)
                    || tx.blocking_send(Msg::Piece { index, text: piece.to_string() }).is_err()
                {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            };
            match generator.generate(&messages, &p, &mut on_token) {
                Ok(c) if c.finish_reason == quill_backends::FinishReason::Cancelled => {
                    // The reader is gone or the server is stopping: closing the channel without a
                    // finished choice makes the response side cut the stream (or answer 503).
                    cancelled = true;
                    break;
                }
                Ok(completion) => {
                    if tx.blocking_send(Msg::ChoiceDone { index, completion }).is_err() {
                        cancelled = true;
                        break;
                    }
                }
                Err(e) => {
                    st.pool.counters.failed.fetch_add(1, Ordering::Relaxed);
                    let _ = tx.blocking_send(Msg::Failed(e));
                    break;
                }
            }
        }
        if cancelled {
            st.pool.counters.cancelled.fetch_add(1, Ordering::Relaxed);
        } else {
            st.pool.counters.served.fetch_add(1, Ordering::Relaxed);
        }
        st.pool.record(started.elapsed());
        drop(slot);
    });

    let id = new_id();
    let created = now_secs();
    let model = st.opts.model_id.clone();
    if !stream {
        let mut texts: Vec<String> = vec![String::new(); n as usize];
        let mut choices: Vec<Option<Completion>> = vec![None; n as usize];
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Piece { index, text } => texts[index as usize].push_str(&text),
                Msg::ChoiceDone { index, completion } => choices[index as usize] = Some(completion),
                Msg::Failed(e) => return backend_error(&e).into_response(),
            }
        }
        drop(guard);
        let mut usage = Usage::default();
        let mut out = Vec::with_capacity(n as usize);
        for (i, c) in choices.into_iter().enumerate() {
            let Some(c) = c else {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server_error",
                    Some("shutting_down"),
                    "the server stopped before the answer was complete",
                )
                .into_response();
            };
            usage.prompt_tokens = c.usage.prompt_tokens;
            usage.completion_tokens += c.usage.completion_tokens;
            out.push(Choice {
                index: i as u32,
                message: ResponseMessage { role: "assistant".into(), content: Some(c.text) },
                finish_reason: Some(c.finish_reason.wire_name().into()),
                logprobs: None,
            });
        }
        return Json(ChatCompletion {
            id,
            object: "chat.completion".into(),
            created,
            model,
            choices: out,
            usage: Some(WireUsage::from_usage(&usage)),
        })
        .into_response();
    }

    // Streaming: wait for the first message so a failure before any token (context too long,
    // engine error) is a proper HTTP error instead of a 200 with an error event.
    let first = match rx.recv().await {
        Some(Msg::Failed(e)) => return backend_error(&e).into_response(),
        Some(m) => Some(m),
        None => None,
    };
    let stream = EventStream {
        // Dropped with the response body when the client disconnects: the generation stops at
        // its next token even if no send has failed yet.
        _cancel: guard,
        rx,
        abort: st.abort_rx.clone(),
        pending: VecDeque::new(),
        first,
        started: vec![false; n as usize],
        finished: 0,
        done: false,
        id,
        created,
        model,
        include_usage,
        usage: Usage::default(),
    };
    Sse::new(futures::stream::unfold(stream, EventStream::next)).keep_alive(KeepAlive::default()).into_response()
}

struct EventStream {
    _cancel: CancelOnDrop,
    rx: mpsc::Receiver<Msg>,
    abort: watch::Receiver<bool>,
    pending: VecDeque<Result<Event, std::io::Error>>,
    first: Option<Msg>,
    started: Vec<bool>,
    finished: usize,
    done: bool,
    id: String,
    created: i64,
    model: String,
    include_usage: bool,
    usage: Usage,
}

impl EventStream {
    fn chunk(&self, choices: Vec<ChunkChoice>, usage: Option<WireUsage>) -> Result<Event, std::io::Error> {
        let c = ChatCompletionChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            choices,
            usage,
        };
        Ok(Event::default().data(serde_json::to_string(&c).map_err(std::io::Error::other)?))
    }

    fn role_if_new(&mut self, index: u32) {
        if let Some(s) = self.started.get_mut(index as usize)
            && !*s
        {
            *s = true;
            let delta = Delta { role: Some("assistant".into()), content: Some(String::new()) };
            let ev = self.chunk(vec![ChunkChoice { index, delta, finish_reason: None, logprobs: None }], None);
            self.pending.push_back(ev);
        }
    }

    fn on_msg(&mut self, msg: Option<Msg>) {
        match msg {
            Some(Msg::Piece { index, text }) => {
                self.role_if_new(index);
                let delta = Delta { role: None, content: Some(text) };
                let ev = self.chunk(vec![ChunkChoice { index, delta, finish_reason: None, logprobs: None }], None);
                self.pending.push_back(ev);
            }
            Some(Msg::ChoiceDone { index, completion }) => {
                self.role_if_new(index);
                self.finished += 1;
                self.usage.prompt_tokens = completion.usage.prompt_tokens;
                self.usage.completion_tokens += completion.usage.completion_tokens;
                let finish = Some(completion.finish_reason.wire_name().to_string());
                let ev = self.chunk(
                    vec![ChunkChoice { index, delta: Delta::default(), finish_reason: finish, logprobs: None }],
                    None,
                );
                self.pending.push_back(ev);
            }
            Some(Msg::Failed(e)) => {
                // Tell clients that read error events, then cut the connection so clients that do
                // not still see an incomplete stream rather than a clean end.
                let body = ErrorBody { error: backend_error(&e).detail() };
                let data = serde_json::to_string(&body).unwrap_or_else(|_| "{\"error\":{}}".into());
                self.pending.push_back(Ok(Event::default().data(data)));
                self.pending.push_back(Err(std::io::Error::other(e.to_string())));
                self.done = true;
            }
            None if self.finished < self.started.len() || *self.abort.borrow() => {
                // The generation ended without finishing every choice (the server is stopping):
                // cut the connection so the client cannot mistake a partial answer for a whole one.
                self.pending
                    .push_back(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "server stopped")));
                self.done = true;
            }
            None => {
                if self.include_usage {
                    let u = Some(WireUsage::from_usage(&self.usage));
                    let ev = self.chunk(vec![], u);
                    self.pending.push_back(ev);
                }
                self.pending.push_back(Ok(Event::default().data("[DONE]")));
                self.done = true;
            }
        }
    }

    async fn next(mut self) -> Option<(Result<Event, std::io::Error>, Self)> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some((ev, self));
            }
            if self.done {
                return None;
            }
            if let Some(m) = self.first.take() {
                self.on_msg(Some(m));
                continue;
            }
            let next = tokio::select! {
                m = self.rx.recv() => Some(m),
                _ = self.abort.wait_for(|a| *a) => None,
            };
            match next {
                Some(msg) => self.on_msg(msg),
                None => {
                    self.done = true;
                    let cut = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "server stopped");
                    return Some((Err(cut), self));
                }
            }
        }
    }
}
