//! The `Rejourney` object: one per process; every method converts and forwards to
//! [`Client`], inside the panic guard.

use super::options::client_options;
use super::types::{convert_nodes, spec, ListenerAdapter};
use super::*;

/// The SDK client. One per process; every method is thread-safe.
#[derive(uniffi::Object)]
pub struct Rejourney {
    pub(super) client: Client,
}

#[uniffi::export]
impl Rejourney {
    /// Validates the options, opens the storage (resuming earlier uploads) and starts the
    /// SDK's two background threads. Recording starts with `start`.
    #[uniffi::constructor]
    pub fn new(options: RejourneyOptions) -> Result<Arc<Self>, RejourneyError> {
        guard(|| {
            let client = Client::new(client_options(options)?)?;
            Ok(Arc::new(Self { client }))
        })
    }

    /// Starts a new session; returns its id.
    pub fn start(&self, now_ms: u64) -> Result<String, RejourneyError> {
        guard(|| Ok(self.client.start(now_ms)?))
    }

    /// Ends the session and stops capturing.
    pub fn stop(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.stop(now_ms)?))
    }

    /// Should the host capture now? Call from the capture timer; schedule the next tick
    /// after `next_check_ms`.
    pub fn tick(&self, now_ms: u64) -> Result<CaptureDecision, RejourneyError> {
        guard(|| {
            let d = self.client.tick(now_ms)?;
            let (capture, skip_reason) = match d.action {
                Action::Capture => (true, None),
                Action::NotDue => (false, None),
                Action::Skip(r) => (false, Some(r.as_str().to_owned())),
            };
            let req = self.client.capture_request();
            Ok(CaptureDecision {
                capture,
                skip_reason,
                next_check_ms: d.next_check_ms,
                walk_max_nodes: req.walk_max_nodes,
                walk_budget_ms: req.walk_budget_ms,
                capture_scale: req.capture_scale,
                strings_reset_strings: req.strings_reset_strings,
                strings_reset_bytes: req.strings_reset_bytes,
            })
        })
    }

    /// Hands over a captured framebuffer and the view tree it showed, with the update of the
    /// string table its nodes name (applied first, whatever becomes of the frame). Returns at once: the core masks, encodes
    /// and uploads on its own threads.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_frame(
        &self,
        pixels: Vec<u8>,
        width: u32,
        height: u32,
        stride: u32,
        format: PixelFormat,
        scale: f32,
        timestamp_ms: u64,
        tree: NodeTree,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            Ok(self.client.submit_frame_owned(
                pixels,
                spec(width, height, stride, format, scale),
                convert_nodes(tree.nodes),
                tree.strings.into(),
                timestamp_ms,
            )?)
        })
    }

    /// Like `submit_frame` with explicit mask rectangles (points) instead of a view tree.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_frame_with_masks(
        &self,
        pixels: Vec<u8>,
        width: u32,
        height: u32,
        stride: u32,
        format: PixelFormat,
        scale: f32,
        timestamp_ms: u64,
        masks: Vec<MaskRect>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let masks: Vec<Rect> = masks
                .iter()
                .map(|m| Rect::new(m.x, m.y, m.width, m.height))
                .collect();
            Ok(self.client.submit_frame_with_masks(
                pixels,
                spec(width, height, stride, format, scale),
                &masks,
                timestamp_ms,
            )?)
        })
    }

    /// A frame whose view walk was cut short by the shim's budget: the core cannot know
    /// what the unseen views hold, so the frame is not recorded (counted as
    /// `tree_truncated`); the partial tree is kept as a hierarchy snapshot marked partial.
    pub fn submit_partial_frame(
        &self,
        timestamp_ms: u64,
        tree: NodeTree,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            Ok(self.client.submit_partial_frame(
                convert_nodes(tree.nodes),
                tree.strings.into(),
                timestamp_ms,
            )?)
        })
    }

    /// A custom event.
    pub fn log_event(
        &self,
        timestamp_ms: u64,
        name: String,
        properties: HashMap<String, EventValue>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let mut props: Vec<(String, PropValue)> = properties
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        EventValue::Text { value } => PropValue::Str(value),
                        EventValue::Number { value } => PropValue::Num(value),
                        EventValue::Flag { value } => PropValue::Bool(value),
                        EventValue::Null => PropValue::Null,
                    };
                    (k, v)
                })
                .collect();
            props.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(self.client.log_event(timestamp_ms, &name, &props)?)
        })
    }

    /// A touch gesture at (x, y) in points; `target` is the touched view's class or label,
    /// `interactive` whether that view is a control (`None`: unknown; only taps on views
    /// known not to be interactive may become dead taps).
    #[uniffi::method(default(interactive = None))]
    pub fn track_gesture(
        &self,
        kind: Gesture,
        timestamp_ms: u64,
        x: f32,
        y: f32,
        target: Option<String>,
        interactive: Option<bool>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            Ok(self
                .client
                .gesture_on(kind, timestamp_ms, x, y, target.as_deref(), interactive)?)
        })
    }

    /// A finished touch sequence (points): the core classifies it (`classify_touch`) and
    /// records the gesture where the finger came up, unless touch privacy withholds it (it
    /// started, or ended, inside a masked view). Returns what it recorded.
    /// `interactive`: whether the touched view is a control (see [`Self::track_gesture`]).
    #[uniffi::method(default(interactive = None))]
    pub fn track_touch(
        &self,
        timestamp_ms: u64,
        touch: TouchSummary,
        target: Option<String>,
        interactive: Option<bool>,
    ) -> Result<Gesture, RejourneyError> {
        guard(|| {
            Ok(self
                .client
                .touch_on(timestamp_ms, &touch, target.as_deref(), interactive)?)
        })
    }

    /// Masks views of this class (exact or simple name) from the next frame on.
    pub fn mask_class(&self, class_name: String) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.mask_class(&class_name)?))
    }

    /// Masks views with this test id / accessibility identifier from the next frame on.
    pub fn mask_test_id(&self, test_id: String) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.mask_test_id(&test_id)?))
    }

    pub fn screen_changed(&self, timestamp_ms: u64, name: String) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.screen_changed(timestamp_ms, &name)?))
    }

    /// A log line (`level`: debug, info, warn, error).
    pub fn log_message(
        &self,
        timestamp_ms: u64,
        level: String,
        message: String,
    ) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.log_message(timestamp_ms, &level, &message)?))
    }

    /// A network request; returns whether it was recorded (deny-listed ones are not).
    pub fn network_request(
        &self,
        timestamp_ms: u64,
        request: NetworkRequestInfo,
    ) -> Result<bool, RejourneyError> {
        guard(|| {
            let req = NetworkRequest {
                method: request.method,
                url: request.url,
                status: request.status_code,
                duration_ms: request.duration_ms,
                request_bytes: request.request_bytes,
                response_bytes: request.response_bytes,
                error: request.error,
            };
            Ok(self.client.network_request(timestamp_ms, &req)?)
        })
    }

    pub fn keyboard_shown(&self, timestamp_ms: u64, height: f32) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.keyboard(timestamp_ms, true, height)?))
    }

    pub fn keyboard_hidden(&self, timestamp_ms: u64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.keyboard(timestamp_ms, false, 0.0)?))
    }

    /// The main thread is alive; the ANR watchdog reports silences beyond its threshold.
    /// The only liveness signal (ticks are not one): beat it from the main thread's own
    /// timer every 500 ms (at most 1 s) in every run-loop mode, whatever capture does
    /// (docs/ARCHITECTURE.md, "The ANR heartbeat contract").
    pub fn heartbeat(&self) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.heartbeat();
            Ok(())
        })
    }

    /// From the host's crash handler: stores the incident (waiting up to `timeout_ms` for
    /// the disk) so it is sent on this or the next launch. Returns whether it is on disk.
    pub fn record_crash(
        &self,
        timestamp_ms: u64,
        name: String,
        reason: String,
        stack: String,
        timeout_ms: u64,
    ) -> Result<bool, RejourneyError> {
        guard(|| {
            Ok(self.client.record_crash(
                timestamp_ms,
                &name,
                &reason,
                &stack,
                Duration::from_millis(timeout_ms),
            )?)
        })
    }

    /// A handled error (a JS error, a caught exception): recorded with its stack in the
    /// event stream, and it uploads the session's on-error buffer if it is buffering.
    /// Returns whether a buffer was flushed.
    pub fn capture_error(
        &self,
        timestamp_ms: u64,
        name: String,
        message: String,
        stack: String,
    ) -> Result<bool, RejourneyError> {
        guard(|| {
            Ok(self
                .client
                .capture_error(timestamp_ms, &name, &message, &stack)?)
        })
    }

    /// Uploads the session's on-error buffer now (a manual trigger), after which the
    /// session is recorded normally. Returns whether it was buffering. Never waits on the
    /// network.
    pub fn flush_buffer(&self, reason: String) -> Result<bool, RejourneyError> {
        guard(|| Ok(self.client.flush_buffer(&reason)?))
    }

    /// Waits up to `timeout_ms` for the remote config fetch in flight (tests and demos; not
    /// the main thread). Returns whether it settled.
    pub fn wait_remote_config(&self, timeout_ms: u64) -> Result<bool, RejourneyError> {
        guard(|| {
            Ok(self
                .client
                .wait_remote_config(Duration::from_millis(timeout_ms)))
        })
    }

    /// How long the last capture took on the host's main thread (ms).
    pub fn report_capture_cost(&self, ms: f64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.report_capture_cost(ms)?))
    }

    pub fn touch_began(&self) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.touch_began();
            Ok(())
        })
    }
    pub fn touch_ended(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.touch_ended(now_ms);
            Ok(())
        })
    }
    pub fn scroll_began(&self) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.scroll_began();
            Ok(())
        })
    }
    pub fn scroll_ended(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.scroll_ended(now_ms);
            Ok(())
        })
    }
    pub fn app_backgrounded(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.app_backgrounded(now_ms);
            Ok(())
        })
    }
    pub fn app_foregrounded(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.app_foregrounded(now_ms);
            Ok(())
        })
    }

    /// Sets (or clears, with `None`) the user id.
    pub fn identify(&self, user_id: Option<String>) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.identify(user_id);
            Ok(())
        })
    }

    /// The current session id, if recording.
    pub fn session_id(&self) -> Option<String> {
        guard(|| Ok(self.client.session_id())).ok().flatten()
    }

    /// Registers (or clears) the session listener.
    pub fn set_listener(
        &self,
        listener: Option<Arc<dyn RejourneyListener>>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let adapter =
                listener.map(|l| Arc::new(ListenerAdapter(l)) as Arc<dyn SessionObserver>);
            self.client.set_observer(adapter);
            Ok(())
        })
    }

    /// Waits up to `timeout_ms` until everything captured so far is delivered. For shutdown
    /// paths and tests; never call it on the main thread.
    pub fn flush(&self, timeout_ms: u64) -> Result<bool, RejourneyError> {
        guard(|| Ok(self.client.flush(Duration::from_millis(timeout_ms))))
    }

    /// Opt-out: stops capture and deletes everything not yet delivered.
    pub fn opt_out(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.opt_out(now_ms);
            Ok(())
        })
    }

    pub fn telemetry(&self) -> Result<Telemetry, RejourneyError> {
        guard(|| {
            let t = self.client.telemetry();
            Ok(Telemetry {
                session_id: t.session_id.clone(),
                frames_offered: t.capture.frames_offered,
                frames_captured: t.capture.frames_captured,
                frames_skipped_unchanged: t.capture.frames_skipped_unchanged,
                frames_skipped_policy: t.capture.frames_skipped_policy,
                frames_dropped: t.capture.frames_dropped,
                bundles: t.capture.bundles,
                bytes_out: t.capture.bytes_out,
                masked_regions: t.capture.masked_regions,
                artifacts_delivered: t.delivery.delivered.values().sum(),
                artifacts_dropped: t.delivery.dropped.values().sum(),
                requests: t.delivery.requests,
                retries: t.delivery.retries,
                spool_files: t.delivery.spool_files,
                spool_bytes: t.delivery.spool_bytes,
                events_recorded: t.events.recorded,
                events_dropped: t.events.dropped_buffer_full,
                hierarchy_snapshots: t.hierarchy.snapshots,
                anrs: t.anrs,
                session_mode: t.plan.as_ref().map(|p| {
                    serde_json::to_value(p.mode)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                remote_config_status: t.remote_config.as_ref().map(|r| {
                    serde_json::to_value(r.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                buffer_files: t.delivery.buffer_files,
                buffer_triggers: t.delivery.buffer.triggers,
                json: serde_json::to_string(&t).unwrap_or_default(),
                wrapper_calls_dropped: t.capture.wrapper_dropped.values().sum(),
            })
        })
    }

    /// The device's state (thermal, low power, battery, network): the core slows or stops
    /// capture and defers uploads by it (`device_policy`). Returns the decision.
    pub fn device_state(
        &self,
        state: crate::device_policy::DeviceState,
    ) -> Result<crate::device_policy::DeviceDecision, RejourneyError> {
        guard(|| Ok(self.client.device_state(state)?))
    }

    /// Stops the SDK's threads, delivering for up to `drain_ms`; the rest stays stored for
    /// the next launch.
    pub fn shutdown(&self, drain_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.shutdown(Duration::from_millis(drain_ms));
            Ok(())
        })
    }
}
