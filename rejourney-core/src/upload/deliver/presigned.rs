//! One artifact's presigned upload on the upload thread: presign → PUT → complete, each
//! step's stage kept durably beside the artifact before the next ([`super::super::stage`]),
//! so a restart resumes where the last run stopped and the backend ingests it once.

use super::*;

impl Deliverer {
    /// presign → PUT → complete, resuming from whatever step last succeeded, in this run or
    /// (by the stage kept beside the artifact) an earlier one.
    pub(super) fn upload(&mut self, id: u64, meta: &ArtifactMeta, body: Vec<u8>) -> Outcome {
        let size = body.len();
        let sdk = self.shared.config.sdk_version.clone();
        let stage_file = {
            let (path, tmp) = lock(&self.shared.spool).stage_paths(id);
            StageFile { path, tmp }
        };
        let p = self.progress.entry(id).or_default();
        if !std::mem::replace(&mut p.loaded, true) {
            if let Some(st) = stage_file.load() {
                p.represigns = st.represigns;
                p.presigned = Some((st.url, st.batch_id));
                p.uploaded = st.uploaded;
                self.shared.counters.with(|c| c.stages_resumed += 1);
            }
        }
        let represigns = p.represigns;
        if self
            .progress
            .get(&id)
            .is_some_and(|p| p.presigned.is_none())
        {
            let key = upload_key(meta, represigns);
            let mut req = protocol::presign_body(meta, size, &sdk);
            protocol::add_device_fields(&mut req, &self.shared.config.device_metadata);
            let res = self.post_json(
                &self.url(protocol::presign_path(meta.kind)),
                &self.headers(Some(&meta.session_id), Some(&key)),
                &req,
            );
            let r = match self.send(res) {
                Ok(r) => r,
                Err(o) => return o,
            };
            if r.status == 403 && protocol::is_project_disabled(&r.body) {
                return Outcome::Disabled;
            }
            if classify(r.status) != StatusClass::Success {
                return self.failure(&r);
            }
            match protocol::parse_presign(r.status, &r.body) {
                Ok(Presign::Upload { .. }) if self.abandoned(id, meta) => {
                    return Outcome::Abandoned
                }
                Ok(Presign::Upload { url, batch_id }) => {
                    // Durable before the PUT: a restart PUTs this URL again (stored once)
                    // instead of presigning a new batch the backend would ingest again.
                    let stage = UploadStage {
                        represigns,
                        url: url.clone(),
                        batch_id: batch_id.clone(),
                        uploaded: false,
                    };
                    self.store_stage(&stage_file, &stage);
                    if let Some(p) = self.progress.get_mut(&id) {
                        p.presigned = Some((url, batch_id));
                    }
                }
                Ok(Presign::Skip {
                    deduplicated: true, ..
                }) => return Outcome::Duplicate,
                Ok(Presign::Skip { reason, .. }) => {
                    return Outcome::Decline {
                        scope: protocol::skip_scope(&reason, meta.kind),
                        reason,
                    }
                }
                Ok(Presign::Later(d)) => return Outcome::Later(d),
                // Refused for this artifact, counted, never sent in clear.
                Err(protocol::ProtocolError::InsecureUrl(_)) => {
                    return Outcome::Drop(DeliveryDrop::InsecureUrl)
                }
                Err(_) => return self.bad_response(),
            }
        }
        let Some((url, batch_id)) = self.progress.get(&id).and_then(|p| p.presigned.clone()) else {
            return self.bad_response();
        };
        if !self.progress.get(&id).is_some_and(|p| p.uploaded) {
            let res = self.put_gzip(&url, body);
            let r = match self.send(res) {
                Ok(r) => r,
                Err(o) => return o,
            };
            match r.status {
                // Purged during the PUT: no complete, never counted delivered (a backend that
                // ingests on the PUT already holds what reached it before the stop).
                200..=299 if self.abandoned(id, meta) => return Outcome::Abandoned,
                200..=299 => {
                    self.shared
                        .counters
                        .with(|c| c.bytes_uploaded += size as u64);
                    // Durable before the complete: a restart only completes.
                    let stage = UploadStage {
                        represigns,
                        url: url.clone(),
                        batch_id: batch_id.clone(),
                        uploaded: true,
                    };
                    self.store_stage(&stage_file, &stage);
                    if let Some(p) = self.progress.get_mut(&id) {
                        p.uploaded = true;
                    }
                }
                // An expired or revoked presigned URL: presign again, do not retry the PUT.
                401 | 403 => {
                    self.shared.counters.with(|c| c.presign_expired += 1);
                    stage_file.remove();
                    if let Some(p) = self.progress.get_mut(&id) {
                        p.presigned = None;
                        p.represigns += 1;
                    }
                    return Outcome::Retry {
                        hint: Some(Duration::ZERO),
                        charge: true,
                    };
                }
                _ => return self.failure(&r),
            }
        }
        let (path, req) = protocol::complete_request(meta, &batch_id, size, &sdk);
        // The presign's own key: the backend marks a key done only on the complete call
        // that carries it, and answers a presign repeating an unfinished key 202 for days.
        let key = upload_key(meta, represigns);
        let res = self.post_json(
            &self.url(path),
            &self.headers(Some(&meta.session_id), Some(&key)),
            &req,
        );
        match self.send(res) {
            Ok(r) if classify(r.status) == StatusClass::Success => Outcome::Done,
            Ok(r) => self.failure(&r),
            Err(o) => o,
        }
    }

    /// Best effort: if the disk refuses the stage, this run still resumes from memory; only
    /// a kill before the artifact is settled could then repeat a step (counted).
    fn store_stage(&self, file: &StageFile, stage: &UploadStage) {
        if file.store(stage).is_err() {
            self.shared.counters.with(|c| c.stage_write_failures += 1);
        }
    }
}
