//! Session links for the app: the current session's replay URL and the tracing headers of
//! its own requests ([`crate::session_links`] decides), and the listener's end notice.

use super::*;

impl Client {
    /// The session a link may name: a current one whose data may reach the backend (not
    /// sampled out, the project not switched off by the server, the consent granted: under
    /// `pending` nothing leaves the phone, the session id in a tracing header included).
    fn linkable_session(&self) -> Option<Arc<str>> {
        let s = lock(&self.current).clone()?;
        let granted = self.consent() == crate::consent::Consent::Granted;
        if !granted || self.uploader.is_disabled() || self.events_off() {
            return None;
        }
        let sampled_out = self
            .session_plan()
            .is_some_and(|p| p.off_reason == Some("sampled_out"));
        (!sampled_out).then_some(s.id)
    }

    /// Where the current session's replay is on the dashboard (`None` without a session
    /// that will be uploaded).
    pub fn session_url(&self) -> Option<String> {
        self.links.replay_url(&self.linkable_session()?)
    }

    /// The headers the app adds to its request to `url`: the session header for the hosts
    /// listed in `trace_hosts` while a session records, nothing otherwise.
    pub fn tracing_headers(&self, url: &str) -> Vec<(String, String)> {
        if !self.links.traced(url) {
            return Vec::new();
        }
        self.links.headers(url, self.linkable_session().as_deref())
    }

    /// The replay URL of any session id (for ids the listener reported).
    pub fn replay_url(&self, session_id: &str) -> Option<String> {
        self.links.replay_url(session_id)
    }

    pub(super) fn notify_ended(&self, session_id: &str, reason: &str) {
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o.session_ended(session_id, reason);
        }
    }
}
