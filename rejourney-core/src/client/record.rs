//! What the host reports besides frames: gestures, screens, custom events, logs, network
//! requests, the keyboard, identity, heartbeats and crashes.

use super::*;

impl Client {
    /// Sets (or clears) the user id for this and later sessions.
    pub fn identify(&self, user_id: Option<String>) {
        let now = match self.host_ms.load(Relaxed) {
            0 => wall_clock_ms(),
            host => host,
        };
        lock(&self.events).rec.identity(now, user_id.as_deref());
        lock(&self.sessions).identify(user_id);
    }

    pub(super) fn check_recording(&self) -> Result<(), ClientError> {
        self.check_open()?;
        if self.recording.load(Acquire) {
            Ok(())
        } else {
            Err(ClientError::NotStarted)
        }
    }

    /// A touch gesture at (x, y) points; taps feed the rage-tap detector. The touched
    /// view's interactivity is unknown, so no tap becomes a dead tap (see
    /// [`Client::gesture_on`]).
    pub fn gesture(
        &self,
        kind: Gesture,
        ts_ms: u64,
        x: f32,
        y: f32,
        target: Option<&str>,
    ) -> Result<(), ClientError> {
        self.gesture_on(kind, ts_ms, x, y, target, None)
    }

    /// A touch gesture with whether the touched view is interactive (`None`: the shim
    /// cannot tell, counted as interactive). Only taps on views known not to be interactive
    /// may become dead taps ([`crate::events::EventRecorder::gesture_on`]).
    pub fn gesture_on(
        &self,
        kind: Gesture,
        ts_ms: u64,
        x: f32,
        y: f32,
        target: Option<&str>,
        interactive: Option<bool>,
    ) -> Result<(), ClientError> {
        self.check_recording()?;
        // Decided on the true position against the last frame's masks; the recorder keeps
        // the true one for its detectors and emits only this.
        let shown = lock(&self.masks).touch.place(x, y);
        Ok(lock(&self.events).rec.gesture_placed(
            kind,
            ts_ms,
            (x, y),
            shown,
            target,
            interactive,
        )?)
    }

    /// A finished touch sequence as the shim saw it (start and end points, duration,
    /// fingers): classified here, and placed by where it started (touch privacy).
    pub fn touch_on(
        &self,
        ts_ms: u64,
        touch: &crate::events::TouchSummary,
        target: Option<&str>,
        interactive: Option<bool>,
    ) -> Result<Gesture, ClientError> {
        self.check_recording()?;
        let kind = crate::events::classify_touch(touch);
        // A touch that started inside a masked view keeps that view's bounds wherever it
        // ended; one that started outside is placed by its end (which may be inside one).
        let shown = {
            let m = lock(&self.masks);
            match m.touch.place(touch.start_x, touch.start_y) {
                TouchPosition::Exact { .. } => m.touch.place(touch.end_x, touch.end_y),
                withheld => withheld,
            }
        };
        lock(&self.events).rec.gesture_placed(
            kind,
            ts_ms,
            (touch.end_x, touch.end_y),
            shown,
            target,
            interactive,
        )?;
        Ok(kind)
    }

    pub fn screen_changed(&self, ts_ms: u64, name: &str) -> Result<(), ClientError> {
        self.check_recording()?;
        // The last frame's masks were another screen's: touches wait for the next frame.
        lock(&self.masks).touch.forget();
        lock(&self.events).rec.screen_changed(ts_ms, name);
        Ok(())
    }

    /// A custom event with properties.
    pub fn log_event(
        &self,
        ts_ms: u64,
        name: &str,
        props: &[(String, PropValue)],
    ) -> Result<(), ClientError> {
        self.check_recording()?;
        Ok(lock(&self.events).rec.custom(ts_ms, name, props)?)
    }

    pub fn log_message(&self, ts_ms: u64, level: &str, message: &str) -> Result<(), ClientError> {
        self.check_recording()?;
        lock(&self.events).rec.log(ts_ms, level, message);
        Ok(())
    }

    /// Records a network request (URL sanitised; denied hosts and the SDK's own API are not
    /// recorded). Returns whether it was recorded.
    pub fn network_request(&self, ts_ms: u64, req: &NetworkRequest) -> Result<bool, ClientError> {
        self.check_recording()?;
        Ok(lock(&self.events)
            .rec
            .network(ts_ms, req, &self.own_hosts)?)
    }

    pub fn keyboard(&self, ts_ms: u64, shown: bool, height: f32) -> Result<(), ClientError> {
        self.check_recording()?;
        lock(&self.events).rec.keyboard(ts_ms, shown, height);
        Ok(())
    }

    /// The host's main thread is alive: the watchdog's only liveness signal, from the main
    /// thread's own timer (every ≤ 1 s, every run-loop mode), never from capture ticks.
    pub fn heartbeat(&self) {
        if let Some(p) = &self.pulse {
            p.heartbeat();
        }
    }

    /// Records a crash from the host's crash handler: the incident is written to the spool
    /// before this returns (bounded by `timeout`) and delivered on this or the next launch.
    pub fn record_crash(
        &self,
        ts_ms: u64,
        name: &str,
        reason: &str,
        stack: &str,
        timeout: Duration,
    ) -> Result<bool, ClientError> {
        self.check_open()?;
        let Some(session) = lock(&self.current).clone() else {
            return Err(ClientError::NotStarted);
        };
        let context = json!({"sdkVersion": self.sdk_version,
            "platform": self.device_info["platform"], "appVersion": self.device_info["appVersion"]});
        let body = crash_body(
            &new_incident_id(),
            &session.id,
            ts_ms,
            name,
            reason,
            stack,
            context,
        );
        let body = serde_json::to_vec(&body).unwrap_or_default();
        self.stats.crashes.fetch_add(1, Relaxed);
        // `metrics.crashCount` of the session's end call (the backend keeps the maximum).
        lock(&self.events).rec.crashed();
        self.save_session(ts_ms);
        self.uploader.enqueue(artifact(
            &session,
            ArtifactKind::Fault,
            ts_ms,
            ts_ms,
            1,
            0,
            body,
        ));
        // A crash flushes an on-error buffer. The spooler writes its marker and moves it in
        // the round `persist` waits for, within `timeout`: this thread never waits on the
        // disk past its deadline (the marker covers a kill during the move).
        self.trigger("crash", false);
        Ok(self.persist(timeout))
    }
}

/// The masks touches are placed against (see [`crate::events::touch_privacy`]).
#[derive(Debug)]
pub(super) struct TouchMasks {
    mode: TouchPrivacy,
    rects: Vec<Rect>,
    known: bool,
}

impl TouchMasks {
    pub(super) fn new(mode: TouchPrivacy) -> Self {
        Self {
            mode,
            rects: Vec::new(),
            known: false,
        }
    }

    /// A frame's tree was checked whole and its masks decided: touches follow them (the
    /// vector is reused, nothing is allocated once it has grown).
    pub(super) fn remember(&mut self, rects: &[Rect]) {
        self.rects.clear();
        self.rects.extend_from_slice(rects);
        self.known = true;
    }

    /// The screen changed or a session began: the masks are unknown until the next frame.
    pub(super) fn forget(&mut self) {
        self.known = false;
    }

    pub(super) fn place(&self, x: f32, y: f32) -> TouchPosition {
        place_touch(self.mode, x, y, self.known.then_some(&self.rects[..]))
    }
}
