//! The HTTP transport: one blocking ureq agent (rustls with the ring provider, certificates
//! verified against the Mozilla roots of `webpki-roots`; no OpenSSL, no async runtime) used
//! only from the uploader thread. Every request has a connect timeout and a total deadline
//! that covers the response body, and response bodies are read up to a limit, so a stalled,
//! slow-dripping or huge response costs bounded time and memory.
//!
//! Every request obeys [`super::url_policy`]: `https` unless loopback, no redirect followed
//! (a 3xx is [`TransportError::Redirected`], never a success), credentials only to the API
//! origin given at construction. A URL the policy refuses is never sent.
//!
//! ureq rather than reqwest's blocking client: the SDK makes one request at a time from one
//! thread, and reqwest's blocking client runs a tokio runtime and hyper underneath for it;
//! swapping them took about 1 MiB off the shipped library (`benches/RESULTS.md`).

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use super::retry::parse_retry_after;
use super::url_policy::{self, UrlRefused};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Whole request: connect, send, headers and body.
    pub request: Duration,
    /// Largest response body read; more is an error.
    pub max_response_bytes: usize,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
            max_response_bytes: 256 * 1024,
        }
    }
}

/// A response we read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The server could not be reached at all: we are offline or it is down.
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("request timed out")]
    Timeout,
    /// The connection broke mid-request (reset, closed early, bad HTTP).
    #[error("connection failed: {0}")]
    Io(String),
    #[error("response body exceeds {0} bytes")]
    BodyTooLarge(usize),
    #[error("invalid request: {0}")]
    Request(String),
    /// Not sent: the uploader was shut down and its deadline has passed.
    #[error("not sent: shutting down")]
    Cancelled,
    /// Not sent: the URL breaks the HTTP policy (cleartext, credentials elsewhere).
    #[error("not sent: {0}")]
    Refused(UrlRefused),
    /// The server answered a redirect, which is not followed (and is no delivery).
    #[error("redirect (HTTP {0}) not followed")]
    Redirected(u16),
}

fn from_ureq(e: ureq::Error) -> TransportError {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        // As reqwest classified them: the server was never reached (DNS, refused, TLS).
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_) => TransportError::Connect(e.to_string()),
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::TimedOut => TransportError::Timeout,
            ErrorKind::ConnectionRefused
            | ErrorKind::AddrNotAvailable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::HostUnreachable => TransportError::Connect(io.to_string()),
            _ => TransportError::Io(io.to_string()),
        },
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => TransportError::Request(e.to_string()),
        other => TransportError::Io(other.to_string()),
    }
}

/// TLS as the SDK ships it, spelled out rather than left to defaults: rustls with the
/// provider of [`super::tls`], certificates verified against the Mozilla roots compiled in
/// (`webpki-roots`), SNI on.
fn tls_config() -> ureq::tls::TlsConfig {
    ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(super::tls::provider())
        .root_certs(ureq::tls::RootCerts::WebPki)
        .disable_verification(false)
        .use_sni(true)
        .build()
}

#[derive(Debug, Clone)]
pub struct Transport {
    agent: ureq::Agent,
    timeouts: Timeouts,
    /// The only origin credentials may be sent to.
    api_origin: url::Origin,
}

impl Transport {
    /// A transport for the API at `api_url` (which must itself pass the policy).
    pub fn new(
        timeouts: Timeouts,
        user_agent: &str,
        api_url: &str,
    ) -> Result<Self, TransportError> {
        let api_origin = url_policy::checked(api_url)
            .map_err(TransportError::Refused)?
            .origin();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls_config())
            .timeout_connect(Some(timeouts.connect))
            .timeout_global(Some(timeouts.request))
            .user_agent(user_agent)
            .max_idle_connections_per_host(2)
            // Never follow: a redirect answered to a POST would carry its credentials
            // elsewhere and could turn it into a GET whose 2xx looks delivered.
            .max_redirects(0)
            // Statuses are answers the protocol interprets, not errors.
            .http_status_as_error(false)
            .build()
            .new_agent();
        Ok(Self {
            agent,
            timeouts,
            api_origin,
        })
    }

    /// The policy's verdict on a request to `url` carrying these headers.
    fn allowed(&self, url: &str, headers: &[(&str, &str)]) -> Result<(), TransportError> {
        let parsed = url_policy::checked(url).map_err(TransportError::Refused)?;
        let names: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        url_policy::may_carry(&parsed, &names, &self.api_origin).map_err(TransportError::Refused)
    }

    /// POSTs a JSON body.
    pub fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<Response, TransportError> {
        self.allowed(url, headers)?;
        let bytes = serde_json::to_vec(body).map_err(|e| TransportError::Request(e.to_string()))?;
        let mut req = self
            .agent
            .post(url)
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let started = Instant::now();
        self.read(started, req.send(&bytes[..]))
    }

    /// GETs a URL with these headers (remote configuration).
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, TransportError> {
        self.allowed(url, headers)?;
        let mut req = self.agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let started = Instant::now();
        self.read(started, req.call())
    }

    /// PUTs a gzip body to a presigned URL (no SDK headers: the URL carries the grant).
    pub fn put_gzip(&self, url: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        self.allowed(url, &[])?;
        let started = Instant::now();
        let sent = self
            .agent
            .put(url)
            .header("content-type", "application/gzip")
            .send(&body[..]);
        self.read(started, sent)
    }

    fn read(
        &self,
        started: Instant,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Response, TransportError> {
        let mut resp = sent.map_err(from_ureq)?;
        let status = resp.status().as_u16();
        if url_policy::is_redirect(status) {
            return Err(TransportError::Redirected(status));
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        // The agent's global timeout covers the body too; checking the deadline between
        // reads as well keeps the bound ours, whatever the transport does.
        let limit = self.timeouts.max_response_bytes;
        let mut reader = resp.body_mut().as_reader();
        let mut body = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if started.elapsed() > self.timeouts.request {
                return Err(TransportError::Timeout);
            }
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(match e.kind() {
                        std::io::ErrorKind::TimedOut => TransportError::Timeout,
                        _ => match e.into_inner().map(|inner| inner.downcast::<ureq::Error>()) {
                            Some(Ok(u)) => from_ureq(*u),
                            Some(Err(other)) => TransportError::Io(other.to_string()),
                            None => TransportError::Io("read failed".into()),
                        },
                    });
                }
            };
            if body.len() + n > limit {
                return Err(TransportError::BodyTooLarge(limit));
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Ok(Response {
            status,
            retry_after,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_verifies_certificates_against_the_compiled_in_roots() {
        let tls = tls_config();
        assert!(!tls.disable_verification());
        assert!(matches!(tls.root_certs(), ureq::tls::RootCerts::WebPki));
        assert_eq!(tls.provider(), ureq::tls::TlsProvider::Rustls);
    }
}
