//! Frames from the host: trust the tree, decide and paint the masks on the caller's thread,
//! hand over to the encoder and the hierarchy worker; and what the capture policy hears.

use super::*;

impl Client {
    /// Hands over a captured frame with the view tree it showed; the core decides the masks.
    /// `strings` is the shim's string-table update: applied first, whatever becomes of the
    /// frame, so that the shim's table and ours stay in step ([`crate::strings`]).
    ///
    /// Privacy fails closed: a frame whose tree cannot be trusted to describe its pixels
    /// (empty, over the node limit, a root that does not cover the frame at its scale, bad
    /// parent links, strings the table does not have) is dropped, counted by reason, and
    /// answered with [`ClientError::Nodes`] (or [`ClientError::Strings`] when the update
    /// itself does not fit the table).
    pub fn submit_frame(
        &self,
        pixels: Vec<u8>,
        spec: FrameSpec,
        nodes: &[ViewNode],
        strings: StringsUpdate,
        ts_ms: u64,
    ) -> Result<(), ClientError> {
        self.submit_frame_owned(pixels, spec, nodes.to_vec(), strings, ts_ms)
    }

    /// Like [`Client::submit_frame`], taking the node list: masks are decided and painted on
    /// this thread (nothing unmasked may leave it), the tree then moves to the hierarchy
    /// worker without a copy.
    pub fn submit_frame_owned(
        &self,
        pixels: Vec<u8>,
        spec: FrameSpec,
        nodes: Vec<ViewNode>,
        strings: StringsUpdate,
        ts_ms: u64,
    ) -> Result<(), ClientError> {
        let list = self.node_list(nodes, strings)?;
        let mut accepted = false;
        let masked = self.decide_masks(&list, Some((pixels.len(), &spec)), |masks| {
            accepted = self
                .pipeline
                .submit_frame_accepted(pixels, spec, masks, ts_ms)?;
            Ok(())
        })?;
        // A frame dropped because capture is stopped (sampled out, held for the remote
        // config, declined, opted out) takes its tree with it: no snapshot is presigned.
        if let Some(masked) = masked.filter(|_| accepted) {
            self.observe_hierarchy(list, masked, ts_ms, false);
        }
        Ok(())
    }

    /// Applies the shim's string update to the table and pairs the nodes with the snapshot
    /// they name. A refused update (the shim lost track of the table, or it is over its
    /// limits) refuses the frame: its nodes may name the wrong strings. Counted.
    fn node_list(
        &self,
        nodes: Vec<ViewNode>,
        update: StringsUpdate,
    ) -> Result<NodeList, ClientError> {
        self.check_open()?;
        let applied = lock(&self.masks).strings.apply(update);
        match applied {
            Ok(strings) => Ok(NodeList { nodes, strings }),
            Err(e) => {
                self.pipeline.count_drop(DropReason::InvalidTree);
                Err(e.into())
            }
        }
    }

    /// Decides the masks for `nodes` (recording only) and hands the rectangles to
    /// `use_masks`. With a frame (`buffer length, spec`), the frame's geometry is validated
    /// first and the tree must be trusted to describe it ([`check_tree`]); every refusal is
    /// counted. Returns the per-node masked flags when the hierarchy worker will want them
    /// (enabled, non-empty tree), so nothing is copied for it otherwise.
    fn decide_masks(
        &self,
        list: &NodeList,
        frame: Option<(usize, &FrameSpec)>,
        use_masks: impl FnOnce(&[Rect]) -> Result<(), ClientError>,
    ) -> Result<Option<Vec<bool>>, ClientError> {
        self.check_recording()?;
        let nodes = &list.nodes[..];
        let mut state = lock(&self.masks);
        let MaskState {
            opts,
            rects,
            masked,
            touch,
            ..
        } = &mut *state;
        if let Some((len, spec)) = frame {
            self.pipeline.check_frame(len, spec)?;
            if let Err(e) = check_tree(nodes, spec, opts.max_tree_nodes) {
                self.pipeline.count_drop(match e {
                    NodeError::Empty => DropReason::TreeEmpty,
                    NodeError::TooMany { .. } => DropReason::TreeTruncated,
                    _ => DropReason::TreeMismatch,
                });
                return Err(e.into());
            }
        }
        if let Err(e) = mask_decisions(nodes, &list.strings, opts, rects, masked) {
            if frame.is_some() {
                self.pipeline.count_drop(DropReason::InvalidTree);
            }
            return Err(e.into());
        }
        if frame.is_some() && moving_masked_node(nodes, masked).is_some() {
            // The pixels show where an animation drew the view, the frame where it will be:
            // its mask would miss. Not an error: the next tick tries again.
            self.pipeline.count_drop(DropReason::MaskMoving);
            return Ok(None);
        }
        if frame.is_some() {
            touch.remember(rects);
        }
        use_masks(rects)?;
        let wanted =
            self.hierarchy.enabled() && !nodes.is_empty() && nodes.len() <= opts.max_tree_nodes;
        Ok(wanted.then(|| masked.clone()))
    }

    /// Masks views of this class (exact, or the simple name of a qualified class) from the
    /// next frame on, like an `rj-mask` tag.
    pub fn mask_class(&self, class_name: &str) -> Result<(), ClientError> {
        self.add_mask_rule(class_name, |o| &mut o.masked_classes)
    }

    /// Masks views with this test id / accessibility identifier from the next frame on.
    pub fn mask_test_id(&self, test_id: &str) -> Result<(), ClientError> {
        self.add_mask_rule(test_id, |o| &mut o.masked_test_ids)
    }

    fn add_mask_rule(
        &self,
        value: &str,
        list: impl FnOnce(&mut MaskOptions) -> &mut Vec<String>,
    ) -> Result<(), ClientError> {
        self.check_open()?;
        if value.is_empty() {
            return Err(ClientError::InvalidArgument("an empty mask rule"));
        }
        let mut state = lock(&self.masks);
        let list = list(&mut state.opts);
        if !list.iter().any(|v| v == value) {
            if list.len() >= MAX_MASK_RULES {
                return Err(ClientError::InvalidArgument("too many mask rules"));
            }
            list.push(value.to_owned());
        }
        Ok(())
    }

    /// A frame whose view tree the shim could not walk completely (its node or time budget
    /// ran out). Privacy fails closed: parts of the screen were never examined, so the frame
    /// is dropped and counted (`tree_truncated`); the partial tree is still recorded as a
    /// hierarchy snapshot marked partial.
    pub fn submit_partial_frame(
        &self,
        nodes: Vec<ViewNode>,
        strings: StringsUpdate,
        ts_ms: u64,
    ) -> Result<(), ClientError> {
        let list = self.node_list(nodes, strings)?;
        self.check_recording()?;
        self.pipeline.count_drop(DropReason::TreeTruncated);
        let masked = self.decide_masks(&list, None, |_| Ok(()))?;
        // While capture is stopped no tree leaves either (as for a whole frame).
        if let Some(masked) = masked.filter(|_| !self.pipeline.is_capture_stopped()) {
            self.observe_hierarchy(list, masked, ts_ms, true);
        }
        Ok(())
    }

    fn observe_hierarchy(&self, nodes: NodeList, masked: Vec<bool>, ts_ms: u64, partial: bool) {
        let Some(session) = lock(&self.current).clone() else {
            return;
        };
        let screen_name = lock(&self.events).rec.screen();
        self.hierarchy.submit(TreeJob {
            nodes,
            masked,
            timestamp_ms: ts_ms,
            partial,
            screen_name,
            tag: session,
        });
    }

    /// Hands over a frame with explicit mask rectangles (points).
    pub fn submit_frame_with_masks(
        &self,
        pixels: Vec<u8>,
        spec: FrameSpec,
        masks: &[Rect],
        ts_ms: u64,
    ) -> Result<(), ClientError> {
        self.check_open()?;
        if !self.recording.load(Acquire) {
            return Err(ClientError::NotStarted);
        }
        Ok(self.pipeline.submit_frame(pixels, spec, masks, ts_ms)?)
    }

    pub fn report_capture_cost(&self, ms: f64) -> Result<(), ClientError> {
        Ok(self.pipeline.report_capture_cost(ms)?)
    }

    pub fn touch_began(&self) {
        self.pipeline.with_policy(|p| p.touch_began());
    }
    pub fn touch_ended(&self, now_ms: u64) {
        self.pipeline.with_policy(|p| p.touch_ended(now_ms));
    }
    pub fn scroll_began(&self) {
        self.pipeline.with_policy(|p| p.scroll_began());
    }
    pub fn scroll_ended(&self, now_ms: u64) {
        self.pipeline.with_policy(|p| p.scroll_ended(now_ms));
    }

    /// The app went to background: capture pauses and the open bundle is sealed so it can
    /// be delivered (the OS may kill us in background).
    pub fn app_backgrounded(&self, now_ms: u64) {
        if self.consent.denied() {
            return;
        }
        if let Some(p) = &self.pulse {
            p.set_paused(true);
        }
        lock(&self.events).rec.app_state(now_ms, "background");
        self.flush_events(now_ms, true);
        self.pipeline.with_policy(|p| p.set_background(true));
        lock(&self.sessions).backgrounded(now_ms);
        // Most sessions end here: the app is killed in background. Its end is this moment.
        self.save_session(now_ms);
        self.pipeline.flush();
    }

    /// The app is back: the session continues, or a new one starts after a long absence.
    pub fn app_foregrounded(&self, now_ms: u64) {
        if self.consent.denied() {
            return; // Nothing is recorded, not even the app's state.
        }
        let rotation = lock(&self.sessions).foregrounded(now_ms);
        if let Some(r) = rotation {
            self.rotate(r);
        }
        lock(&self.events).rec.app_state(now_ms, "active");
        self.save_session(now_ms);
        if let Some(p) = &self.pulse {
            p.set_paused(false);
        }
        self.pipeline.with_policy(|p| p.set_background(false));
    }
}
