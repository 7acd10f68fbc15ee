//! What the host hands us: a raw framebuffer and its geometry, plus rectangles in points.
//! Validation lives here so every later stage may assume a well-formed buffer.

use crate::error::FrameError;

/// Byte order of a 4-byte pixel. iOS `CGContext`/`CVPixelBuffer` give BGRA; Android `Bitmap`
/// (ARGB_8888 in memory) gives RGBA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum PixelFormat {
    Rgba,
    Bgra,
}

/// Geometry of a raw framebuffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row; may exceed `width × 4` (iOS pads rows for alignment).
    pub stride: usize,
    pub format: PixelFormat,
    /// Pixels per point of this buffer (3.0 for a native iPhone buffer, or the capture scale
    /// if the host already rendered small).
    pub scale: f32,
}

impl FrameSpec {
    /// A tightly packed buffer (stride = width × 4).
    pub fn packed(width: u32, height: u32, format: PixelFormat, scale: f32) -> Self {
        Self {
            width,
            height,
            stride: width as usize * 4,
            format,
            scale,
        }
    }

    /// Checks the geometry against the buffer length and limits.
    ///
    /// The last row need not be padded: a buffer of `stride × (height − 1) + width × 4` bytes
    /// is accepted, as is one of `stride × height`.
    pub fn validate(
        &self,
        buffer_len: usize,
        max_side: u32,
        max_bytes: usize,
    ) -> Result<(), FrameError> {
        if self.width == 0 || self.height == 0 || self.width > max_side || self.height > max_side {
            return Err(FrameError::Size {
                width: self.width,
                height: self.height,
                max: max_side,
            });
        }
        if !self.scale.is_finite() || self.scale <= 0.0 || self.scale > 10.0 {
            return Err(FrameError::Scale(self.scale));
        }
        let row = self.width as usize * 4;
        if self.stride < row {
            return Err(FrameError::Stride {
                stride: self.stride,
                min: row,
            });
        }
        let max = self
            .stride
            .checked_mul(self.height as usize)
            .ok_or(FrameError::TooLarge {
                bytes: usize::MAX,
                max: max_bytes,
            })?;
        if max > max_bytes {
            return Err(FrameError::TooLarge {
                bytes: max,
                max: max_bytes,
            });
        }
        let min = self.stride * (self.height as usize - 1) + row;
        if buffer_len < min || buffer_len > max {
            return Err(FrameError::BufferLength {
                actual: buffer_len,
                min,
                max,
            });
        }
        Ok(())
    }

    /// Size in points of this frame.
    pub fn size_points(&self) -> (f32, f32) {
        (
            self.width as f32 / self.scale,
            self.height as f32 / self.scale,
        )
    }
}

/// An axis-aligned rectangle in points (the unit of view frames on both platforms).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    pub const fn new(x: f32, y: f32, width: f32, height: f32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// Why this rectangle cannot be used as a mask, if it cannot.
    pub fn invalid_reason(&self) -> Option<&'static str> {
        if !(self.x.is_finite()
            && self.y.is_finite()
            && self.width.is_finite()
            && self.height.is_finite())
        {
            return Some("coordinates must be finite");
        }
        if self.width < 0.0 || self.height < 0.0 {
            return Some("width and height must not be negative");
        }
        None
    }
}
