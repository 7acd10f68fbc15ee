//! Touch privacy: where a touch may be recorded. A tap on a custom PIN pad gives its digit
//! away by its coordinates even when every pixel of the pad is masked, so by default a touch
//! that starts inside a masked view is recorded with that view's bounds only, never with a
//! point inside it (not its centre either: that is a point inside the mask too, and a
//! heatmap built from it would still say which view was touched *where*).
//!
//! The masks are those of the last frame whose whole tree the core checked (a partial walk
//! or a refused tree leaves the previous ones). They are not known before the session's
//! first such frame or after a screen change until the next one; privacy fails closed, so a
//! touch then is recorded without a position. The decision is pure: the client passes the
//! masks it holds, the recorder uses the true position for rage and dead taps and emits only
//! what is decided here.

use crate::frame::Rect;

/// How much of a touch's position is recorded (option `touchPrivacy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum TouchPrivacy {
    /// A touch inside a masked view keeps that view's bounds only; others their position.
    #[default]
    MaskMasked,
    /// No touch position is recorded at all (the gesture, its target and time still are).
    HideAll,
    /// Every touch keeps its position (masks are ignored for touches).
    Show,
}

impl TouchPrivacy {
    /// The option's name on every platform (`mask_masked`, `hide_all`, `show`).
    pub fn as_str(self) -> &'static str {
        match self {
            TouchPrivacy::MaskMasked => "mask_masked",
            TouchPrivacy::HideAll => "hide_all",
            TouchPrivacy::Show => "show",
        }
    }

    /// Parses an option value; `None` for anything else (the caller reports the error).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::MaskMasked, Self::HideAll, Self::Show]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Where a touch is recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum TouchPosition {
    /// At its position (points).
    Exact { x: f32, y: f32 },
    /// It started inside a masked view: only that view's bounds (points) are recorded.
    MaskedView {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
    /// No position (`hide_all`, or the masks of the screen are not known).
    Hidden,
}

impl TouchPosition {
    /// The `touchPrivacy` value an event carries when its position was withheld.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            TouchPosition::Exact { .. } => None,
            TouchPosition::MaskedView { .. } => Some("masked"),
            TouchPosition::Hidden => Some("hidden"),
        }
    }
}

/// Decides where a touch at (`x`, `y`) is recorded under `mode`, given the masks of the
/// screen (`None`: not known). Inside several masks (one drawn outside its masked parent),
/// the largest one's bounds are kept: the outermost masked view says least about the point.
pub fn place_touch(mode: TouchPrivacy, x: f32, y: f32, masks: Option<&[Rect]>) -> TouchPosition {
    match mode {
        TouchPrivacy::Show => return TouchPosition::Exact { x, y },
        TouchPrivacy::HideAll => return TouchPosition::Hidden,
        TouchPrivacy::MaskMasked => {}
    }
    let Some(masks) = masks else {
        return TouchPosition::Hidden;
    };
    let inside = |r: &&Rect| x >= r.x && x <= r.x + r.width && y >= r.y && y <= r.y + r.height;
    let outer = masks
        .iter()
        .filter(inside)
        .max_by(|a, b| (a.width * a.height).total_cmp(&(b.width * b.height)));
    match outer {
        Some(r) => TouchPosition::MaskedView {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
        },
        None => TouchPosition::Exact { x, y },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAD: Rect = Rect::new(40.0, 400.0, 300.0, 200.0);
    const KEY: Rect = Rect::new(40.0, 400.0, 100.0, 50.0);

    #[test]
    fn a_touch_in_a_masked_view_keeps_only_the_outermost_bounds() {
        let masks = [KEY, PAD];
        let got = place_touch(TouchPrivacy::MaskMasked, 60.0, 410.0, Some(&masks));
        assert_eq!(
            got,
            TouchPosition::MaskedView {
                x: 40.0,
                y: 400.0,
                width: 300.0,
                height: 200.0
            }
        );
        // The edge is inside (the mask is painted there).
        let edge = place_touch(TouchPrivacy::MaskMasked, 340.0, 600.0, Some(&masks));
        assert_eq!(edge.label(), Some("masked"));
    }

    #[test]
    fn outside_the_masks_the_position_is_kept() {
        let got = place_touch(TouchPrivacy::MaskMasked, 20.0, 100.0, Some(&[PAD]));
        assert_eq!(got, TouchPosition::Exact { x: 20.0, y: 100.0 });
        assert_eq!(got.label(), None);
    }

    #[test]
    fn unknown_masks_hide_the_position() {
        let got = place_touch(TouchPrivacy::MaskMasked, 20.0, 100.0, None);
        assert_eq!(got, TouchPosition::Hidden);
    }

    #[test]
    fn hide_all_and_show_ignore_the_masks() {
        let masks = [PAD];
        for m in [None, Some(&masks[..])] {
            assert_eq!(
                place_touch(TouchPrivacy::HideAll, 20.0, 100.0, m),
                TouchPosition::Hidden
            );
            assert_eq!(
                place_touch(TouchPrivacy::Show, 60.0, 410.0, m),
                TouchPosition::Exact { x: 60.0, y: 410.0 }
            );
        }
    }

    #[test]
    fn option_names_round_trip() {
        for p in [
            TouchPrivacy::MaskMasked,
            TouchPrivacy::HideAll,
            TouchPrivacy::Show,
        ] {
            assert_eq!(TouchPrivacy::parse(p.as_str()), Some(p));
        }
        assert_eq!(TouchPrivacy::parse("hide"), None);
    }
}
