//! One persistent thread pool for every kernel.
//!
//! Why not rayon: a decoded token runs about 120 matmuls of a few microseconds each, and
//! llama.cpp's edge at two threads comes from handing work to already-running threads with a
//! barrier that costs well under a microsecond. A work-stealing scheduler pays for queues,
//! wake-ups and (on two cores) a second pool fighting the first. This pool instead:
//!
//! * keeps `threads - 1` workers alive; the calling thread is worker 0, so a job costs one
//!   atomic increment to publish and one counter to wait on;
//! * gives each thread a contiguous home block of the tasks (a static split: matmul tiles
//!   are equal-sized, each thread streams its own slice of the weights, and keeps the same
//!   rows in its L2 call after call), cut into a few chunks claimed through a per-thread
//!   atomic counter, so a worker that the OS has descheduled (a busy 2-core machine) never
//!   stalls the job: whoever runs steals its unclaimed chunks;
//! * spins for a while after each job (the next matmul is usually microseconds away), then
//!   parks on a condition variable so an idle process burns no CPU.
//!
//! A job submitted from inside a job of the same pool runs inline on that thread (with its
//! thread id) instead of deadlocking; a job submitted from another thread waits until the
//! pool is free. So at any moment each thread id belongs to at most one running thread, and
//! callers may index per-thread scratch by it.

use std::cell::Cell;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::KernelError;

/// One published job. Lives on the dispatcher's stack for the duration of `Pool::run`;
/// workers reach it through `Shared::job` only while registered in `Shared::active`.
struct Job<'a> {
    f: &'a (dyn Fn(Range<usize>, usize) + Sync + 'a),
    n_tasks: usize,
    n_chunks: usize,
    n_threads: usize,
    /// Per-thread claim counters (chunk ids), owned by the pool and reset for each job.
    next: &'a [Padded],
    /// Chunks finished.
    done: AtomicUsize,
    /// Set when a chunk panicked on a worker; re-raised by the dispatcher.
    panicked: AtomicBool,
}

/// A counter on its own cache line (two, for the adjacent-line prefetcher), so threads
/// claiming their own chunks never contend.
#[repr(align(128))]
struct Padded(AtomicUsize);

impl Job<'_> {
    /// Thread `t`'s home chunks: a contiguous block, so on an idle machine every thread works
    /// on the same rows call after call (its L2 keeps them) exactly like a static split.
    fn home(&self, t: usize) -> Range<usize> {
        Pool::split(self.n_chunks, self.n_threads, t)
    }

    /// Runs this thread's home chunks, then steals whatever other threads have not claimed
    /// (a descheduled worker's share ends up done by whoever is running).
    fn work(&self, tid: usize) {
        for k in 0..self.n_threads {
            let victim = (tid + k) % self.n_threads;
            let end = self.home(victim).end;
            loop {
                let c = self.next[victim].0.fetch_add(1, Ordering::AcqRel);
                if c >= end {
                    break;
                }
                let r = Pool::split(self.n_tasks, self.n_chunks, c);
                if catch_unwind(AssertUnwindSafe(|| (self.f)(r, tid))).is_err() {
                    self.panicked.store(true, Ordering::Release);
                }
                self.done.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}

struct Shared {
    /// The current job (type-erased `*const Job`), or null between jobs.
    job: AtomicPtr<()>,
    /// Workers currently holding a pointer read from `job`.
    active: AtomicUsize,
    /// Incremented once per published job; idle workers wait for it to change.
    epoch: AtomicU64,
    /// Workers parked on `cv` (so the dispatcher knows whether to notify).
    sleepers: AtomicUsize,
    shutdown: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
    n_threads: usize,
    spin: Duration,
    /// Claim counters, one per thread; only the dispatcher holding `busy` resets them.
    next: Box<[Padded]>,
}

/// A persistent pool of compute threads; see the module docs for why it exists.
pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    busy: AtomicBool,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("threads", &self.shared.n_threads).finish()
    }
}

/// Default spin time before a worker parks.
const DEFAULT_SPIN: Duration = Duration::from_micros(1000);

impl Pool {
    /// A pool with `threads` compute threads in total (the calling thread counts as one).
    ///
    /// `threads == 0` means "available parallelism".
    pub fn new(threads: usize) -> Result<Self, KernelError> {
        Self::with_spin(threads, DEFAULT_SPIN)
    }

    /// Like [`Pool::new`], with the time workers busy-wait for the next job before parking.
    /// Zero parks immediately (lowest CPU use, about 10–50 µs extra latency per job).
    pub fn with_spin(threads: usize, spin: Duration) -> Result<Self, KernelError> {
        let n_threads =
            if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
        let shared = Arc::new(Shared {
            job: AtomicPtr::new(std::ptr::null_mut()),
            active: AtomicUsize::new(0),
            epoch: AtomicU64::new(0),
            sleepers: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            lock: Mutex::new(()),
            cv: Condvar::new(),
            n_threads,
            spin,
            next: (0..n_threads).map(|_| Padded(AtomicUsize::new(0))).collect(),
        });
        let mut workers = Vec::with_capacity(n_threads.saturating_sub(1));
        for tid in 1..n_threads {
            let s = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name(format!("quill-kernel-{tid}"))
                .spawn(move || worker_loop(&s, tid))
                .map_err(|e| KernelError::Pool(e.to_string()))?;
            workers.push(handle);
        }
        Ok(Pool { shared, workers, busy: AtomicBool::new(false) })
    }

    /// A pool sized from the environment: `QUILL_THREADS` (a positive integer) if set,
    /// otherwise the available parallelism. `QUILL_SPIN_US` overrides the spin time.
    pub fn from_env() -> Result<Self, KernelError> {
        let threads = match std::env::var("QUILL_THREADS") {
            Ok(v) => v.trim().parse::<usize>().map_err(|_| {
                KernelError::Pool(format!("QUILL_THREADS={v:?} is not a whole number; set it to e.g. 2, or unset it"))
            })?,
            Err(_) => 0,
        };
        let spin = match std::env::var("QUILL_SPIN_US") {
            Ok(v) => Duration::from_micros(v.trim().parse::<u64>().map_err(|_| {
                KernelError::Pool(format!(
                    "QUILL_SPIN_US={v:?} is not a whole number of microseconds; unset it or use e.g. 1000"
                ))
            })?),
            Err(_) => DEFAULT_SPIN,
        };
        Self::with_spin(threads, spin)
    }

    /// Number of compute threads, including the caller.
    pub fn threads(&self) -> usize {
        self.shared.n_threads
    }

    /// The static share of `n_tasks` that thread `tid` of `n_threads` gets.
    pub fn split(n_tasks: usize, n_threads: usize, tid: usize) -> Range<usize> {
        let n = n_threads.max(1);
        (n_tasks * tid / n)..(n_tasks * (tid + 1) / n)
    }

    /// Runs `f(range, thread_id)` over `0..n_tasks`, split into contiguous chunks (a few per
    /// thread) that the threads claim; `f` may be called several times on one thread. Empty
    /// ranges are never passed. Returns when every task is done; a panic in `f` is re-raised.
    pub fn run<F>(&self, n_tasks: usize, f: F)
    where
        F: Fn(Range<usize>, usize) + Sync,
    {
        let n = self.shared.n_threads;
        if n_tasks == 0 {
            return;
        }
        let me = Arc::as_ptr(&self.shared) as usize;
        let (in_pool, my_tid) = IN_JOB.with(Cell::get);
        if in_pool == me {
            // Nested call from inside one of our own jobs: run it here, as the same thread id
            // (waiting for the pool would deadlock).
            f(0..n_tasks, my_tid);
            return;
        }
        // Another thread's job may be running: wait for the pool, so thread ids stay unique
        // among the threads running jobs at any moment (callers index scratch by them).
        wait_until(|| self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok());
        let _busy = ReleaseOnDrop(&self.busy);
        let _marker = InJob::enter(me, 0);
        if n == 1 || n_tasks == 1 {
            f(0..n_tasks, 0);
            return;
        }
        let sh = &*self.shared;
        let job = Job {
            f: &f,
            n_tasks,
            n_chunks: n_tasks.min(n * CHUNKS_PER_THREAD),
            n_threads: n,
            next: &sh.next,
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
        };
        // No worker touches the counters now: the previous job was unpublished and waited
        // out (`active == 0`), and this one is not published yet.
        for t in 0..n {
            sh.next[t].0.store(job.home(t).start, Ordering::Relaxed);
        }
        sh.job.store((&job as *const Job<'_>).cast_mut().cast(), Ordering::SeqCst);
        sh.epoch.fetch_add(1, Ordering::SeqCst);
        if sh.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
            sh.cv.notify_all();
        }
        job.work(0);
        // Chunks claimed by workers may still be running.
        wait_until(|| job.done.load(Ordering::Acquire) == job.n_chunks);
        // Unpublish, then wait for workers that picked up the pointer to let go of it: after
        // this no thread can reach `job` (or `f`), so returning is safe.
        sh.job.store(std::ptr::null_mut(), Ordering::SeqCst);
        wait_until(|| sh.active.load(Ordering::SeqCst) == 0);
        if job.panicked.load(Ordering::Acquire) {
            panic!("a quill-kernels pool job panicked");
        }
    }
}

thread_local! {
    /// `(pool identity, thread id)` while this thread runs a job of that pool; `(0, 0)` otherwise.
    static IN_JOB: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Marks the current thread as inside a job of a pool until dropped (restores the previous
/// marker, so it also unwinds correctly).
struct InJob((usize, usize));

impl InJob {
    fn enter(pool: usize, tid: usize) -> InJob {
        InJob(IN_JOB.with(|c| c.replace((pool, tid))))
    }
}

impl Drop for InJob {
    fn drop(&mut self) {
        IN_JOB.with(|c| c.set(self.0));
    }
}

/// Clears the pool's `busy` flag when dropped (also on unwind).
struct ReleaseOnDrop<'a>(&'a AtomicBool);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Chunks per thread: enough that the caller can absorb a late worker's share in pieces,
/// few enough that claiming (one atomic add per chunk) stays negligible.
const CHUNKS_PER_THREAD: usize = 4;

/// Spins until `done()`, yielding the CPU now and then (a busy machine may have descheduled
/// the thread being waited for).
fn wait_until(done: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !done() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(1024) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

fn worker_loop(sh_arc: &Arc<Shared>, tid: usize) {
    let sh: &Shared = sh_arc;
    let mut seen = 0u64;
    loop {
        // Wait for a new epoch: spin first, then park.
        let start = Instant::now();
        let mut spins = 0u32;
        let epoch = loop {
            let e = sh.epoch.load(Ordering::Acquire);
            if e != seen {
                break e;
            }
            if sh.shutdown.load(Ordering::Acquire) {
                return;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(256) || start.elapsed() < sh.spin {
                std::hint::spin_loop();
                continue;
            }
            let mut g = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
            sh.sleepers.fetch_add(1, Ordering::SeqCst);
            while sh.epoch.load(Ordering::SeqCst) == seen && !sh.shutdown.load(Ordering::SeqCst) {
                g = sh.cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            sh.sleepers.fetch_sub(1, Ordering::SeqCst);
        };
        seen = epoch;
        sh.active.fetch_add(1, Ordering::SeqCst);
        let p = sh.job.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: we registered in `active` before loading a non-null pointer, and the
            // dispatcher nulls `job` and then waits for `active == 0` before its `Job` (and
            // closure) go out of scope, so the pointee is alive until we deregister below.
            let job = unsafe { &*p.cast::<Job<'_>>().cast_const() };
            let _marker = InJob::enter(Arc::as_ptr(sh_arc) as usize, tid);
            job.work(tid);
        }
        sh.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        {
            let _g = self.shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.cv.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_task_runs_exactly_once() {
        for threads in 1..=4 {
            let pool = Pool::new(threads).unwrap();
            for n in [0usize, 1, 2, 3, 7, 100, 1001] {
                let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
                pool.run(n, |r, tid| {
                    assert!(tid < threads);
                    for i in r {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                    }
                });
                assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
            }
        }
    }

    #[test]
    fn many_jobs_in_a_row_and_after_parking() {
        let pool = Pool::with_spin(2, Duration::ZERO).unwrap();
        let total = AtomicUsize::new(0);
        for i in 0..2000 {
            if i % 500 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
            pool.run(10, |r, _| {
                total.fetch_add(r.len(), Ordering::Relaxed);
            });
        }
        assert_eq!(total.load(Ordering::Relaxed), 20_000);
    }

    #[test]
    fn nested_run_does_not_deadlock() {
        let pool = Pool::new(2).unwrap();
        let total = AtomicUsize::new(0);
        pool.run(4, |r, _| {
            for _ in r {
                pool.run(3, |r2, _| {
                    total.fetch_add(r2.len(), Ordering::Relaxed);
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 12);
    }

    #[test]
    fn thread_ids_are_exclusive_even_with_concurrent_callers() {
        let pool = Pool::new(2).unwrap();
        let in_use: Vec<AtomicBool> = (0..2).map(|_| AtomicBool::new(false)).collect();
        let total = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    for _ in 0..300 {
                        pool.run(16, |r, tid| {
                            assert!(!in_use[tid].swap(true, Ordering::AcqRel), "tid {tid} shared");
                            total.fetch_add(r.len(), Ordering::Relaxed);
                            std::hint::spin_loop();
                            in_use[tid].store(false, Ordering::Release);
                        });
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 3 * 300 * 16);
    }

    #[test]
    fn worker_panic_is_reported_and_pool_survives() {
        let pool = Pool::new(2).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            pool.run(8, |r, _| {
                if r.contains(&5) {
                    panic!("boom");
                }
            })
        }));
        assert!(r.is_err());
        let total = AtomicUsize::new(0);
        pool.run(8, |r, _| {
            total.fetch_add(r.len(), Ordering::Relaxed);
        });
        assert_eq!(total.load(Ordering::Relaxed), 8);
    }
}
