//! Frames handed over without UniFFI's copies: the pixels are borrowed for the call (a direct
//! `ByteBuffer` on the JVM) and copied once, into the buffer the core keeps.
//!
//! `submit_frame` takes the pixels as `Vec<u8>`: the binding copies the host's array into a
//! buffer Rust allocates, and Rust then lifts that buffer into a new `Vec` one byte at a time
//! (UniFFI serialises every sequence element by element): two copies, the second 20 to 80
//! times slower than a memcpy (`benches/RESULTS.md`, per-frame cost through the binding).

use super::types::{convert_nodes, spec};
use super::*;

#[uniffi::export]
impl Rejourney {
    /// Like `submit_frame`, borrowing the pixels for the duration of the call: on the JVM a
    /// direct `ByteBuffer` (its bytes from position to limit), which the host may reuse for
    /// the next frame as soon as this returns. The core copies them once.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_frame_buffer(
        &self,
        pixels: &[u8],
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
                pixels.to_vec(),
                spec(width, height, stride, format, scale),
                convert_nodes(tree.nodes),
                tree.strings.into(),
                timestamp_ms,
            )?)
        })
    }
}
