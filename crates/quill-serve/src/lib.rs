//! Serves a Quill model over the OpenAI-compatible wire format so other tools (any OpenAI client
//! library, editors, agents) can use the creator's model.
//!
//! Routes: `POST /v1/chat/completions` (SSE streaming or one JSON answer; `temperature`, `top_p`,
//! `max_tokens`, `stop`, `seed`, `n`, `stream_options.include_usage`, and the llama.cpp extensions
//! `top_k`, `min_p`, `repeat_penalty`, `ignore_eos`), `GET /v1/models`, `GET /health`.
//!
//! # Safety defaults
//! - Binds to loopback unless told otherwise; any other address requires a token, checked as a
//!   Bearer header in constant time (comparing SHA-256 digests, so neither the content nor the
//!   length of the token leaks through timing).
//! - Bounded request bodies (413) and a bounded wait queue (429 with `Retry-After`).
//! - Malformed JSON and bad parameters get 400 with an OpenAI-style error body.
//!
//! # Concurrency
//! See [`pool`](crate) docs in `pool.rs`: N slots (generators) behind one FIFO queue; a client
//! that disconnects frees its slot within one token; [`Control::abort`] cuts every open stream
//! (what a forced shutdown does), and clients see a connection closed mid-stream.

mod api;
mod pool;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quill_backends::Generator;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

/// Default address: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default request body limit (a long conversation is well under this).
pub const DEFAULT_MAX_BODY: usize = 4 << 20;
/// Default queue depth beyond the busy slots.
pub const DEFAULT_MAX_QUEUE: usize = 32;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Bearer token; required for non-loopback addresses.
    pub token: Option<String>,
    /// Requests that may wait for a slot; more get 429.
    pub max_queue: usize,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// The id `/v1/models` reports and requests may name.
    pub model_id: String,
    /// Other ids requests may use for the same model (e.g. the file name, `default`).
    pub aliases: Vec<String>,
    /// Largest `n` (choices per request).
    pub max_n: u32,
    /// `max_tokens` when a request gives none (`None`: until end-of-sequence or the context).
    pub default_max_tokens: Option<u32>,
}

impl ServeOptions {
    /// Defaults for a model id.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            max_queue: DEFAULT_MAX_QUEUE,
            max_body_bytes: DEFAULT_MAX_BODY,
            model_id: model_id.into(),
            aliases: Vec::new(),
            max_n: 8,
            default_max_tokens: None,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A non-loopback address without a token.
    #[error(
        "refusing to listen on {addr} without a token: anyone on the network could use the model\n  hint: pass --token T (clients send `Authorization: Bearer T`), or listen on 127.0.0.1"
    )]
    TokenRequired {
        /// The address.
        addr: SocketAddr,
    },
    /// No generator to serve with.
    #[error("no model slots to serve with (parallel must be at least 1)")]
    NoSlots,
    /// Binding failed.
    #[error(
        "cannot listen on {addr}: {source}\n  hint: is another server using the port? try --addr 127.0.0.1:0 for a free one"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    /// The server thread panicked.
    #[error("the server thread stopped unexpectedly")]
    Panicked,
}

pub(crate) struct AppState {
    opts: ServeOptions,
    pool: Arc<pool::Pool>,
    token_hash: Option<[u8; 32]>,
    created: i64,
    aborting: AtomicBool,
    abort_tx: watch::Sender<bool>,
    abort_rx: watch::Receiver<bool>,
}

impl AppState {
    fn accepts_model(&self, m: &str) -> bool {
        m == self.opts.model_id || self.opts.aliases.iter().any(|a| a == m)
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Constant-time equality of two digests.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from turning the fold into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

async fn auth(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(expected) = &st.token_hash {
        let presented = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| digest(t.trim()));
        let ok = presented.is_some_and(|p| ct_eq(&p, expected));
        if !ok {
            return api::ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "authentication_error",
                Some("invalid_api_key"),
                "missing or wrong bearer token (send `Authorization: Bearer <the --token value>`)",
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// Live numbers, as `/health` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Slots (generators).
    pub slots: usize,
    /// Slots generating now.
    pub busy: usize,
    /// Requests waiting for a slot.
    pub queued: usize,
    /// Requests answered in full.
    pub served: u64,
    /// Generations stopped because the client went away.
    pub cancelled: u64,
    /// Requests refused with 429.
    pub rejected: u64,
    /// Generations that failed.
    pub failed: u64,
}

/// A handle on a running server's state: statistics and the emergency stop.
#[derive(Clone)]
pub struct Control {
    state: Arc<AppState>,
}

impl Control {
    /// Current statistics.
    pub fn stats(&self) -> Stats {
        let p = &self.state.pool;
        let c = &p.counters;
        Stats {
            slots: p.size(),
            busy: p.busy(),
            queued: p.waiting(),
            served: c.served.load(Ordering::Relaxed),
            cancelled: c.cancelled.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// Stops now: generations are cancelled, every open stream is cut (clients see the connection
    /// close mid-stream), new requests get 503, and the listener closes.
    pub fn abort(&self) {
        self.state.aborting.store(true, Ordering::SeqCst);
        let _ = self.state.abort_tx.send(true);
    }
}

/// A bound, not yet running server.
pub struct Server {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl Server {
    /// Checks the options and binds the address (so "port in use" is reported before anything
    /// else starts). `slots` are the generators requests are spread over.
    pub fn bind(opts: ServeOptions, slots: Vec<Arc<dyn Generator>>) -> Result<Self, ServeError> {
        if slots.is_empty() {
            return Err(ServeError::NoSlots);
        }
        let token = opts.token.clone().filter(|t| !t.is_empty());
        if !opts.addr.ip().is_loopback() && token.is_none() {
            return Err(ServeError::TokenRequired { addr: opts.addr });
        }
        let listener =
            std::net::TcpListener::bind(opts.addr).map_err(|source| ServeError::Bind { addr: opts.addr, source })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (abort_tx, abort_rx) = watch::channel(false);
        let state = Arc::new(AppState {
            pool: Arc::new(pool::Pool::new(slots, opts.max_queue)),
            token_hash: token.as_deref().map(digest),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            aborting: AtomicBool::new(false),
            abort_tx,
            abort_rx,
            opts,
        });
        Ok(Self { listener, addr, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state handle.
    pub fn control(&self) -> Control {
        Control { state: self.state.clone() }
    }

    /// The routes, for embedding in another axum app.
    pub fn router(&self) -> Router {
        let st = self.state.clone();
        Router::new()
            .route("/v1/chat/completions", post(api::chat_completions))
            .route("/v1/models", get(api::models))
            .route_layer(middleware::from_fn_with_state(st.clone(), auth))
            .route("/health", get(api::health))
            .fallback(api::not_found)
            .method_not_allowed_fallback(api::method_not_allowed)
            .layer(DefaultBodyLimit::max(st.opts.max_body_bytes))
            .with_state(st)
    }

    /// Serves until `shutdown` completes, then stops accepting connections, lets open requests
    /// finish for up to `grace`, and cuts whatever is still streaming. Must run inside a tokio
    /// runtime (multi-threaded: generations run on blocking threads).
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> Result<(), ServeError> {
        let router = self.router();
        let control = self.control();
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        let mut abort_rx = self.state.abort_rx.clone();
        let stop = async move {
            tokio::select! {
                _ = shutdown => {
                    let c = control.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(grace).await;
                        c.abort();
                    });
                }
                _ = abort_rx.wait_for(|a| *a) => {}
            }
        };
        axum::serve(listener, router).with_graceful_shutdown(stop).await?;
        Ok(())
    }

    /// Runs the server on its own thread and runtime (for tests, examples and embedding in
    /// synchronous programs). `worker_threads` sizes the async runtime; generations run on its
    /// blocking pool regardless.
    pub fn spawn(self, worker_threads: usize) -> Result<ServerHandle, ServeError> {
        let addr = self.addr;
        let control = self.control();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads.max(1))
            .thread_name("quill-serve")
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new().name("quill-serve-main".into()).spawn(move || {
            rt.block_on(self.run(
                async move {
                    let _ = rx.await;
                },
                Duration::from_secs(5),
            ))
        })?;
        Ok(ServerHandle { addr, control, shutdown: Some(tx), thread: Some(thread) })
    }
}

/// A server running on its own thread. Dropping the handle aborts it.
pub struct ServerHandle {
    addr: SocketAddr,
    control: Control,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl ServerHandle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/v1`, what clients use as base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Statistics and the emergency stop.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Stops accepting, lets open requests finish (up to 5 s), and waits for the thread.
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        self.stop(false)
    }

    /// Cuts every open stream now and waits for the thread.
    pub fn abort(mut self) -> Result<(), ServeError> {
        self.stop(true)
    }

    fn stop(&mut self, abort: bool) -> Result<(), ServeError> {
        if abort {
            self.control.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| ServeError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop(true);
    }
}

#[cfg(test)]
mod tests;
