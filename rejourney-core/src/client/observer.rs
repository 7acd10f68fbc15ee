//! The app's debug frame observer ([`crate::frame_observer`]), registered on the pipeline
//! whose encoder thread hands it each stored frame.

use super::*;

impl Client {
    /// Registers (or clears, with `None`) the frame observer. Frames submitted from now on
    /// keep a copy of their masks for it; nothing else of the recording changes.
    pub fn set_frame_observer(
        &self,
        sink: Option<Arc<dyn crate::frame_observer::FrameSink>>,
    ) -> std::io::Result<()> {
        self.pipeline.observer().set(sink)
    }
}
