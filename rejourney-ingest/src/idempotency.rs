//! `Idempotency-Key` as the backend keeps it (`routes/ingestUploads.ts`, `db/redis.ts`): one
//! state per project and key — not per route, not per session (this server is one project,
//! so the key alone). Presign routes read it before any other work; a presign that issues a
//! URL marks it `processing` and nothing ever releases that; only a complete call carrying the
//! key marks it `done`, without reading it. Session end, faults and device auth ignore it.
//!
//! The trap this reproduces: a key sent on a presign but completed under another key (or
//! never completed) stays `processing` — the backend keeps it 7 days — and every presign
//! repeating it is answered 202 for as long.

use serde_json::json;

use crate::bounded::BoundedMap;
use crate::http::Response;

/// State of an `Idempotency-Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// A presign issued a URL under it; no complete has carried it yet.
    Processing,
    /// A complete call carried it.
    Done,
}

/// Keys remembered at most (the backend keeps them 7 days in Redis).
const MAX_KEYS: usize = 100_000;

/// The key store, bounded: past [`MAX_KEYS`] the oldest keys are forgotten.
#[derive(Debug)]
pub(crate) struct IdempotencyStore {
    states: BoundedMap<String, KeyState>,
}

impl Default for IdempotencyStore {
    fn default() -> Self {
        Self {
            states: BoundedMap::new(MAX_KEYS),
        }
    }
}

/// What a presign's key decides before the presign does anything.
#[derive(Debug, PartialEq)]
pub(crate) enum Gate {
    /// No key, or one never seen: go on.
    Open,
    /// `done`: the upload is a duplicate.
    Duplicate,
    /// `processing`: come back later.
    Processing,
}

impl IdempotencyStore {
    pub fn get(&self, key: &str) -> Option<KeyState> {
        self.states.get(key).copied()
    }

    pub fn set(&mut self, key: &str, state: KeyState) {
        self.states.insert(key.to_owned(), state);
    }

    /// The backend's read on presign routes.
    pub fn gate(&self, key: Option<&str>) -> Gate {
        match key.and_then(|k| self.get(k)) {
            None => Gate::Open,
            Some(KeyState::Done) => Gate::Duplicate,
            Some(KeyState::Processing) => Gate::Processing,
        }
    }
}

/// The `Idempotency-Key` header of a request, if it carries a non-empty one.
pub(crate) fn key_of(req: &crate::http::Request) -> Option<&str> {
    req.header("idempotency-key").filter(|k| !k.is_empty())
}

/// `200 {"skipUpload": true, "deduplicated": true, "sessionId", "reason": "Already processed"}`:
/// the backend's answer to a presign whose key is done (the first answer is not replayed).
pub(crate) fn duplicate(session_id: Option<&str>) -> Response {
    Response::json(
        200,
        &json!({"skipUpload": true, "deduplicated": true, "sessionId": session_id,
            "reason": "Already processed"}),
    )
}

/// `202 {"message": "Processing", "retryAfter": 5}`: the key is still `processing`.
pub(crate) fn processing() -> Response {
    Response::json(202, &json!({"message": "Processing", "retryAfter": 5}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_open_then_processing_then_done() {
        let mut s = IdempotencyStore::default();
        assert_eq!(s.gate(Some("k")), Gate::Open);
        assert_eq!(s.gate(None), Gate::Open);
        s.set("k", KeyState::Processing);
        assert_eq!(s.gate(Some("k")), Gate::Processing);
        s.set("k", KeyState::Done);
        assert_eq!(s.gate(Some("k")), Gate::Duplicate);
    }
}
