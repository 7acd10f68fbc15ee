//! A plain HTTP server that records every request it gets (method, path, headers) and
//! answers each with `200` and a JSON body that would please any SDK call (an upload
//! token, a presigned URL, an enabled remote config). The place a redirect points to in
//! the HTTP-policy tests: whatever reaches it has left the API origin.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercase, values as sent.
    pub headers: Vec<(String, String)>,
    pub body_len: usize,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The recording server; its thread lives as long as the process (tests are short).
pub struct Recorder {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

const ANSWER: &str = r#"{"uploadToken":"stolen-token","expiresIn":3600,"presignedUrl":"http://127.0.0.1:9/x","segmentId":"s","batchId":"b","rejourneyEnabled":true,"recordingEnabled":true,"sampleRate":100}"#;

impl Recorder {
    /// Listens on `bind` (e.g. `127.0.0.1:0`, or `0.0.0.0:0` to be reached by a
    /// non-loopback address).
    pub fn start(bind: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let seen: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut stream) = conn else { continue };
                let Ok(read_half) = stream.try_clone() else {
                    continue;
                };
                let mut reader = BufReader::new(read_half);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_owned();
                let path = parts.next().unwrap_or_default().to_owned();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    }
                }
                let len = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; len.min(64 << 20)];
                let _ = reader.read_exact(&mut body);
                log.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Recorded {
                        method,
                        path,
                        headers,
                        body_len: body.len(),
                    });
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ANSWER}",
                    ANSWER.len()
                );
                let _ = stream.flush();
            }
        });
        Ok(Self { addr, seen })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn loopback_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// This machine's own non-loopback IPv4 address, if it has one with a route (found by
/// "connecting" a UDP socket, which sends nothing).
pub fn non_loopback_ipv4() -> Option<std::net::Ipv4Addr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connect only picks the route (and with it the source address).
    ["8.8.8.8:53", "192.0.2.1:9"]
        .iter()
        .find(|to| s.connect(to).is_ok())?;
    match s.local_addr().ok()?.ip() {
        std::net::IpAddr::V4(a) if !a.is_loopback() && !a.is_unspecified() => Some(a),
        _ => None,
    }
}
