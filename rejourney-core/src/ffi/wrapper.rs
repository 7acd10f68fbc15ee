//! What the wrappers do before a client exists ([`crate::wrapper_calls`]) over the FFI: the
//! pending-call limit they read and the drops they report. This file only converts.

use super::*;

/// A kind of call a wrapper dropped (mirrors [`crate::telemetry::WrapperDrop`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WrapperDrop {
    /// Calls made while a client opened, past `pending_call_limit`.
    PendingCalls,
}

impl From<WrapperDrop> for crate::telemetry::WrapperDrop {
    fn from(k: WrapperDrop) -> Self {
        match k {
            WrapperDrop::PendingCalls => Self::PendingCalls,
        }
    }
}

/// How many calls the wrapper keeps while a client opens, for these options (their
/// `pending_call_limit`, or the core's default). Refuses a limit past the maximum.
#[uniffi::export]
pub fn pending_call_limit(options: RejourneyOptions) -> Result<u32, RejourneyError> {
    guard(|| {
        Ok(crate::wrapper_calls::pending_call_limit(
            options.pending_call_limit,
        )?)
    })
}

#[uniffi::export]
impl Rejourney {
    /// The wrapper dropped `count` calls of `kind` before this client opened: counted in
    /// its telemetry (`wrapper_calls_dropped`, and by kind in the JSON's `wrapper_dropped`).
    pub fn record_wrapper_drops(
        &self,
        kind: WrapperDrop,
        count: u64,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.record_wrapper_drops(kind.into(), count);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &std::path::Path, limit: Option<u32>) -> RejourneyOptions {
        RejourneyOptions {
            anr_threshold_ms: Some(0),
            remote_config: Some(false),
            pending_call_limit: limit,
            ..RejourneyOptions::with_defaults(
                "pk",
                "http://127.0.0.1:9",
                "d",
                &dir.display().to_string(),
            )
        }
    }

    #[test]
    fn the_limit_is_the_option_or_the_default_and_bounded() {
        let dir = std::env::temp_dir().join(format!("rj-ffi-wrapper-{}", std::process::id()));
        assert_eq!(pending_call_limit(options(&dir, None)).ok(), Some(1_000));
        assert_eq!(pending_call_limit(options(&dir, Some(5))).ok(), Some(5));
        assert!(matches!(
            pending_call_limit(options(&dir, Some(100_001))),
            Err(RejourneyError::InvalidConfig { .. })
        ));
        assert!(Rejourney::new(options(&dir, Some(100_001))).is_err());
    }

    #[test]
    fn reported_drops_are_in_the_telemetry() {
        let dir = std::env::temp_dir().join(format!("rj-ffi-drops-{}", std::process::id()));
        let rj = Rejourney::new(options(&dir, None)).unwrap();
        assert_eq!(rj.telemetry().unwrap().wrapper_calls_dropped, 0);
        rj.record_wrapper_drops(WrapperDrop::PendingCalls, 3)
            .unwrap();
        rj.record_wrapper_drops(WrapperDrop::PendingCalls, 2)
            .unwrap();
        let t = rj.telemetry().unwrap();
        assert_eq!(t.wrapper_calls_dropped, 5);
        let json: serde_json::Value = serde_json::from_str(&t.json).unwrap();
        assert_eq!(json["capture"]["wrapper_dropped"]["pending_calls"], 5);
        rj.shutdown(0).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
