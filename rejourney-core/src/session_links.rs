//! Session links: the replay URL of a session on the backend's dashboard, and the tracing
//! header an app may add to its own requests so its backend logs name the session.
//!
//! Pure: the client hands in the current session id. Rules:
//! - replay URL: `<dashboard origin>/dashboard/sessions/<id>` (the dashboard's route,
//!   `rejourneyco/rejourney` `dashboard/web-ui/app/shell/routing/appShellRoutes.ts`: prefix
//!   `dashboard`, `sessions/:sessionId`). The dashboard origin is the option `dashboard_url`,
//!   else the API URL's origin with a leading `api.` dropped (`https://api.rejourney.co` →
//!   `https://rejourney.co`); a self-hosted API without `api.` serves its dashboard on the
//!   same origin.
//! - tracing headers: [`SESSION_HEADER`] only on `http`/`https` requests whose host is listed
//!   in `trace_hosts` (exactly, case-insensitively; `*.example.com` lists its subdomains,
//!   not `example.com` itself). Never to any other host: a session id tells a third party
//!   which recording a user is in. At most [`MAX_TRACE_HOSTS`] entries.

use url::Url;

/// The header the app's requests carry (PostHog's `X-POSTHOG-SESSION-ID`, our name).
pub const SESSION_HEADER: &str = "x-rejourney-session-id";

/// Most `trace_hosts` entries (each request is matched against all of them).
pub const MAX_TRACE_HOSTS: usize = 100;

/// Longest host name (RFC 1035).
const MAX_HOST_LEN: usize = 253;

/// An option the links cannot use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    #[error("dashboard_url {0:?} is not an http(s) URL")]
    DashboardUrl(String),
    #[error("trace host {0:?} is not a host name (no scheme, path, port or spaces)")]
    TraceHost(String),
    #[error("more than {MAX_TRACE_HOSTS} trace hosts")]
    TooManyTraceHosts,
}

/// The app's choices (options `dashboard_url`, `trace_hosts`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkOptions {
    pub dashboard_url: Option<String>,
    pub trace_hosts: Vec<String>,
}

/// One `trace_hosts` entry, normalized.
#[derive(Debug, Clone, PartialEq)]
enum HostRule {
    Exact(String),
    /// `*.suffix`: any subdomain of `suffix`.
    Subdomains(String),
}

/// The validated links of one client.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionLinks {
    /// `scheme://host[:port]` of the dashboard (no trailing slash); `None` when the API URL
    /// has no usable origin.
    dashboard: Option<String>,
    hosts: Vec<HostRule>,
}

impl SessionLinks {
    pub fn new(api_url: &str, opts: &LinkOptions) -> Result<Self, LinkError> {
        let dashboard = match &opts.dashboard_url {
            Some(d) => Some(origin(d, false).ok_or_else(|| LinkError::DashboardUrl(d.clone()))?),
            None => origin(api_url, true),
        };
        if opts.trace_hosts.len() > MAX_TRACE_HOSTS {
            return Err(LinkError::TooManyTraceHosts);
        }
        let hosts = opts
            .trace_hosts
            .iter()
            .map(|h| rule(h).ok_or_else(|| LinkError::TraceHost(h.clone())))
            .collect::<Result<_, _>>()?;
        Ok(Self { dashboard, hosts })
    }

    /// The dashboard origin replay URLs start with.
    pub fn dashboard(&self) -> Option<&str> {
        self.dashboard.as_deref()
    }

    /// The `trace_hosts` as the client matches them (lower case).
    pub fn trace_hosts(&self) -> Vec<String> {
        self.hosts
            .iter()
            .map(|r| match r {
                HostRule::Exact(h) => h.clone(),
                HostRule::Subdomains(s) => format!("*.{s}"),
            })
            .collect()
    }

    /// Where the session's replay is on the dashboard.
    pub fn replay_url(&self, session_id: &str) -> Option<String> {
        let base = self.dashboard.as_deref()?;
        let mut u = Url::parse(base).ok()?;
        u.path_segments_mut()
            .ok()?
            .clear()
            .extend(["dashboard", "sessions", session_id]);
        Some(u.into())
    }

    /// Whether a request to `url` may carry the session header.
    pub fn traced(&self, url: &str) -> bool {
        let Ok(u) = Url::parse(url) else {
            return false;
        };
        if !matches!(u.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = u.host_str() else {
            return false;
        };
        let host = host.trim_end_matches('.');
        self.hosts.iter().any(|r| match r {
            HostRule::Exact(h) => h == host,
            HostRule::Subdomains(s) => host
                .strip_suffix(s.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        })
    }

    /// The headers a request to `url` gets for `session_id` (none for other hosts, or
    /// without a session).
    pub fn headers(&self, url: &str, session_id: Option<&str>) -> Vec<(String, String)> {
        match session_id {
            Some(id) if self.traced(url) => vec![(SESSION_HEADER.to_owned(), id.to_owned())],
            _ => Vec::new(),
        }
    }
}

/// `scheme://host[:port]` of an http(s) URL; `strip_api` drops a leading `api.` label.
fn origin(url: &str, strip_api: bool) -> Option<String> {
    let u = Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    let host = match host.strip_prefix("api.") {
        Some(rest) if strip_api && rest.contains('.') => rest,
        _ => host,
    };
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}", u.scheme()))
}

fn rule(entry: &str) -> Option<HostRule> {
    let e = entry.trim().trim_end_matches('.').to_ascii_lowercase();
    let (wild, name) = match e.strip_prefix("*.") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, e),
    };
    let ok = !name.is_empty()
        && name.len() <= MAX_HOST_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.starts_with('.')
        && !name.contains("..");
    match (ok, wild) {
        (false, _) => None,
        (true, true) => Some(HostRule::Subdomains(name)),
        (true, false) => Some(HostRule::Exact(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(api: &str, dashboard: Option<&str>, hosts: &[&str]) -> SessionLinks {
        SessionLinks::new(
            api,
            &LinkOptions {
                dashboard_url: dashboard.map(Into::into),
                trace_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            },
        )
        .unwrap()
    }

    #[test]
    fn replay_urls_follow_the_dashboard_route() {
        let id = "session_1700000000000_0123456789abcdef";
        let cases = [
            ("https://api.rejourney.co", None, "https://rejourney.co"),
            ("https://api.rejourney.co/", None, "https://rejourney.co"),
            (
                "https://API.eu.example.com:8443/x",
                None,
                "https://eu.example.com:8443",
            ),
            (
                "https://rejourney.example.com",
                None,
                "https://rejourney.example.com",
            ),
            ("http://127.0.0.1:8787", None, "http://127.0.0.1:8787"),
            ("https://api.localhost", None, "https://api.localhost"),
            (
                "https://api.x.co",
                Some("https://app.x.co/ignored"),
                "https://app.x.co",
            ),
        ];
        for (api, dash, base) in cases {
            let got = links(api, dash, &[]).replay_url(id).unwrap();
            assert_eq!(got, format!("{base}/dashboard/sessions/{id}"), "{api}");
        }
        assert_eq!(
            links("https://api.x.co", None, &[]).replay_url("a/b?c"),
            Some("https://x.co/dashboard/sessions/a%2Fb%3Fc".into()),
            "an id never escapes its path segment"
        );
    }

    #[test]
    fn headers_go_only_to_listed_hosts() {
        let l = links(
            "https://api.x.co",
            None,
            &["API.Example.com", "*.internal.example.org"],
        );
        let yes = [
            "https://api.example.com/v1/orders",
            "http://api.example.com:8080/",
            "https://API.EXAMPLE.COM./x",
            "https://a.internal.example.org/",
            "https://b.a.internal.example.org/",
        ];
        let no = [
            "https://example.com/",
            "https://api.example.com.evil.io/",
            "https://evilapi.example.com/",
            "https://internal.example.org/",
            "https://xinternal.example.org/",
            "wss://api.example.com/",
            "ftp://api.example.com/",
            "not a url",
            "https://user@evil.io/?api.example.com",
        ];
        for u in yes {
            assert_eq!(
                l.headers(u, Some("s1")),
                vec![(SESSION_HEADER.to_owned(), "s1".to_owned())],
                "{u}"
            );
        }
        for u in no {
            assert!(l.headers(u, Some("s1")).is_empty(), "{u}");
        }
        assert!(l.headers("https://api.example.com/", None).is_empty());
        assert!(links("https://api.x.co", None, &[])
            .headers("https://api.x.co/", Some("s"))
            .is_empty());
    }

    #[test]
    fn bad_options_are_typed_errors() {
        let bad_hosts = [
            "https://example.com",
            "example.com/path",
            "example.com:443",
            "",
            "*.",
            "a b.com",
            ".example.com",
            "a..b",
        ];
        for h in bad_hosts {
            let e = SessionLinks::new(
                "https://api.x.co",
                &LinkOptions {
                    trace_hosts: vec![h.into()],
                    ..Default::default()
                },
            );
            assert!(matches!(e, Err(LinkError::TraceHost(_))), "{h:?}");
        }
        let many = LinkOptions {
            trace_hosts: vec!["a.com".into(); MAX_TRACE_HOSTS + 1],
            ..Default::default()
        };
        assert_eq!(
            SessionLinks::new("https://api.x.co", &many),
            Err(LinkError::TooManyTraceHosts)
        );
        for d in ["ftp://x.co", "not a url", "mailto:a@b.c"] {
            let o = LinkOptions {
                dashboard_url: Some(d.into()),
                ..Default::default()
            };
            assert!(matches!(
                SessionLinks::new("https://api.x.co", &o),
                Err(LinkError::DashboardUrl(_))
            ));
        }
    }
}
