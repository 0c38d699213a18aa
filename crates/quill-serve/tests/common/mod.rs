//! Shared setup: the real default model behind a real `quill-serve` on an ephemeral loopback port.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use quill_backends::{Generator, LocalBackend, LocalOptions, OpenAiBackend, OpenAiOptions};
use quill_serve::{ServeOptions, Server, ServerHandle};

/// The default model; a missing model fails the test with the fix.
pub fn model_path() -> PathBuf {
    let p = quill_store::default_llm_path();
    assert!(
        p.is_file(),
        "the default model {} is missing: run scripts/fetch-models.sh (these tests use the real model)",
        p.display()
    );
    p
}

/// Tests in one binary run one at a time: each loads engines and several measure time (queue,
/// timeouts), which parallel tests on a two-core machine would distort.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts a server with `parallel` engines; `tweak` adjusts the options.
pub fn start(parallel: usize, tweak: impl FnOnce(&mut ServeOptions)) -> ServerHandle {
    let path = model_path();
    let mut slots: Vec<Arc<dyn Generator>> = Vec::new();
    for _ in 0..parallel {
        let opts = LocalOptions { threads: Some(1), n_ctx: Some(2048), adapter: None, name: Some("smollm2".into()) };
        slots.push(Arc::new(LocalBackend::load(&path, opts).expect("loading the model")));
    }
    let mut o = ServeOptions::new("smollm2");
    o.addr = "127.0.0.1:0".parse().unwrap();
    tweak(&mut o);
    Server::bind(o, slots).expect("binding").spawn(2).expect("starting")
}

/// A client for the server.
pub fn client(h: &ServerHandle, tweak: impl FnOnce(&mut OpenAiOptions)) -> OpenAiBackend {
    let mut o = OpenAiOptions::new(h.base_url(), "smollm2");
    o.retry.max_retries = 0;
    tweak(&mut o);
    OpenAiBackend::new(o).unwrap()
}

/// Polls until `f` holds, failing after `within`.
pub fn wait_until(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < within, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A plain HTTP client for raw requests.
pub fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build().unwrap()
}
