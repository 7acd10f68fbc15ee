//! The session plan applied to the running session: the remote config (held for the first
//! frame at most [`RemoteOptions::hold_ms`]), sampling, and the on-error buffer with its
//! triggers. The decisions are in [`crate::remote_config::plan`]; this file only applies them.

use super::*;
use crate::remote_config::fetch::FetchConfig;
use crate::remote_config::plan::PlanInputs;
use crate::remote_config::{
    plan_session, RemoteConfigSource, RemoteState, SessionMode, SessionPlan,
};
use crate::session::Session;
use crate::upload::Timeouts;

/// Remote configuration options.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Ask `GET /api/sdk/config` at start and at every session rotation.
    pub enabled: bool,
    /// Longest a new session's first capture waits for a first answer when nothing is known
    /// (no cached answer): after it, the app's options alone decide.
    pub hold_ms: u64,
    /// Bounds one fetch.
    pub timeouts: Timeouts,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            hold_ms: 1_000,
            timeouts: Timeouts {
                connect: Duration::from_secs(3),
                request: Duration::from_secs(5),
                max_response_bytes: 64 * 1024,
            },
        }
    }
}

/// The running session's plan (under [`Client`]'s `plan` lock).
#[derive(Debug)]
pub(super) struct PlanState {
    pub(super) inputs: PlanInputs,
    /// `None` while the first capture waits for the remote config.
    pub(super) plan: Option<SessionPlan>,
    pub(super) session_id: Option<Arc<str>>,
    pub(super) hold_until_ms: u64,
    /// The remote state generation the plan was made with.
    pub(super) generation: u64,
    /// The server switched the project off (disabled, billing blocked, key refused):
    /// events are not sent either. Replay off leaves this false.
    pub(super) events_off: bool,
}

impl PlanState {
    pub(super) fn new(opts: &ClientOptions) -> Self {
        let inputs = PlanInputs {
            choices: opts.choices.clone(),
            session_sample_rate: opts.session.sample_rate,
            on_error_sample_rate: opts.session.on_error_sample_rate,
            default_interval_ms: opts.capture.capture_interval_ms,
            buffer_interval_ms: opts.buffer_interval_ms,
            max_session_ms: opts.session.max_session_ms,
            mask_text_inputs: opts.masks.mask_text_inputs,
            mask_all_images: opts.masks.mask_all_images,
            mask_video: opts.masks.mask_video,
        };
        Self {
            inputs,
            plan: None,
            session_id: None,
            hold_until_ms: 0,
            generation: 0,
            events_off: false,
        }
    }
}

/// Starts the fetch thread when remote config is on.
/// `held`: consent is not granted, so no fetch leaves the phone until it is.
pub(super) fn start_remote(
    opts: &ClientOptions,
    held: bool,
) -> Result<Option<RemoteConfigSource>, ClientError> {
    if !opts.remote.enabled {
        return Ok(None);
    }
    let text = |k: &str| opts.device_info[k].as_str().unwrap_or_default().to_owned();
    let cfg = FetchConfig {
        api_url: opts.delivery.api_url.clone(),
        api_key: opts.delivery.api_key.clone(),
        platform: text("platform"),
        app_id: text("appId"),
        cache_dir: opts.delivery.spool_dir.join("config"),
        timeouts: opts.remote.timeouts,
        sdk_version: opts.delivery.sdk_version.clone(),
    };
    RemoteConfigSource::start_held(cfg, held)
        .map(Some)
        .map_err(|e| ClientError::Delivery(DeliveryError::Thread(e.to_string())))
}

impl Client {
    /// Plans a session that just began: at once when something is known (or remote config
    /// is off), else holds its captures until the first answer or the hold time.
    pub(super) fn plan_new_session(&self, s: &Session) {
        let state = self.remote.as_ref().map(RemoteConfigSource::state);
        let mut ps = lock(&self.plan);
        ps.session_id = Some(s.id.as_str().into());
        ps.plan = None;
        ps.events_off = false;
        match state {
            Some(st) if st.undecided() => {
                ps.hold_until_ms = s.start_ms.saturating_add(self.remote_hold_ms);
                ps.generation = st.generation;
                // Nothing captured yet may leave before the plan says so.
                self.pipeline.set_capture_stopped(true);
                if ps.inputs.on_error_sample_rate > 0.0 {
                    self.uploader.begin_buffering(&s.id);
                }
            }
            st => {
                let plan = plan_session(
                    &ps.inputs,
                    st.as_ref().and_then(|x| x.config.as_ref()),
                    st.as_ref().is_some_and(RemoteState::refused),
                    &s.id,
                );
                ps.generation = st.map_or(0, |x| x.generation);
                self.apply_plan(&mut ps, plan);
            }
        }
    }

    /// Makes the running session follow `plan`.
    fn apply_plan(&self, ps: &mut PlanState, plan: SessionPlan) {
        let Some(id) = ps.session_id.clone() else {
            return;
        };
        {
            let mut m = lock(&self.masks);
            m.opts.mask_text_inputs = plan.mask_text_inputs;
            m.opts.mask_all_images = plan.mask_all_images;
            m.opts.mask_video = plan.mask_video;
        }
        {
            let mut sessions = lock(&self.sessions);
            sessions.set_sampled_in(plan.sampled_in());
            sessions.set_max_session_ms(plan.max_session_ms);
        }
        // Buffered artifacts are uploaded only as part of a triggered (sampled) session; a
        // replay-off session's events are uploaded like a recorded one's.
        let uploaded = plan.mode != SessionMode::Off || plan.replay_off();
        if let Some(cur) = lock(&self.current).as_mut() {
            cur.sampled_in = uploaded;
        }
        self.uploader.set_sampled_in(uploaded);
        match plan.mode {
            SessionMode::Buffer => self.uploader.begin_buffering(&id),
            SessionMode::Record => self.uploader.release_buffer(&id),
            SessionMode::Off => {}
        }
        // Only "stop everything" drops events; replay off stops capture only.
        ps.events_off = plan.stops_everything();
        if plan.stops_everything() {
            // Nothing of the session stays on the phone: what is spooled or buffered is
            // deleted, what is still on its way (the open bundle, trees, the end call) is
            // deleted when it reaches the uploader.
            lock(&self.events).rec.clear();
            self.uploader.purge_session(&id);
        }
        let closed = self.uploader.is_session_closed(&id);
        self.pipeline
            .with_policy(|p| p.set_interval(plan.interval_ms()));
        self.pipeline
            .set_capture_stopped(plan.mode == SessionMode::Off || closed);
        ps.plan = Some(plan);
    }

    /// On each tick: ends the hold, follows a new remote answer (tightening only), and
    /// notices a trigger from another thread. Returns a skip while the capture is held.
    pub(super) fn poll_plan(&self, now_ms: u64) -> Option<Decision> {
        let state = self.remote.as_ref().map(|r| (r.generation(), r));
        let mut ps = lock(&self.plan);
        let id = ps.session_id.clone()?;
        match (ps.plan.clone(), state) {
            (None, Some((generation, remote))) => {
                let st = remote.state();
                if st.undecided() && now_ms < ps.hold_until_ms {
                    return Some(Decision {
                        action: Action::Skip(SkipReason::RemoteConfig),
                        next_check_ms: 50,
                    });
                }
                let plan = plan_session(&ps.inputs, st.config.as_ref(), st.refused(), &id);
                ps.generation = generation;
                self.apply_plan(&mut ps, plan);
            }
            (Some(current), Some((generation, remote))) if generation != ps.generation => {
                let st = remote.state();
                let fresh = plan_session(&ps.inputs, st.config.as_ref(), st.refused(), &id);
                let tighter = current.stricter(&fresh);
                ps.generation = generation;
                if tighter != current {
                    self.apply_plan(&mut ps, tighter);
                }
            }
            _ => {}
        }
        // A trigger on another thread (the ANR watchdog) moved the buffer: record from now.
        if let Some(p) = ps.plan.clone() {
            if p.mode == SessionMode::Buffer && !self.uploader.is_buffering(&id) {
                self.apply_plan(
                    &mut ps,
                    SessionPlan {
                        mode: SessionMode::Record,
                        ..p
                    },
                );
            }
        }
        None
    }

    /// Whether the server switched the project off (events are not sent either).
    pub(super) fn events_off(&self) -> bool {
        lock(&self.plan).events_off
    }

    /// Uploads the running session's on-error buffer, if it is buffering: the last window
    /// of frames, hierarchy and events, with their original timestamps, then the session
    /// goes on as a recorded session under the same id. `reason` is logged in the event
    /// stream. `durable_now` writes the trigger marker before returning (crash handlers).
    /// Returns whether a buffer was flushed. Never waits on the network.
    pub fn flush_buffer(&self, reason: &str) -> Result<bool, ClientError> {
        self.check_open()?;
        Ok(self.trigger(reason, false))
    }

    pub(super) fn trigger(&self, reason: &str, durable_now: bool) -> bool {
        let mut ps = lock(&self.plan);
        let (Some(id), Some(plan)) = (ps.session_id.clone(), ps.plan.clone()) else {
            return false;
        };
        if plan.mode != SessionMode::Buffer {
            return false;
        }
        let now = match self.host_ms.load(Relaxed) {
            0 => wall_clock_ms(),
            host => host,
        };
        lock(&self.events).rec.log(
            now,
            "info",
            &format!("rejourney: buffer flushed ({reason})"),
        );
        drop(ps);
        // The trigger is marked before the window's events and open frame bundle are handed
        // over: marked first, nothing of the session is evicted any more, so the batch this
        // flush seals (ending now, maybe long after the window's last batch) cannot push the
        // window it belongs to out of the buffer. What arrives after the move is uploaded
        // directly.
        let flushed = self.uploader.trigger_buffer(&id, durable_now);
        self.flush_events(now, true);
        self.pipeline.flush();
        ps = lock(&self.plan);
        if ps.session_id.as_ref() == Some(&id) {
            self.apply_plan(
                &mut ps,
                SessionPlan {
                    mode: SessionMode::Record,
                    ..plan
                },
            );
        }
        flushed
    }

    /// A handled error the app reports (a JS error, a caught exception): recorded in the
    /// event stream with its stack, and it flushes the on-error buffer.
    pub fn capture_error(
        &self,
        ts_ms: u64,
        name: &str,
        message: &str,
        stack: &str,
    ) -> Result<bool, ClientError> {
        self.check_recording()?;
        lock(&self.events).rec.error(ts_ms, name, message, stack);
        Ok(self.trigger("error", false))
    }

    /// Waits up to `timeout` for the remote config fetch in flight (tests, demos; never the
    /// main thread). Returns whether none is in flight (or remote config is off).
    pub fn wait_remote_config(&self, timeout: Duration) -> bool {
        self.remote.as_ref().is_none_or(|r| r.wait_settled(timeout))
    }

    /// What is known of the remote config (`None` when it is off).
    pub fn remote_state(&self) -> Option<RemoteState> {
        self.remote.as_ref().map(RemoteConfigSource::state)
    }

    /// The running session's plan (`None` while its first capture waits).
    pub fn session_plan(&self) -> Option<SessionPlan> {
        lock(&self.plan).plan.clone()
    }

    /// Session rotation asks the server again.
    pub(super) fn refetch_remote(&self) {
        if let Some(r) = &self.remote {
            r.refetch();
        }
    }
}
