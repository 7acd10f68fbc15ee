//! The debug frame observer over the FFI ([`crate::frame_observer`]): the app's callback
//! receives each frame as stored, on the SDK's observer thread. This file only converts.

use super::*;
use crate::frame_observer::FrameSink;

/// A frame exactly as it is stored: the JPEG of the upload, the masks painted into it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ObservedFrame {
    pub session_id: String,
    pub timestamp_ms: u64,
    pub jpeg: Vec<u8>,
    /// The JPEG's size in pixels.
    pub width: u32,
    pub height: u32,
    /// JPEG pixels per point (mask rectangles are in points).
    pub pixels_per_point: f32,
    pub masks: Vec<MaskRect>,
}

/// Implemented by the app's debug build (its privacy tests). Called on the SDK's observer
/// thread, never the main thread; a slow observer misses frames (counted), never slows
/// recording. An exception it throws stays on its side.
#[uniffi::export(with_foreign)]
pub trait FrameObserver: Send + Sync {
    fn on_frame(&self, frame: ObservedFrame);
}

struct ObserverAdapter(Arc<dyn FrameObserver>);

impl FrameSink for ObserverAdapter {
    fn frame(&self, f: crate::frame_observer::ObservedFrame) {
        let frame = ObservedFrame {
            session_id: f.session_id.to_string(),
            timestamp_ms: f.timestamp_ms,
            jpeg: f.jpeg,
            width: f.width,
            height: f.height,
            pixels_per_point: f.pixels_per_point,
            masks: f
                .masks
                .iter()
                .map(|r| MaskRect {
                    x: r.x,
                    y: r.y,
                    width: r.width,
                    height: r.height,
                })
                .collect(),
        };
        let o = self.0.clone();
        let _ = catch_unwind(AssertUnwindSafe(move || o.on_frame(frame)));
    }
}

/// An image decoded to RGBA (for privacy tests on platforms without a JPEG decoder).
#[derive(Debug, Clone, uniffi::Record)]
pub struct DecodedImage {
    pub width: u32,
    pub height: u32,
    /// Row-major RGBA, `width * 4` bytes a row.
    pub rgba: Vec<u8>,
}

#[uniffi::export]
impl Rejourney {
    /// Registers (or clears, with `None`) the debug frame observer. The wrappers call it only
    /// in debug builds: the core cannot tell how the app was built.
    pub fn set_frame_observer(
        &self,
        observer: Option<Arc<dyn FrameObserver>>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let sink = observer.map(|o| Arc::new(ObserverAdapter(o)) as Arc<dyn FrameSink>);
            self.client
                .set_frame_observer(sink)
                .map_err(|e| RejourneyError::Internal {
                    detail: format!("could not start the observer thread: {e}"),
                })
        })
    }
}

/// Decodes a JPEG (an observed frame's) to RGBA; refuses anything over 8192 px a side.
#[uniffi::export]
pub fn decode_jpeg(jpeg: Vec<u8>) -> Result<DecodedImage, RejourneyError> {
    guard(|| {
        let (width, height, rgba) =
            crate::decode::decode_rgba(&jpeg).map_err(|e| RejourneyError::InvalidArgument {
                detail: e.to_string(),
            })?;
        Ok(DecodedImage {
            width,
            height,
            rgba,
        })
    })
}
