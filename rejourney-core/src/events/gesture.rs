//! Gestures: what the host's raw touch sequence was (tap, long press, swipe, pinch).
//!
//! Every platform reports a finished touch sequence the same way ([`TouchSummary`], in points)
//! and the core classifies it, so a 9-point wobble is a tap and a 600 ms hold a long press on
//! iOS, Android and React Native alike.

/// How far (points) a single finger may move and still tap or long-press.
pub const TAP_SLOP_PT: f32 = 10.0;
/// How long (ms) a still finger must stay down to long-press.
pub const LONG_PRESS_MS: u64 = 500;

/// A recognised gesture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Gesture {
    Tap,
    LongPress,
    Swipe,
    Pinch,
}

impl Gesture {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Gesture::Tap => "tap",
            Gesture::LongPress => "long_press",
            Gesture::Swipe => "swipe",
            Gesture::Pinch => "pinch",
        }
    }
}

/// One finished touch sequence as the host saw it: where the first finger went down and
/// came up (points, window coordinates), how long it lasted and the most fingers down at once.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct TouchSummary {
    pub start_x: f32,
    pub start_y: f32,
    pub end_x: f32,
    pub end_y: f32,
    pub duration_ms: u64,
    pub max_pointers: u32,
}

/// Classifies a touch sequence: more than one finger is a pinch; a finger that moved more
/// than [`TAP_SLOP_PT`] a swipe; one held at least [`LONG_PRESS_MS`] a long press; else a tap.
/// Positions that are not finite count as no movement (the recorder refuses them anyway).
pub fn classify(t: &TouchSummary) -> Gesture {
    let moved = (t.end_x - t.start_x).hypot(t.end_y - t.start_y);
    if t.max_pointers > 1 {
        Gesture::Pinch
    } else if moved > TAP_SLOP_PT {
        Gesture::Swipe
    } else if t.duration_ms >= LONG_PRESS_MS {
        Gesture::LongPress
    } else {
        Gesture::Tap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dx: f32, ms: u64, pointers: u32) -> TouchSummary {
        TouchSummary {
            start_x: 100.0,
            start_y: 100.0,
            end_x: 100.0 + dx,
            end_y: 100.0,
            duration_ms: ms,
            max_pointers: pointers,
        }
    }

    #[test]
    fn thresholds_are_inclusive_where_documented() {
        assert_eq!(classify(&touch(10.0, 499, 1)), Gesture::Tap);
        assert_eq!(classify(&touch(10.5, 10, 1)), Gesture::Swipe);
        assert_eq!(classify(&touch(0.0, 500, 1)), Gesture::LongPress);
        assert_eq!(classify(&touch(300.0, 900, 1)), Gesture::Swipe);
        assert_eq!(classify(&touch(0.0, 10, 2)), Gesture::Pinch);
        assert_eq!(classify(&touch(f32::NAN, 10, 1)), Gesture::Tap);
    }
}
