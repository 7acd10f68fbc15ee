//! The encoder thread: drains the raw queue, skips unchanged frames, downscales, encodes JPEG
//! and seals bundles. It owns its scratch buffers so the host's `submit_frame` never shares
//! state with an encode beyond the bounded queues in [`Shared`].

use super::*;

/// The encoder thread's private state: scratch buffers reused across frames.
pub(super) struct EncoderThread {
    shared: Arc<Shared>,
    encoder: Encoder,
    builder: BundleBuilder,
    downscaler: Downscaler,
    scaled: Vec<u8>,
    last_fingerprint: Option<u64>,
    flushed: u64,
    /// The purge epoch of the frames in the open bundle.
    epoch: u64,
}

impl EncoderThread {
    pub(super) fn new(shared: Arc<Shared>, encoder: Encoder, builder: BundleBuilder) -> Self {
        Self {
            shared,
            encoder,
            builder,
            downscaler: Downscaler::new(),
            scaled: Vec::new(),
            last_fingerprint: None,
            flushed: 0,
            epoch: 0,
        }
    }

    pub(super) fn run(mut self) {
        loop {
            let stopping = self.shared.stopping.load(Acquire);
            if !stopping && self.shared.paused.load(Acquire) {
                self.shared.raw.wait(Some(AGE_CHECK));
                continue;
            }
            // Read the requests before draining: every frame submitted before a request was
            // queued before it, so it is drained below and covered by the acknowledgement.
            let requested = self.shared.flush_requested.load(Acquire);
            let synced = self.shared.sync_requested.load(Acquire);
            while let Some(frame) = self.shared.raw.pop() {
                self.process(frame);
            }
            if requested > self.flushed || stopping {
                self.seal();
                self.flushed = requested;
            } else if let Some(oldest) = self.builder.oldest_ms() {
                let now = self.shared.clock_ms.load(Relaxed);
                if now.saturating_sub(oldest) >= self.shared.config.batch_max_age_ms() {
                    self.seal();
                }
            }
            // Follow-ups first: a caller woken by the acknowledgement below must find
            // what they queued (a session's end call) already handed on.
            self.run_after_flush(false);
            {
                let mut st = lock(&self.shared.flush_done);
                if st.flushed < self.flushed || st.synced < synced {
                    st.flushed = self.flushed;
                    st.synced = synced;
                    self.shared.flush_cv.notify_all();
                }
            }
            if stopping && self.shared.raw.is_empty() {
                self.run_after_flush(true);
                return;
            }
            let timeout = if self.builder.is_empty() {
                None
            } else {
                Some(AGE_CHECK)
            };
            self.shared.raw.wait(timeout);
        }
    }

    /// Runs the follow-ups whose flush is done (all of them when stopping).
    fn run_after_flush(&self, all: bool) {
        let due: Vec<AfterFlush> = {
            let mut after = lock(&self.shared.after_flush);
            if all {
                self.shared.encoder_done.store(true, Release);
            }
            if after.is_empty() {
                return;
            }
            let (due, keep): (Vec<_>, Vec<_>) = after
                .drain(..)
                .partition(|(token, _)| all || *token <= self.flushed);
            *after = keep;
            due.into_iter().map(|(_, f)| f).collect()
        };
        for f in due {
            f();
        }
    }

    /// Deletes the open bundle if a purge came after its frames. Returns the current epoch.
    fn discard_purged(&mut self) -> u64 {
        let now = self.shared.purges.load(Acquire);
        if self.epoch < now {
            let frames = self.builder.discard();
            if frames > 0 {
                self.shared
                    .telemetry
                    .dropped(DropReason::Purged, frames as u64);
            }
            self.last_fingerprint = None;
            self.epoch = now;
        }
        now
    }

    fn process(&mut self, frame: RawFrame) {
        let t = self.shared.telemetry.clone();
        if frame.epoch < self.discard_purged() {
            t.dropped(DropReason::Purged, 1);
            return;
        }
        let start = Instant::now();
        if *self.builder.session_id() != frame.session.id {
            self.seal();
            self.builder
                .reset_session(frame.session.id.clone(), frame.session.start_ms);
            self.last_fingerprint = None;
        }
        let cfg = &self.shared.config;
        if cfg.skip_unchanged_frames {
            let fp_start = Instant::now();
            let fp = fingerprint(&frame.pixels, &frame.spec);
            t.time(Stage::Fingerprint, fp_start.elapsed());
            if self.last_fingerprint == Some(fp) {
                Telemetry::add(&t.frames_skipped_unchanged, 1);
                return;
            }
            self.last_fingerprint = Some(fp);
        }
        let img = match target_size(&frame.spec, cfg.capture_scale) {
            Some((w, h)) => {
                let ds_start = Instant::now();
                self.downscaler
                    .downscale(&frame.pixels, &frame.spec, w, h, &mut self.scaled);
                t.time(Stage::Downscale, ds_start.elapsed());
                PixelsRef {
                    pixels: &self.scaled,
                    width: w,
                    height: h,
                    stride: w as usize * 4,
                    format: frame.spec.format,
                }
            }
            None => PixelsRef {
                pixels: &frame.pixels,
                width: frame.spec.width,
                height: frame.spec.height,
                stride: frame.spec.stride,
                format: frame.spec.format,
            },
        };
        let enc_start = Instant::now();
        let (jpeg_w, jpeg_h) = (img.width, img.height);
        let encoded = self.encoder.encode(img);
        if frame.epoch < self.shared.purges.load(Acquire) {
            // Purged while it was being encoded (the open bundle goes at the next check).
            t.dropped(DropReason::Purged, 1);
            return;
        }
        match encoded {
            Ok(jpeg) => {
                t.time(Stage::Encode, enc_start.elapsed());
                Telemetry::add(&t.bytes_encoded, jpeg.len() as u64);
                Telemetry::add(&t.frames_captured, 1);
                if let Some(masks) = frame.masks {
                    // The bytes the bundle gets, to the app's debug observer (never waits).
                    self.shared.observer.offer(ObservedFrame {
                        session_id: frame.session.id.clone(),
                        timestamp_ms: frame.ts_ms,
                        jpeg: jpeg.to_vec(),
                        width: jpeg_w,
                        height: jpeg_h,
                        pixels_per_point: frame.spec.scale * jpeg_w as f32
                            / frame.spec.width.max(1) as f32,
                        masks,
                    });
                }
                self.builder.push(frame.ts_ms, jpeg);
            }
            Err(_) => {
                t.dropped(DropReason::EncodeFailed, 1);
                return;
            }
        }
        t.time(Stage::Frame, start.elapsed());
        if self.builder.len() >= cfg.batch_size {
            self.seal();
        }
    }

    fn seal(&mut self) {
        self.discard_purged();
        let t = &self.shared.telemetry;
        let start = Instant::now();
        let Some(bundle) = self.builder.seal(self.shared.config.gzip_level) else {
            return;
        };
        t.time(Stage::Bundle, start.elapsed());
        Telemetry::add(&t.bundles, 1);
        Telemetry::add(&t.bytes_out, bundle.gz.len() as u64);
        let frames = bundle.frame_count;
        self.shared.pending_frames.fetch_add(frames, AcqRel);
        if let Some(old) = self.shared.pending.push(bundle) {
            self.count_dropped_bundle(&old, DropReason::PendingBatchesFull);
        }
        while self.shared.pending_frames.load(Acquire) > self.shared.config.max_buffered_frames {
            match self.shared.pending.pop() {
                Some(old) => self.count_dropped_bundle(&old, DropReason::BufferedFramesFull),
                None => break,
            }
        }
        let notify = lock(&self.shared.on_bundle).clone();
        if let Some(n) = notify {
            n();
        }
    }

    fn count_dropped_bundle(&self, old: &Bundle, reason: DropReason) {
        self.shared
            .pending_frames
            .fetch_sub(old.frame_count, AcqRel);
        Telemetry::add(&self.shared.telemetry.bundles_dropped, 1);
        self.shared
            .telemetry
            .dropped(reason, old.frame_count as u64);
    }
}
