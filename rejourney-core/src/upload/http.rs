//! The HTTP transport: one blocking reqwest client (rustls, no OpenSSL) used only from the
//! uploader thread. Every request has a connect timeout and a total deadline that covers the
//! response body, and response bodies are read up to a limit, so a stalled, slow-dripping or
//! huge response costs bounded time and memory.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use super::retry::parse_retry_after;

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
}

fn from_reqwest(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(e.to_string())
    } else if e.is_builder() {
        TransportError::Request(e.to_string())
    } else {
        TransportError::Io(e.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::blocking::Client,
    timeouts: Timeouts,
}

impl Transport {
    pub fn new(timeouts: Timeouts, user_agent: &str) -> Result<Self, TransportError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .user_agent(user_agent)
            .pool_max_idle_per_host(2)
            .build()
            .map_err(from_reqwest)?;
        Ok(Self { client, timeouts })
    }

    /// POSTs a JSON body.
    pub fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<Response, TransportError> {
        let bytes = serde_json::to_vec(body).map_err(|e| TransportError::Request(e.to_string()))?;
        let mut req = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(bytes);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req)
    }

    /// PUTs a gzip body to a presigned URL (no SDK headers: the URL carries the grant).
    pub fn put_gzip(&self, url: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        let req = self
            .client
            .put(url)
            .header("content-type", "application/gzip")
            .body(body);
        self.send(req)
    }

    fn send(&self, req: reqwest::blocking::RequestBuilder) -> Result<Response, TransportError> {
        let started = Instant::now();
        let mut resp = req.send().map_err(from_reqwest)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        // reqwest's blocking timeout bounds each read, not the whole body: a server dripping
        // a byte at a time would hold us forever. Enforce the total deadline ourselves.
        let limit = self.timeouts.max_response_bytes;
        let mut body = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if started.elapsed() > self.timeouts.request {
                return Err(TransportError::Timeout);
            }
            let n = match resp.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let text = e.to_string();
                    return Err(
                        if text.contains("timed out") || e.kind() == std::io::ErrorKind::TimedOut {
                            TransportError::Timeout
                        } else {
                            TransportError::Io(text)
                        },
                    );
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
