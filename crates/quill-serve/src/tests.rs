//! Unit tests of the pieces that need no model: token comparison, address rules, the queue.
//! The HTTP behaviour is tested end to end against the real model in `tests/`.

use super::*;

struct Never;

impl Generator for Never {
    fn model_id(&self) -> &str {
        "never"
    }
    fn generate(
        &self,
        _: &[quill_backends::ChatMessage],
        _: &quill_backends::GenParams,
        _: &mut dyn FnMut(&str) -> quill_backends::Flow,
    ) -> quill_backends::Result<quill_backends::Completion> {
        Err(quill_backends::BackendError::Engine("not used in these tests".into()))
    }
}

fn slots() -> Vec<Arc<dyn Generator>> {
    vec![Arc::new(Never)]
}

#[test]
fn constant_time_compare() {
    assert!(ct_eq(&digest("secret"), &digest("secret")));
    assert!(!ct_eq(&digest("secret"), &digest("secreT")));
    assert!(!ct_eq(&digest("secret"), &digest("")));
}

#[test]
fn non_loopback_needs_a_token() {
    let mut o = ServeOptions::new("m");
    o.addr = "0.0.0.0:0".parse().unwrap();
    assert!(matches!(Server::bind(o.clone(), slots()), Err(ServeError::TokenRequired { .. })));
    o.token = Some(String::new());
    assert!(matches!(Server::bind(o.clone(), slots()), Err(ServeError::TokenRequired { .. })));
    let mut lo = ServeOptions::new("m");
    lo.addr = "127.0.0.1:0".parse().unwrap();
    assert!(Server::bind(lo.clone(), slots()).is_ok());
    lo.addr = "[::1]:0".parse().unwrap();
    // IPv6 loopback is loopback too (binding may fail where IPv6 is off; only the rule matters).
    assert!(!matches!(Server::bind(lo, slots()), Err(ServeError::TokenRequired { .. })));
    assert!(matches!(Server::bind(ServeOptions::new("m"), vec![]), Err(ServeError::NoSlots)));
}

#[test]
fn queue_is_fifo_bounded_and_frees_on_drop() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let pool = Arc::new(pool::Pool::new(slots(), 1));
        let a = pool.acquire().await.ok().unwrap();
        assert_eq!(pool.busy(), 1);
        // One may wait...
        let p2 = pool.clone();
        let waiter = tokio::spawn(async move { p2.acquire().await.map(|_| ()).is_ok() });
        tokio::task::yield_now().await;
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        // ...the next is refused with a Retry-After of at least a second.
        let full = pool.acquire().await.err().unwrap();
        assert!(full.retry_after >= Duration::from_secs(1));
        assert_eq!(pool.counters.rejected.load(Ordering::Relaxed), 1);
        drop(a);
        assert!(waiter.await.unwrap());
        assert_eq!(pool.waiting(), 0);
        assert_eq!(pool.busy(), 0);
    });
}

#[test]
fn retry_after_follows_recent_durations() {
    let pool = pool::Pool::new(slots(), 4);
    assert_eq!(pool.retry_after(), Duration::from_secs(1));
    pool.record(Duration::from_secs(8));
    assert_eq!(pool.retry_after(), Duration::from_secs(8));
    pool.record(Duration::from_secs(600));
    assert_eq!(pool.retry_after(), Duration::from_secs(60));
}
