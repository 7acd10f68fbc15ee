//! The FFI surface (UniFFI, proc-macro style). This is the only module with UniFFI
//! attributes: it converts foreign types to the core's and forwards to [`Client`]. Every call
//! runs inside a panic guard, so even a bug of ours reaches the host as a typed error, never
//! as a crash.
//!
//! [`error`] the error enum, [`types`] the records and enums, [`options`] the host's options
//! and their conversion, [`object`] the `Rejourney` object and its calls.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::client::{Client, ClientError, ClientOptions, SessionObserver};
use crate::error::{ConfigError, FrameError};
use crate::events::{NetworkRequest, PropValue};
use crate::frame::{FrameSpec, Rect};
use crate::masks::{MaskOptions, ViewNode as CoreViewNode};
use crate::pipeline::PipelineError;
use crate::policy::Action;
use crate::upload::{DeliveryConfig, DeliveryError};

mod consent;
mod error;
mod frames;
mod links;
mod object;
mod observer;
mod options;
mod types;
mod wrapper;

pub use consent::{consent_at_launch, consent_decision};
pub use error::RejourneyError;
pub use object::Rejourney;
pub use observer::{decode_jpeg, DecodedImage, FrameObserver, ObservedFrame};
pub use options::RejourneyOptions;
pub use types::*;
pub use wrapper::{pending_call_limit, WrapperDrop};

/// Runs `f`, turning a panic into [`RejourneyError::Internal`].
fn guard<T>(f: impl FnOnce() -> Result<T, RejourneyError>) -> Result<T, RejourneyError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(RejourneyError::Internal { detail: message })
        }
    }
}

/// Self-test of the last line of defence: panics inside the FFI guard and returns what the
/// host would receive. Bindings tests call it to prove no panic crosses the boundary.
#[uniffi::export]
pub fn panic_guard_self_test() -> Result<(), RejourneyError> {
    guard(|| panic!("deliberate panic inside the FFI guard"))
}

/// The gesture a finished touch sequence was (the rule every platform shares).
#[uniffi::export]
pub fn classify_touch(touch: TouchSummary) -> Gesture {
    crate::events::classify_touch(&touch)
}

/// Where a touch at (`x`, `y`) is recorded under `privacy`, given the screen's mask
/// rectangles (`masks_known` false: no frame of this screen was checked yet). The rule every
/// platform shares (`tests/conformance/touch_privacy.json`).
#[uniffi::export]
pub fn place_touch(
    privacy: TouchPrivacy,
    x: f32,
    y: f32,
    masks: Vec<MaskRect>,
    masks_known: bool,
) -> TouchPosition {
    let rects: Vec<Rect> = masks
        .iter()
        .map(|m| Rect::new(m.x, m.y, m.width, m.height))
        .collect();
    crate::events::place_touch(privacy, x, y, masks_known.then_some(&rects[..]))
}

/// The options the core would run with for `options` (defaults filled in), as JSON with
/// camelCase names; the error `Rejourney::new` would return for invalid ones.
#[uniffi::export]
pub fn effective_options(options: RejourneyOptions) -> Result<String, RejourneyError> {
    guard(|| options::effective_json(options))
}

/// What the core decides for a view tree under `options`' mask rules, without a frame:
/// which nodes are masked, the rectangles, and whether a masked node is moving. `strings` is
/// the whole string table the nodes name (index order).
#[uniffi::export]
pub fn evaluate_masks(
    nodes: Vec<ViewNode>,
    strings: Vec<String>,
    options: RejourneyOptions,
) -> Result<MaskEvaluation, RejourneyError> {
    guard(|| {
        let opts = options::mask_options(&options);
        let nodes = types::convert_nodes(nodes);
        let table = crate::strings::Strings::from_vec(strings);
        let (mut rects, mut masked) = (Vec::new(), Vec::new());
        crate::masks::mask_decisions(&nodes, &table, &opts, &mut rects, &mut masked).map_err(
            |e| RejourneyError::InvalidNodes {
                detail: e.to_string(),
            },
        )?;
        let moving_masked = crate::masks::moving_masked_node(&nodes, &masked).is_some();
        let rects = rects
            .iter()
            .map(|r| MaskRect {
                x: r.x,
                y: r.y,
                width: r.width,
                height: r.height,
            })
            .collect();
        Ok(MaskEvaluation {
            masked,
            rects,
            moving_masked,
        })
    })
}

/// What the device policy decides for `state` with the default thresholds and
/// `upload_only_on_unmetered` (the conformance vectors of `tests/conformance/device.json`).
#[uniffi::export]
pub fn evaluate_device_policy(
    state: crate::device_policy::DeviceState,
    upload_only_on_unmetered: bool,
) -> Result<crate::device_policy::DeviceDecision, RejourneyError> {
    guard(|| {
        state
            .validate()
            .map_err(|e| RejourneyError::InvalidConfig {
                detail: e.to_string(),
            })?;
        let cfg = crate::device_policy::DevicePolicyConfig {
            upload_only_on_unmetered,
            ..Default::default()
        };
        Ok(crate::device_policy::decide(&state, &cfg))
    })
}

/// The SDK version (`sdkVersion` on the wire).
#[uniffi::export]
pub fn sdk_version() -> String {
    crate::SDK_VERSION.to_owned()
}

#[cfg(test)]
mod tests;
