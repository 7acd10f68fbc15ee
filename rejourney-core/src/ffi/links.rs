//! Session links over the FFI: the replay URL and the tracing headers (decided by
//! [`crate::session_links`] through [`Client`]); this file only converts.

use super::*;

#[uniffi::export]
impl Rejourney {
    /// Where the current session's replay is on the dashboard (none without a session that
    /// will be uploaded: not started, opted out, sampled out, the project switched off).
    pub fn session_url(&self) -> Option<String> {
        guard(|| Ok(self.client.session_url())).ok().flatten()
    }

    /// The replay URL of a session id (one the listener reported).
    pub fn replay_url(&self, session_id: String) -> Option<String> {
        guard(|| Ok(self.client.replay_url(&session_id)))
            .ok()
            .flatten()
    }

    /// The headers to add to the app's own request to `url`: `x-rejourney-session-id` when
    /// its host is one of the `trace_hosts` and a session records; empty for any other host.
    pub fn tracing_headers(&self, url: String) -> HashMap<String, String> {
        guard(|| Ok(self.client.tracing_headers(&url).into_iter().collect())).unwrap_or_default()
    }
}
