//! Retry policy: which statuses to retry, how long to wait, and `Retry-After`.
//!
//! Why jitter: when a shared server sheds load with 429, every client that backs off by the same
//! exponential schedule comes back at the same instant and is shed again. Randomising half of each
//! delay ("equal jitter") spreads them out while keeping a guaranteed minimum wait.

use std::time::{Duration, SystemTime};

/// The schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay.
    pub base: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` we are willing to sleep; a server asking for more gets its error
    /// reported instead of a command that hangs for minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Whether an HTTP status is worth retrying: rate limits and server-side failures (a 501 "not
/// implemented" will not change on retry).
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || status == 408 || (500..600).contains(&status) && status != 501 && status != 505
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (0-based) without a server hint: exponential,
    /// capped, with equal jitter. `unit` is a number in [0, 1) from the caller's RNG, so the
    /// schedule is testable.
    pub fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let exp = self.base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The delay to use given an optional `Retry-After`; `None` means "do not retry" (the server
    /// asked for longer than [`RetryPolicy::max_retry_after`]).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, unit: f64) -> Option<Duration> {
        match retry_after {
            Some(d) if d > self.max_retry_after => None,
            // Honour the server's hint exactly; it knows when capacity returns.
            Some(d) => Some(d),
            None => Some(self.backoff(attempt, unit)),
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds (`"120"`, fractional accepted) or an HTTP date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`), relative to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let date = parse_http_date(v)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate (the form every current server sends), plus the obsolete RFC 850 and asctime forms
/// that RFC 9110 says recipients must accept.
fn parse_http_date(v: &str) -> Option<SystemTime> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let naive = if let Ok(d) = DateTime::parse_from_rfc2822(v) {
        d.with_timezone(&Utc).naive_utc()
    } else if let Ok(d) = NaiveDateTime::parse_from_str(v, "%A, %d-%b-%y %H:%M:%S GMT") {
        d
    } else {
        NaiveDateTime::parse_from_str(&v.split_whitespace().collect::<Vec<_>>().join(" "), "%a %b %d %H:%M:%S %Y")
            .ok()?
    };
    let ts = naive.and_utc().timestamp();
    if ts < 0 {
        return None;
    }
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(ts as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21 07:27:50 UTC
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 ", now), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed Oct 21 07:28:00 2015", now), Some(Duration::from_secs(10)));
        // In the past: retry now.
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(250));
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(500));
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(30, 1.0), p.max_delay);
        assert_eq!(p.delay(0, Some(Duration::from_secs(2)), 0.9), Some(Duration::from_secs(2)));
        assert_eq!(p.delay(0, Some(Duration::from_secs(600)), 0.9), None);
    }

    #[test]
    fn statuses() {
        for s in [429, 500, 502, 503, 504, 408] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
