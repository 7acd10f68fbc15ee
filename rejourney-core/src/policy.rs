//! Capture timer policy: decides at each host tick whether to capture now.
//!
//! The core drives capture and the shim only answers (the capture-sdk model): the host calls
//! [`CapturePolicy::tick`] with its clock and schedules its next timer from the returned hint.
//! Everything is a function of the timestamps passed in, so it is tested with fake time.
//!
//! Rules, in order: stopped → background → not yet due → touch / scroll in progress → settling
//! after an interaction → encode queue saturated → capture. Captures that cost the main thread
//! more than the budget double the interval (up to `max_backoff_factor`); cheap captures halve
//! it back.

use crate::config::Config;
use crate::error::PolicyError;
use crate::telemetry::SkipReason;

/// Soonest next tick a host is told to schedule: one display frame (a faster timer would
/// only burn the main thread).
pub const MIN_TICK_MS: u64 = 16;
/// Latest next tick: a minute, so a stopped or backgrounded SDK still notices changes.
pub const MAX_TICK_MS: u64 = 60_000;

/// The policy's answer to a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    /// When the host should tick again (ms from now).
    pub next_check_ms: u64,
}

impl Decision {
    /// The decision with its next tick within [`MIN_TICK_MS`]..=[`MAX_TICK_MS`]: what the
    /// host schedules, on every platform.
    pub fn clamped(self) -> Self {
        Self {
            next_check_ms: self.next_check_ms.clamp(MIN_TICK_MS, MAX_TICK_MS),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Capture a frame now and submit it.
    Capture,
    /// Nothing to do yet: the interval has not elapsed.
    NotDue,
    /// A capture was due but is held back.
    Skip(SkipReason),
}

/// Weight of the newest cost sample in the moving average: reacts within two or three
/// captures without flapping on one slow frame.
const COST_EWMA_WEIGHT: f64 = 0.5;

#[derive(Debug, Clone)]
pub struct CapturePolicy {
    interval_ms: u64,
    settle_ms: u64,
    budget_ms: f64,
    max_backoff: u32,
    backoff: u32,
    cost_ewma: Option<f64>,
    last_capture_ms: Option<u64>,
    last_skip_counted_ms: Option<u64>,
    touching: bool,
    scrolling: bool,
    interaction_ended_ms: Option<u64>,
    background: bool,
    stopped: bool,
    /// The device policy's interval multiplier (1: full rate) and stop (thermal critical).
    device_factor: u32,
    device_stopped: bool,
}

impl CapturePolicy {
    pub fn new(config: &Config) -> Self {
        Self {
            interval_ms: config.capture_interval_ms,
            settle_ms: config.interaction_settle_ms,
            budget_ms: config.main_thread_budget_ms,
            max_backoff: config.max_backoff_factor,
            backoff: 1,
            cost_ewma: None,
            last_capture_ms: None,
            last_skip_counted_ms: None,
            touching: false,
            scrolling: false,
            interaction_ended_ms: None,
            background: false,
            stopped: false,
            device_factor: 1,
            device_stopped: false,
        }
    }

    /// Changes the capture interval (the session plan: remote fps, buffering), 1 ms–60 s.
    pub fn set_interval(&mut self, interval_ms: u64) {
        self.interval_ms = interval_ms.clamp(1, 60_000);
    }

    /// Current interval multiplier from main-thread back-off (1 = none).
    pub fn backoff_factor(&self) -> u32 {
        self.backoff
    }

    fn effective_interval(&self) -> u64 {
        self.backoff_interval()
            .saturating_mul(self.device_factor.max(1) as u64)
    }

    /// The interval with the main-thread back-off only (what is due but for the device).
    fn backoff_interval(&self) -> u64 {
        self.interval_ms.saturating_mul(self.backoff as u64)
    }

    /// The device policy's answer ([`crate::device_policy`]): an interval multiplier
    /// (1..=64) and whether capture is stopped.
    pub fn set_device(&mut self, factor: u32, stopped: bool) {
        self.device_factor = factor.clamp(1, 64);
        self.device_stopped = stopped;
    }

    /// Decides whether to capture at `now_ms`. `queue_saturated` tells whether the encoder
    /// is behind. Returns the decision and, for skips that should be counted, the reason:
    /// at most one skip is reported per interval, so a host ticking fast does not inflate it.
    pub fn tick(&mut self, now_ms: u64, queue_saturated: bool) -> (Decision, Option<SkipReason>) {
        // A clock that stepped backwards restarts the interval rather than stalling capture.
        if self.last_capture_ms.is_some_and(|t| now_ms < t) {
            self.last_capture_ms = Some(now_ms);
        }
        // Likewise an interaction said to end after this tick (another clock, or garbage
        // such as u64::MAX) ends now: it settles within `settle_ms`, never holds capture.
        if self.interaction_ended_ms.is_some_and(|t| t > now_ms) {
            self.interaction_ended_ms = Some(now_ms);
        }
        let since = self.last_capture_ms.map(|t| now_ms - t);
        let base_due = since.is_none_or(|s| s >= self.interval_ms);
        let due = since.is_none_or(|s| s >= self.effective_interval());

        let skip = if self.stopped {
            Some((SkipReason::Stopped, self.interval_ms))
        } else if self.background {
            Some((SkipReason::Background, self.interval_ms))
        } else if self.device_stopped {
            Some((SkipReason::DeviceCritical, self.interval_ms))
        } else if !due {
            let wait = self.effective_interval() - since.unwrap_or(0);
            if since.is_none_or(|s| s >= self.backoff_interval()) {
                Some((SkipReason::DeviceThrottled, wait))
            } else if base_due {
                Some((SkipReason::OverBudget, wait))
            } else {
                return (
                    Decision {
                        action: Action::NotDue,
                        next_check_ms: wait,
                    },
                    None,
                );
            }
        } else if self.touching {
            Some((SkipReason::Touch, self.settle_ms.max(50)))
        } else if self.scrolling {
            Some((SkipReason::Scroll, self.settle_ms.max(50)))
        } else if let Some(wait) = self
            .interaction_ended_ms
            .map(|end| end.saturating_add(self.settle_ms).saturating_sub(now_ms))
            .filter(|w| *w > 0)
        {
            Some((SkipReason::Settling, wait))
        } else if queue_saturated {
            Some((SkipReason::QueueSaturated, self.interval_ms))
        } else {
            None
        };

        match skip {
            None => {
                self.last_capture_ms = Some(now_ms);
                self.last_skip_counted_ms = None;
                let next = self.effective_interval();
                (
                    Decision {
                        action: Action::Capture,
                        next_check_ms: next,
                    },
                    None,
                )
            }
            Some((reason, wait)) => {
                let count = self
                    .last_skip_counted_ms
                    .is_none_or(|t| now_ms < t || now_ms - t >= self.interval_ms);
                if count {
                    self.last_skip_counted_ms = Some(now_ms);
                }
                let d = Decision {
                    action: Action::Skip(reason),
                    next_check_ms: wait.max(1),
                };
                (d, count.then_some(reason))
            }
        }
    }

    /// The host reports how long a capture took on its main thread.
    pub fn report_capture_cost(&mut self, ms: f64) -> Result<(), PolicyError> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(PolicyError::Cost(ms));
        }
        let avg = match self.cost_ewma {
            None => ms,
            Some(prev) => prev * (1.0 - COST_EWMA_WEIGHT) + ms * COST_EWMA_WEIGHT,
        };
        self.cost_ewma = Some(avg);
        if avg > self.budget_ms {
            self.backoff = (self.backoff * 2).min(self.max_backoff);
        } else if avg < self.budget_ms / 2.0 {
            self.backoff = (self.backoff / 2).max(1);
        }
        Ok(())
    }

    pub fn touch_began(&mut self) {
        self.touching = true;
    }
    pub fn touch_ended(&mut self, now_ms: u64) {
        self.touching = false;
        self.interaction_ended_ms = Some(now_ms);
    }
    pub fn scroll_began(&mut self) {
        self.scrolling = true;
    }
    pub fn scroll_ended(&mut self, now_ms: u64) {
        self.scrolling = false;
        self.interaction_ended_ms = Some(now_ms);
    }
    pub fn set_background(&mut self, background: bool) {
        self.background = background;
        if !background {
            // Capture promptly when the user comes back: the first screen matters most.
            self.last_capture_ms = None;
        }
    }
    pub fn set_stopped(&mut self, stopped: bool) {
        self.stopped = stopped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CapturePolicy {
        CapturePolicy::new(&Config::default())
    }

    fn action(p: &mut CapturePolicy, now: u64) -> Action {
        p.tick(now, false).0.action
    }

    #[test]
    fn captures_at_the_fixed_interval() {
        let mut p = policy();
        assert_eq!(action(&mut p, 10_000), Action::Capture);
        assert_eq!(action(&mut p, 10_500), Action::NotDue);
        assert_eq!(p.tick(10_600, false).0.next_check_ms, 400);
        assert_eq!(action(&mut p, 11_000), Action::Capture);
        assert_eq!(action(&mut p, 11_999), Action::NotDue);
        assert_eq!(action(&mut p, 12_000), Action::Capture);
    }

    #[test]
    fn touch_and_scroll_pause_then_settle() {
        let mut p = policy();
        assert_eq!(action(&mut p, 0), Action::Capture);
        p.touch_began();
        assert_eq!(action(&mut p, 1_000), Action::Skip(SkipReason::Touch));
        p.touch_ended(1_100);
        assert_eq!(action(&mut p, 1_200), Action::Skip(SkipReason::Settling));
        assert_eq!(p.tick(1_250, false).0.next_check_ms, 150);
        assert_eq!(action(&mut p, 1_400), Action::Capture);
        p.scroll_began();
        assert_eq!(action(&mut p, 2_500), Action::Skip(SkipReason::Scroll));
        assert_eq!(action(&mut p, 5_000), Action::Skip(SkipReason::Scroll));
        p.scroll_ended(5_100);
        assert_eq!(action(&mut p, 5_300), Action::Skip(SkipReason::Settling));
        assert_eq!(action(&mut p, 5_400), Action::Capture);
    }

    #[test]
    fn background_pauses_and_foreground_captures_at_once() {
        let mut p = policy();
        assert_eq!(action(&mut p, 0), Action::Capture);
        p.set_background(true);
        assert_eq!(action(&mut p, 5_000), Action::Skip(SkipReason::Background));
        p.set_background(false);
        assert_eq!(action(&mut p, 5_001), Action::Capture);
    }

    #[test]
    fn over_budget_backs_off_and_cheap_captures_recover() {
        let mut p = policy();
        assert_eq!(action(&mut p, 0), Action::Capture);
        p.report_capture_cost(40.0).unwrap();
        assert_eq!(p.backoff_factor(), 2);
        assert_eq!(action(&mut p, 1_000), Action::Skip(SkipReason::OverBudget));
        assert_eq!(action(&mut p, 2_000), Action::Capture);
        for _ in 0..5 {
            p.report_capture_cost(40.0).unwrap();
        }
        assert_eq!(p.backoff_factor(), 8, "capped at max_backoff_factor");
        assert_eq!(action(&mut p, 9_999), Action::Skip(SkipReason::OverBudget));
        assert_eq!(action(&mut p, 10_000), Action::Capture);
        let mut steps = 0;
        while p.backoff_factor() > 1 {
            p.report_capture_cost(1.0).unwrap();
            steps += 1;
            assert!(steps < 20, "must recover");
        }
        assert_eq!(action(&mut p, 11_000), Action::Capture);
    }

    #[test]
    fn bad_costs_are_errors() {
        let mut p = policy();
        assert!(matches!(p.report_capture_cost(f64::NAN), Err(PolicyError::Cost(c)) if c.is_nan()));
        assert!(p.report_capture_cost(-1.0).is_err());
        assert!(p.report_capture_cost(f64::INFINITY).is_err());
        assert_eq!(p.backoff_factor(), 1);
    }

    #[test]
    fn saturated_queue_and_stop_hold_capture() {
        let mut p = policy();
        assert_eq!(
            p.tick(0, true).0.action,
            Action::Skip(SkipReason::QueueSaturated)
        );
        assert_eq!(p.tick(1, false).0.action, Action::Capture);
        p.set_stopped(true);
        assert_eq!(action(&mut p, 5_000), Action::Skip(SkipReason::Stopped));
    }

    #[test]
    fn skips_are_counted_once_per_interval() {
        let mut p = policy();
        p.touch_began();
        let counted: usize = (0..40)
            .filter(|i| p.tick(i * 100, false).1.is_some())
            .count();
        assert_eq!(counted, 4, "4 s of 100 ms ticks under touch count 4 skips");
    }

    #[test]
    fn the_device_slows_and_stops_capture() {
        let mut p = policy();
        p.set_device(2, false);
        assert_eq!(action(&mut p, 0), Action::Capture);
        assert_eq!(action(&mut p, 500), Action::NotDue);
        assert_eq!(
            action(&mut p, 1_000),
            Action::Skip(SkipReason::DeviceThrottled)
        );
        assert_eq!(action(&mut p, 2_000), Action::Capture);
        p.set_device(1, true);
        assert_eq!(
            action(&mut p, 5_000),
            Action::Skip(SkipReason::DeviceCritical)
        );
        p.set_device(1, false);
        assert_eq!(action(&mut p, 5_001), Action::Capture);
    }

    #[test]
    fn clock_stepping_back_does_not_stall_capture() {
        let mut p = policy();
        assert_eq!(action(&mut p, 100_000), Action::Capture);
        assert_eq!(action(&mut p, 50_000), Action::NotDue);
        assert_eq!(action(&mut p, 51_000), Action::Capture);
    }
}
