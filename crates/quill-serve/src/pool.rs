//! Slots and the wait queue.
//!
//! # The choice: a pool of engines behind one fair queue
//! Each slot is one [`Generator`] (for the local model, one engine on its own thread, so N slots
//! generate N answers truly in parallel). Requests take a slot from a FIFO semaphore (tokio's is
//! fair), so a burst is served in arrival order and no request can starve. A slot is held by
//! the blocking task that runs the generation and returned when that task ends — which is when the
//! generation finishes *or notices its reader is gone* — so a disconnected client frees its slot
//! within one token.
//!
//! Why not one engine with batched decoding: it would raise throughput for many tiny clients, but
//! the runtime's engine generates one sequence at a time, and a creator's server sees a handful
//! of clients. Queue depth is bounded (`--max-queue`); beyond it requests get 429 with a
//! `Retry-After` estimated from recent request durations, which OpenAI clients honour.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quill_backends::Generator;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Counters shown by `/health`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub served: AtomicU64,
    pub cancelled: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
}

/// The slots.
pub(crate) struct Pool {
    slots: Vec<Arc<dyn Generator>>,
    idle: Mutex<Vec<usize>>,
    sem: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
    /// Exponentially weighted average request duration in milliseconds (0 = none yet).
    avg_ms: AtomicU64,
    pub counters: Counters,
}

/// A held slot; returns itself to the pool when dropped.
pub(crate) struct Slot {
    pool: Arc<Pool>,
    index: usize,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    pub fn generator(&self) -> &Arc<dyn Generator> {
        &self.pool.slots[self.index]
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut idle) = self.pool.idle.lock() {
            idle.push(self.index);
        }
        // The permit is released after the index is back, so the next holder always finds one.
    }
}

/// Why no slot was handed out.
#[derive(Debug)]
pub(crate) struct QueueFull {
    pub retry_after: Duration,
}

struct WaitGuard<'a>(&'a AtomicUsize);

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pool {
    pub fn new(slots: Vec<Arc<dyn Generator>>, max_queue: usize) -> Self {
        let n = slots.len();
        Self {
            idle: Mutex::new((0..n).rev().collect()),
            sem: Arc::new(Semaphore::new(n)),
            slots,
            waiting: AtomicUsize::new(0),
            max_queue,
            avg_ms: AtomicU64::new(0),
            counters: Counters::default(),
        }
    }

    pub fn size(&self) -> usize {
        self.slots.len()
    }

    /// The served model's context window (every slot holds the same model).
    pub fn context_length(&self) -> Option<u32> {
        self.slots.first().and_then(|g| g.context_length())
    }

    pub fn busy(&self) -> usize {
        self.slots.len() - self.sem.available_permits()
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits for a slot in FIFO order, or refuses at once when the queue is full. Dropping the
    /// returned future (the client went away while queued) leaves the queue cleanly.
    pub async fn acquire(self: &Arc<Self>) -> Result<Slot, QueueFull> {
        let permit = match self.sem.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                    return Err(QueueFull { retry_after: self.retry_after() });
                }
                let _guard = WaitGuard(&self.waiting);
                match self.sem.clone().acquire_owned().await {
                    Ok(p) => p,
                    // The semaphore is never closed; treat it as full if it ever is.
                    Err(_) => return Err(QueueFull { retry_after: self.retry_after() }),
                }
            }
        };
        let index = self.idle.lock().ok().and_then(|mut v| v.pop());
        match index {
            Some(index) => Ok(Slot { pool: self.clone(), index, _permit: permit }),
            None => Err(QueueFull { retry_after: self.retry_after() }),
        }
    }

    /// Records a finished request's duration for the `Retry-After` estimate.
    pub fn record(&self, took: Duration) {
        let ms = took.as_millis().min(u128::from(u32::MAX)) as u64;
        let old = self.avg_ms.load(Ordering::Relaxed);
        let new = if old == 0 { ms } else { (old * 7 + ms) / 8 };
        self.avg_ms.store(new.max(1), Ordering::Relaxed);
    }

    /// How long until a slot is likely free: the queue ahead divided among the slots, times the
    /// average request duration; at least one second, at most a minute.
    pub fn retry_after(&self) -> Duration {
        let avg = self.avg_ms.load(Ordering::Relaxed).max(1000);
        let ahead = (self.waiting() + 1) as u64;
        let ms = avg * ahead / self.slots.len().max(1) as u64;
        Duration::from_millis(ms).clamp(Duration::from_secs(1), Duration::from_secs(60))
    }
}
