//! Retry policy: what to do after each HTTP outcome, and how long to wait.
//!
//! The rules of `docs/PROTOCOL.md`: retry network errors, timeouts, 408, 429 and 5xx with
//! exponential back-off and full jitter, honouring `Retry-After` (seconds or HTTP date) and a
//! 202 `retryAfter`; cap attempts and age; never retry 400, 401, 403, 413. Pure functions of
//! their inputs (the jitter source is passed in), so the policy is tested without a network.

use std::time::{Duration, SystemTime};

/// Limits of the retry policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// First back-off ceiling; doubles each attempt.
    pub base_delay: Duration,
    /// Largest back-off ceiling (and largest honoured Retry-After).
    pub max_delay: Duration,
    /// Failed attempts (server errors, resets, timeouts) after which an artifact is dropped.
    /// Connection failures (server unreachable: offline) do not count: they are nobody's
    /// fault and an outage must not burn the budget of every spooled artifact.
    pub max_attempts: u32,
    /// Artifacts older than this are dropped unsent.
    pub max_age: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5 * 60),
            max_attempts: 10,
            max_age: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter back-off for the `attempt`-th consecutive failure (1-based):
    /// uniform in `[0, min(max, base × 2^(attempt−1))]`. `unit` is a uniform sample in [0, 1).
    pub fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The upper bound [`RetryPolicy::backoff`] draws from.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        self.base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay)
    }

    /// The wait after a failure: the server's hint if it gave one (capped at `max_delay`),
    /// otherwise jittered back-off.
    pub fn delay(&self, attempt: u32, hint: Option<Duration>, unit: f64) -> Duration {
        match hint {
            Some(h) => h.min(self.max_delay),
            None => self.backoff(attempt, unit),
        }
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What an HTTP status means for the request that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    Success,
    /// 408, 429, 5xx: try again later.
    Retryable,
    /// 401, 403: credentials are bad; pause and re-authenticate.
    Unauthorized,
    /// 402: billing blocked; stop uploading this session.
    PaymentRequired,
    /// 400, 413 and every other 4xx: the request itself is wrong; record and drop.
    Rejected,
}

pub fn classify(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        408 | 429 | 500..=599 => StatusClass::Retryable,
        401 | 403 => StatusClass::Unauthorized,
        402 => StatusClass::PaymentRequired,
        _ => StatusClass::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_full_jitter_and_caps() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            ..RetryPolicy::default()
        };
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(4), Duration::from_millis(800));
        assert_eq!(p.ceiling(10), Duration::from_secs(2));
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(2), "no overflow");
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(3, 0.5), Duration::from_millis(200));
        assert!(p.backoff(3, 0.999) < Duration::from_millis(400));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60)), 0.3),
            Duration::from_secs(2),
            "hints are capped"
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(5)), 0.3),
            Duration::from_millis(5)
        );
    }

    #[test]
    fn retry_after_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn statuses_are_classified_per_protocol() {
        for s in [500, 502, 503, 504, 408, 429] {
            assert_eq!(classify(s), StatusClass::Retryable, "{s}");
        }
        for s in [400, 413, 404, 422] {
            assert_eq!(classify(s), StatusClass::Rejected, "{s}");
        }
        assert_eq!(classify(401), StatusClass::Unauthorized);
        assert_eq!(classify(403), StatusClass::Unauthorized);
        assert_eq!(classify(402), StatusClass::PaymentRequired);
        assert_eq!(classify(204), StatusClass::Success);
    }
}
