//! Session lifecycle: ids, start, background/foreground, the background timeout that ends a
//! session and starts a new one, the maximum duration that ends it and stops recording (as
//! the official SDKs do with `maxRecordingMinutes`: no new session starts by itself), the
//! sampling decision and user identity.
//! Pure state driven by the caller's clock; the client turns its answers into actions.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// A session whose app stayed in background longer than this ends; coming back starts a
    /// new one.
    pub background_timeout_ms: u64,
    /// A session longer than this ends and recording stops (until the next `start`).
    pub max_session_ms: u64,
    /// Fraction of sessions recorded, 0.0..=1.0 (`session_sample_rate`).
    pub sample_rate: f64,
    /// Fraction of the sessions not recorded that are buffered and uploaded only if an
    /// error or crash happens (`on_error_sample_rate`), 0.0..=1.0.
    pub on_error_sample_rate: f64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            background_timeout_ms: 60_000,
            max_session_ms: 60 * 60_000,
            sample_rate: 1.0,
            on_error_sample_rate: 0.0,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SessionError {
    #[error("sample rate must be in 0.0..=1.0, got {0}")]
    SampleRate(f64),
    #[error("timeouts must be positive")]
    Timeout,
    #[error("no session is running")]
    NotStarted,
}

impl SessionConfig {
    pub fn validate(&self) -> Result<(), SessionError> {
        if !self.sample_rate.is_finite() || !(0.0..=1.0).contains(&self.sample_rate) {
            return Err(SessionError::SampleRate(self.sample_rate));
        }
        let r = self.on_error_sample_rate;
        if !r.is_finite() || !(0.0..=1.0).contains(&r) {
            return Err(SessionError::SampleRate(r));
        }
        if self.background_timeout_ms == 0 || self.max_session_ms == 0 {
            return Err(SessionError::Timeout);
        }
        Ok(())
    }
}

/// Why a session ended (sent as `endReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Stopped,
    BackgroundTimeout,
    MaxDuration,
    OptOut,
    /// Ended by the next launch: the process died without ending it (see
    /// [`crate::session_store`]); the official SDKs' name for it.
    Recovered,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::BackgroundTimeout => "background_timeout",
            Self::MaxDuration => "max_duration",
            Self::OptOut => "opt_out",
            Self::Recovered => "recovery_finalize",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub start_ms: u64,
    pub sampled_in: bool,
    pub user_id: Option<String>,
    pub background_total_ms: u64,
    background_since: Option<u64>,
}

impl Session {
    /// A session of an earlier process, as its saved state describes it.
    pub fn restored(id: String, start_ms: u64, sampled_in: bool, background_total_ms: u64) -> Self {
        Self {
            id,
            start_ms,
            sampled_in,
            user_id: None,
            background_total_ms,
            background_since: None,
        }
    }

    /// Since when the app is in background, if it is.
    pub fn background_since(&self) -> Option<u64> {
        self.background_since
    }
}

/// A session that just ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub session: Session,
    pub ended_at_ms: u64,
    pub reason: EndReason,
}

impl Ended {
    /// The body of `POST /api/ingest/session/end` (`metrics` and `sdkTelemetry` in the
    /// backend's shape, see `crate::metrics`).
    /// A null `sdk_telemetry` is left out (a recovered session's process kept none).
    pub fn end_body(&self, sdk_version: &str, metrics: Value, sdk_telemetry: Value) -> Value {
        let mut body = json!({
            "sessionId": self.session.id,
            "endedAt": self.ended_at_ms,
            "sdkVersion": sdk_version,
            "isSampledIn": self.session.sampled_in,
            "totalBackgroundTimeMs": self.session.background_total_ms,
            "endReason": self.reason.as_str(),
            "metrics": metrics,
            "sdkTelemetry": sdk_telemetry,
        });
        if let Some(m) = body.as_object_mut() {
            if m.get("sdkTelemetry").is_some_and(Value::is_null) {
                m.remove("sdkTelemetry");
            }
        }
        body
    }
}

/// A session change: the old one ended, a new one started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub ended: Ended,
    pub started: Session,
}

#[derive(Debug)]
pub struct SessionManager {
    config: SessionConfig,
    current: Option<Session>,
    user_id: Option<String>,
}

/// `session_<start ms>_<16 hex>`: sortable by time, unique without coordination.
pub fn new_session_id(start_ms: u64) -> String {
    format!("session_{start_ms}_{:016x}", fastrand::u64(..))
}

impl SessionManager {
    pub fn new(config: SessionConfig) -> Result<Self, SessionError> {
        config.validate()?;
        Ok(Self {
            config,
            current: None,
            user_id: None,
        })
    }

    pub fn current(&self) -> Option<&Session> {
        self.current.as_ref()
    }

    fn begin(&mut self, now_ms: u64) -> Session {
        let id = new_session_id(now_ms);
        // Deterministic from the id; the client may refine it with the remote config.
        let sampled_in =
            crate::remote_config::sample_unit(&id, "session") < self.config.sample_rate;
        let s = Session {
            sampled_in,
            id,
            start_ms: now_ms,
            user_id: self.user_id.clone(),
            background_total_ms: 0,
            background_since: None,
        };
        self.current = Some(s.clone());
        s
    }

    /// Starts a session, ending the running one first if any.
    pub fn start(&mut self, now_ms: u64) -> (Option<Ended>, Session) {
        let ended = self.end(now_ms, EndReason::Stopped);
        (ended, self.begin(now_ms))
    }

    /// Ends the running session.
    pub fn end(&mut self, now_ms: u64, reason: EndReason) -> Option<Ended> {
        let mut s = self.current.take()?;
        if let Some(since) = s.background_since.take() {
            s.background_total_ms += now_ms.saturating_sub(since);
        }
        Some(Ended {
            session: s,
            ended_at_ms: now_ms,
            reason,
        })
    }

    pub fn backgrounded(&mut self, now_ms: u64) {
        if let Some(s) = self.current.as_mut() {
            s.background_since.get_or_insert(now_ms);
        }
    }

    /// Back in foreground: continues the session, or rotates it if the app stayed away
    /// longer than the background timeout.
    pub fn foregrounded(&mut self, now_ms: u64) -> Option<Rotation> {
        let s = self.current.as_mut()?;
        let since = s.background_since.take()?;
        let away = now_ms.saturating_sub(since);
        if away <= self.config.background_timeout_ms {
            s.background_total_ms = s.background_total_ms.saturating_add(away);
            return None;
        }
        // The session ended when the timeout expired, not when the user came back.
        let end_at = since.saturating_add(self.config.background_timeout_ms);
        s.background_total_ms = s
            .background_total_ms
            .saturating_add(self.config.background_timeout_ms);
        let ended = self.end(end_at, EndReason::BackgroundTimeout)?;
        Some(Rotation {
            ended,
            started: self.begin(now_ms),
        })
    }

    /// Whether the running session's recording is uploaded (`isSampledIn` of its end call):
    /// set by the session plan, and when an on-error buffer is flushed.
    pub fn set_sampled_in(&mut self, sampled_in: bool) {
        if let Some(s) = self.current.as_mut() {
            s.sampled_in = sampled_in;
        }
    }

    /// The longest session from now on (the remote config may shorten it).
    pub fn set_max_session_ms(&mut self, ms: u64) {
        self.config.max_session_ms = ms.max(1);
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Ends a session that reached the maximum duration (recording stops; no new session).
    pub fn check_duration(&mut self, now_ms: u64) -> Option<Ended> {
        let s = self.current.as_ref()?;
        if now_ms.saturating_sub(s.start_ms) < self.config.max_session_ms {
            return None;
        }
        // It ended when it reached the limit, not at the first tick after.
        let at = s
            .start_ms
            .saturating_add(self.config.max_session_ms)
            .min(now_ms);
        self.end(at, EndReason::MaxDuration)
    }

    /// Sets the user for this and later sessions. Returns the previous user if it changed.
    pub fn identify(&mut self, user_id: Option<String>) -> Option<Option<String>> {
        if self.user_id == user_id {
            return None;
        }
        let prev = std::mem::replace(&mut self.user_id, user_id.clone());
        if let Some(s) = self.current.as_mut() {
            s.user_id = user_id;
        }
        Some(prev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mgr() -> SessionManager {
        SessionManager::new(SessionConfig {
            background_timeout_ms: 1_000,
            max_session_ms: 10_000,
            ..SessionConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn short_background_continues_long_background_rotates() {
        let mut m = mgr();
        let (_, s1) = m.start(0);
        assert!(s1.id.starts_with("session_0_"));
        m.backgrounded(100);
        assert!(m.foregrounded(900).is_none());
        assert_eq!(m.current().unwrap().background_total_ms, 800);
        m.backgrounded(2_000);
        let r = m.foregrounded(5_000).expect("rotated");
        assert_eq!(r.ended.session.id, s1.id);
        assert_eq!(r.ended.reason, EndReason::BackgroundTimeout);
        assert_eq!(r.ended.ended_at_ms, 3_000, "ended when the timeout expired");
        assert_eq!(r.ended.session.background_total_ms, 1_800);
        assert_ne!(r.started.id, s1.id);
        assert_eq!(r.started.start_ms, 5_000);
    }

    #[test]
    fn max_duration_ends_the_session_and_identity_carries_over() {
        let mut m = mgr();
        m.start(0);
        assert_eq!(m.identify(Some("u1".into())), Some(None));
        assert_eq!(
            m.identify(Some("u1".into())),
            None,
            "same user is no change"
        );
        assert!(m.check_duration(9_999).is_none());
        let ended = m.check_duration(10_500).unwrap();
        assert_eq!(ended.reason, EndReason::MaxDuration);
        assert!(m.current().is_none(), "no new session: recording stops");
        assert_eq!(m.start(20_000).1.user_id.as_deref(), Some("u1"));
        let body = ended.end_body("1.0", json!({"touchCount": 2}), json!({"x": 1}));
        assert_eq!(body["metrics"]["touchCount"], 2);
        assert_eq!(body["endReason"], "max_duration");
        assert_eq!(body["endedAt"], 10_000);
        assert_eq!(body["sdkTelemetry"]["x"], 1);
        let body = ended.end_body("1.0", json!({}), Value::Null);
        assert!(body.get("sdkTelemetry").is_none());
    }

    #[test]
    fn sampling_and_validation() {
        let mut none = SessionManager::new(SessionConfig {
            sample_rate: 0.0,
            ..SessionConfig::default()
        })
        .unwrap();
        assert!(!none.start(0).1.sampled_in);
        let mut all = SessionManager::new(SessionConfig::default()).unwrap();
        assert!(all.start(0).1.sampled_in);
        assert!(SessionManager::new(SessionConfig {
            sample_rate: f64::NAN,
            ..SessionConfig::default()
        })
        .is_err());
        assert!(SessionManager::new(SessionConfig {
            sample_rate: 1.5,
            ..SessionConfig::default()
        })
        .is_err());
        let mut m = mgr();
        assert!(m.end(0, EndReason::Stopped).is_none());
        assert!(m.foregrounded(0).is_none());
    }
}
