//! Test-only helpers shared by the suites: a server with a device-auth token, raw HTTP calls
//! over real sockets on 127.0.0.1 (reqwest, blocking), and the bodies the protocol uploads.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

use rejourney_core::bundle::BundleBuilder;
use rejourney_ingest::{IngestServer, ServerOptions};
use serde_json::{json, Value};

pub fn tmp(name: &str) -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "rj-ingest-{name}-{}-{n:x}-{:x}",
        std::process::id(),
        fastrand::u32(..)
    ))
}

/// An answer: status, `Retry-After` header, JSON body (`Null` if not JSON).
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

pub struct Api {
    pub srv: IngestServer,
    /// The server's data directory.
    pub data: PathBuf,
    pub http: reqwest::blocking::Client,
    pub token: String,
}

impl Api {
    pub fn new() -> Self {
        Self::with(ServerOptions::new(tmp("srv")))
    }

    /// A server with `opts` and a token from device auth.
    pub fn with(opts: ServerOptions) -> Self {
        let data = opts.data_dir.clone();
        let srv = IngestServer::start(opts).unwrap();
        let mut api = Self {
            srv,
            data,
            http: reqwest::blocking::Client::new(),
            token: String::new(),
        };
        let (s, v) = api.post("/api/ingest/auth/device", json!({"deviceId": "d1"}), &[]);
        assert_eq!(s, 200, "{v}");
        api.token = v["uploadToken"].as_str().unwrap().to_owned();
        api
    }

    /// A JSON POST with the project key and the upload token, plus `headers`.
    pub fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let a = self.send(path, body.to_string().into_bytes(), true, headers);
        (a.status, a.body)
    }

    /// A POST of raw bytes; `auth` adds the project key and the token.
    pub fn send(&self, path: &str, body: Vec<u8>, auth: bool, headers: &[(&str, &str)]) -> Answer {
        let mut r = self
            .http
            .post(format!("{}{path}", self.srv.url()))
            .header("content-type", "application/json")
            .body(body);
        if auth {
            r = r
                .header("x-rejourney-key", "pk")
                .header("x-upload-token", &self.token);
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        answer(r.send().unwrap())
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut r = self.http.get(format!("{}{path}", self.srv.url()));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        answer(r.send().unwrap())
    }

    pub fn put(&self, url: &str, body: Vec<u8>) -> u16 {
        self.http
            .put(url)
            .header("content-type", "application/gzip")
            .body(body)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }

    /// Presign → PUT → complete of a segment; returns the segment id.
    pub fn upload_segment(&self, presign: Value, body: Vec<u8>, key: Option<&str>) -> String {
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        let (s, a) = self.post("/api/ingest/segment/presign", presign.clone(), &headers);
        assert_eq!(s, 200, "{a}");
        let id = a["segmentId"].as_str().unwrap().to_owned();
        assert_eq!(self.put(a["presignedUrl"].as_str().unwrap(), body), 204);
        let done = json!({"segmentId": id, "sessionId": presign["sessionId"]});
        let (s, v) = self.post("/api/ingest/segment/complete", done, &headers);
        assert_eq!(s, 200, "{v}");
        id
    }

    /// Presign → PUT → batch complete of an events batch.
    pub fn upload_events(&self, session: &str, batch: Value, headers: &[(&str, &str)]) {
        let (s, a) = self.post("/api/ingest/presign", events_presign(session, 0), headers);
        assert_eq!(s, 200, "{a}");
        assert_eq!(
            self.put(a["presignedUrl"].as_str().unwrap(), gzip(&batch)),
            204
        );
        let done = json!({"batchId": a["batchId"], "sessionId": session});
        assert_eq!(
            self.post("/api/ingest/batch/complete", done, headers).0,
            200
        );
    }
}

fn answer(resp: reqwest::blocking::Response) -> Answer {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = serde_json::from_slice(&resp.bytes().unwrap_or_default()).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        body,
    }
}

pub fn gzip(v: &Value) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(v.to_string().as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// A frame bundle of `frames` tiny "JPEGs".
pub fn bundle(frames: u8) -> Vec<u8> {
    let mut b = BundleBuilder::new("s1".into(), 0);
    for i in 0..frames {
        b.push(i as u64 * 1000, &[0xFF, 0xD8, i]);
    }
    b.seal(1).unwrap().gz
}

/// A segment presign body for a session started at 1 000 ms (`session_1000_…`).
pub fn segment(session: &str, kind: &str, start: u64) -> Value {
    json!({"sessionId": session, "kind": kind, "sizeBytes": 10, "startTime": start,
        "endTime": start + 1000, "frameCount": 2, "compression": "gzip", "sdkVersion": "0.1.0",
        "isSampledIn": true})
}

pub fn events_presign(session: &str, n: u64) -> Value {
    json!({"sessionId": session, "contentType": "events", "batchNumber": n, "sizeBytes": 50,
        "sdkVersion": "0.1.0", "isSampledIn": true})
}
