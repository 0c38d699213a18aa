//! The local runtime behind the [`Generator`] trait.
//!
//! # One engine, one thread
//! A `quill_llm` engine owns a KV cache and scratch buffers that one generation mutates at a
//! time; it is `Send` but not meant to be shared. [`LocalBackend`] therefore moves the engine onto
//! a dedicated worker thread and talks to it over channels, which makes the handle `Send + Sync`:
//! callers on any thread submit jobs, jobs run one after another in arrival order, and pieces
//! stream back to the caller's own thread, where its callback runs. A caller's [`Flow::Stop`]
//! sets a flag the worker checks after every token, so cancellation takes effect within one token.
//!
//! For parallel generation, load several backends (the server's `--parallel N` does): the weights
//! are memory-mapped, so engines share the file's pages.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use crate::Generator;
use crate::error::{BackendError, Result};
use crate::types::{ChatMessage, Completion, FinishReason, Flow, GenParams, Timings, Usage};

/// How to load the local model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalOptions {
    /// Compute threads for this engine (`None`: the runtime's default).
    pub threads: Option<usize>,
    /// Context window in tokens (`None`: the model's training context).
    pub n_ctx: Option<usize>,
    /// A LoRA adapter file to apply on top of the base model.
    pub adapter: Option<PathBuf>,
    /// The name to report as `model_id` (`None`: the file's stem).
    pub name: Option<String>,
}

/// What the worker thread needs from an engine. Kept as a private seam so the threading and
/// cancellation logic does not depend on the engine's exact signature.
pub(crate) trait EngineRun: Send {
    fn run(
        &mut self,
        messages: &[ChatMessage],
        params: &GenParams,
        on_piece: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<(String, FinishReason, Usage)>;
    fn n_ctx(&self) -> usize;
}

enum Event {
    Piece(String),
    Done(Result<(String, FinishReason, Usage)>),
}

struct Job {
    messages: Vec<ChatMessage>,
    params: GenParams,
    events: mpsc::Sender<Event>,
    cancel: Arc<AtomicBool>,
}

/// The local model on its own worker thread. See the module docs.
pub struct LocalBackend {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
    model_id: String,
    path: PathBuf,
    n_ctx: usize,
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBackend").field("model_id", &self.model_id).field("path", &self.path).finish()
    }
}

impl LocalBackend {
    /// Loads the model on a new worker thread; returns once it is ready (or failed to load).
    pub fn load(path: &Path, opts: LocalOptions) -> Result<Self> {
        let model_id = opts.name.clone().unwrap_or_else(|| model_name(path));
        let path_buf = path.to_path_buf();
        Self::spawn(model_id, path_buf.clone(), move || crate::local_engine::load(&path_buf, &opts))
    }

    pub(crate) fn spawn<F>(model_id: String, path: PathBuf, load: F) -> Result<Self>
    where
        F: FnOnce() -> Result<Box<dyn EngineRun>> + Send + 'static,
    {
        let (ready_tx, ready_rx) = mpsc::channel::<Result<usize>>();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let worker = std::thread::Builder::new()
            .name(format!("quill-llm:{model_id}"))
            .spawn(move || {
                let mut engine = match load() {
                    Ok(e) => {
                        let _ = ready_tx.send(Ok(e.n_ctx()));
                        e
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Ends when every handle (sender) is dropped.
                while let Ok(job) = jobs_rx.recv() {
                    let Job { messages, params, events, cancel } = job;
                    let mut on_piece = |piece: &str| {
                        if cancel.load(Ordering::Relaxed)
                            || (!piece.is_empty() && events.send(Event::Piece(piece.to_string())).is_err())
                        {
                            Flow::Stop
                        } else {
                            Flow::Continue
                        }
                    };
                    let result = engine.run(&messages, &params, &mut on_piece);
                    let _ = events.send(Event::Done(result));
                }
            })
            .map_err(|e| BackendError::WorkerGone(format!("cannot start the model thread: {e}")))?;
        let n_ctx = match ready_rx.recv() {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                let _ = worker.join();
                return Err(e);
            }
            Err(_) => {
                let why = panic_message(worker.join());
                return Err(BackendError::WorkerGone(format!("the model thread died while loading: {why}")));
            }
        };
        Ok(Self { jobs: Mutex::new(Some(jobs_tx)), worker: Mutex::new(Some(worker)), model_id, path, n_ctx })
    }

    /// The GGUF file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn panic_message(r: std::thread::Result<()>) -> String {
    match r {
        Ok(()) => "it exited".into(),
        Err(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "it panicked".into()),
    }
}

/// `SmolLM2-135M-Instruct.Q4_1.gguf` → `SmolLM2-135M-Instruct.Q4_1`; Ollama blobs
/// (`sha256-…`) keep their name, which callers override with [`LocalOptions::name`].
fn model_name(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "local".into())
}

impl Generator for LocalBackend {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn context_length(&self) -> Option<u32> {
        u32::try_from(self.n_ctx).ok()
    }

    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenParams,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Completion> {
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job { messages: messages.to_vec(), params: params.clone(), events: tx, cancel: cancel.clone() };
        {
            let guard = self.jobs.lock().map_err(|_| BackendError::WorkerGone("job queue lock poisoned".into()))?;
            let sender = guard.as_ref().ok_or_else(|| BackendError::WorkerGone("the backend was shut down".into()))?;
            sender.send(job).map_err(|_| BackendError::WorkerGone(self.worker_status()))?;
        }
        let mut ttft = None;
        let mut cancelled = false;
        // What the caller was shown: after a cancel the worker may have produced a few more
        // pieces before it saw the flag, and those must not appear in the result either.
        let mut delivered = String::new();
        loop {
            match rx.recv() {
                Ok(Event::Piece(p)) => {
                    ttft.get_or_insert_with(|| started.elapsed());
                    if !cancelled {
                        delivered.push_str(&p);
                        if on_token(&p) == Flow::Stop {
                            cancelled = true;
                            cancel.store(true, Ordering::Relaxed);
                        }
                    }
                }
                Ok(Event::Done(r)) => {
                    let (text, finish, usage) = r?;
                    return Ok(Completion {
                        text: if cancelled { delivered } else { text },
                        finish_reason: if cancelled { FinishReason::Cancelled } else { finish },
                        usage,
                        timings: Timings { time_to_first_token: ttft, total: started.elapsed() },
                        model: self.model_id.clone(),
                    });
                }
                Err(_) => return Err(BackendError::WorkerGone(self.worker_status())),
            }
        }
    }
}

impl LocalBackend {
    fn worker_status(&self) -> String {
        let handle = self.worker.lock().ok().and_then(|mut w| w.take());
        match handle {
            Some(h) if h.is_finished() => panic_message(h.join()),
            Some(_) => "the model thread stopped answering".into(),
            None => "the model thread is gone".into(),
        }
    }
}

impl Drop for LocalBackend {
    fn drop(&mut self) {
        // Closing the job channel ends the worker's loop once the current job is done.
        if let Ok(mut j) = self.jobs.lock() {
            j.take();
        }
        if let Ok(mut w) = self.worker.lock()
            && let Some(h) = w.take()
        {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine that emits words, checking for cancellation like the real one.
    struct Words(Vec<&'static str>);

    impl EngineRun for Words {
        fn run(
            &mut self,
            _m: &[ChatMessage],
            p: &GenParams,
            on_piece: &mut dyn FnMut(&str) -> Flow,
        ) -> Result<(String, FinishReason, Usage)> {
            let mut out = String::new();
            let max = p.max_tokens.unwrap_or(u32::MAX) as usize;
            for (i, w) in self.0.iter().enumerate() {
                if i == max {
                    return Ok((out, FinishReason::Length, Usage { prompt_tokens: 1, completion_tokens: i as u32 }));
                }
                out.push_str(w);
                if on_piece(w) == Flow::Stop {
                    return Ok((
                        out,
                        FinishReason::Cancelled,
                        Usage { prompt_tokens: 1, completion_tokens: i as u32 + 1 },
                    ));
                }
            }
            Ok((out, FinishReason::Stop, Usage { prompt_tokens: 1, completion_tokens: self.0.len() as u32 }))
        }
        fn n_ctx(&self) -> usize {
            64
        }
    }

    fn backend() -> LocalBackend {
        LocalBackend::spawn("words".into(), PathBuf::from("words"), || Ok(Box::new(Words(vec!["a", "b", "c", "d"]))))
            .unwrap()
    }

    #[test]
    fn streams_and_cancels_across_threads() {
        let b = Arc::new(backend());
        assert_eq!(b.context_length(), Some(64));
        let mut got = Vec::new();
        let c = b.generate(&[], &GenParams::default(), &mut |p| {
            got.push(p.to_string());
            Flow::Continue
        });
        let c = c.unwrap();
        assert_eq!((c.text.as_str(), c.finish_reason), ("abcd", FinishReason::Stop));
        assert_eq!(got, ["a", "b", "c", "d"]);

        let c = b
            .generate(&[], &GenParams::default(), &mut |p| if p == "b" { Flow::Stop } else { Flow::Continue })
            .unwrap();
        assert_eq!((c.text.as_str(), c.finish_reason), ("ab", FinishReason::Cancelled));

        let threads: Vec<_> = (0..4)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || {
                    let p = GenParams { max_tokens: Some(2), ..Default::default() };
                    b.generate(&[], &p, &mut |_| Flow::Continue).unwrap()
                })
            })
            .collect();
        for t in threads {
            let c = t.join().unwrap();
            assert_eq!((c.text.as_str(), c.finish_reason), ("ab", FinishReason::Length));
        }
    }

    #[test]
    fn load_failure_and_panics_are_errors() {
        let err = LocalBackend::spawn("x".into(), PathBuf::new(), || Err(BackendError::Engine("bad file".into())))
            .unwrap_err();
        assert!(err.to_string().contains("bad file"));
        let err = LocalBackend::spawn("x".into(), PathBuf::new(), || panic!("boom")).unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }
}
