//! Just enough HTTP/1.1 for a development ingest server: one request per connection
//! (`Connection: close`), `Content-Length` bodies, bounded head and body sizes, and read
//! timeouts so a slow or hostile client costs a thread for a bounded time only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Largest request head (request line + headers).
const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("connection closed or timed out: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    #[error("request body of {0} bytes is over the limit")]
    TooLarge(usize),
}

/// Reads one request. The body is read only if it is within `max_body`.
pub fn read_request(stream: &TcpStream, max_body: usize) -> Result<Request, ReadError> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream);
    let mut head_len = 0;
    let mut line = String::new();
    let mut read_line = |line: &mut String| -> Result<(), ReadError> {
        line.clear();
        let n = reader
            .by_ref()
            .take((MAX_HEAD - head_len + 1) as u64)
            .read_line(line)?;
        head_len += n;
        if n == 0 {
            return Err(ReadError::Malformed("connection closed"));
        }
        if head_len > MAX_HEAD {
            return Err(ReadError::Malformed("head too large"));
        }
        Ok(())
    };
    read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts
        .next()
        .ok_or(ReadError::Malformed("no method"))?
        .to_owned();
    let target = parts
        .next()
        .ok_or(ReadError::Malformed("no target"))?
        .to_owned();
    let path = target
        .split_once('?')
        .map_or(target.as_str(), |(p, _)| p)
        .to_owned();
    let mut headers = Vec::new();
    loop {
        read_line(&mut line)?;
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (k, v) = l
            .split_once(':')
            .ok_or(ReadError::Malformed("bad header"))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if req.header("transfer-encoding").is_some() {
        return Err(ReadError::Malformed("chunked bodies are not supported"));
    }
    let len = match req.header("content-length") {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed("bad content-length"))?,
        None => 0,
    };
    if len > max_body {
        return Err(ReadError::TooLarge(len));
    }
    // The body grows as bytes arrive, never from the announced length: a client claiming
    // 60 MiB and sending nothing costs nothing.
    let mut body = Vec::with_capacity(len.min(64 * 1024));
    reader.take(len as u64).read_to_end(&mut body)?;
    if body.len() < len {
        return Err(ReadError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    req.body = body;
    Ok(req)
}

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// The backend's `ApiError` shape: `{"error": "<CODE>", "message": ...}`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            &serde_json::json!({ "error": code(status), "message": message }),
        )
    }

    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// The backend's error code for a status (`middleware/errorHandler.ts`).
pub fn code(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        402 => "PAYMENT_REQUIRED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        429 => "RATE_LIMIT",
        503 => "SERVICE_UNAVAILABLE",
        _ => "INTERNAL_ERROR",
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes the status line and headers, announcing `body_len` bytes.
pub fn write_head(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body_len: usize,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {body_len}\r\nConnection: close\r\n",
        reason(status)
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}

pub fn write_response(stream: &mut TcpStream, r: &Response) -> std::io::Result<()> {
    write_head(stream, r.status, &r.headers, r.body.len())?;
    stream.write_all(&r.body)?;
    stream.flush()
}
