package io.rejourney.android

import io.rejourney.IngestProcess
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowPixelCopy

/**
 * The Android adapter on the real framework (Robolectric, native graphics: real widgets drawn
 * into real pixels, PixelCopy included) with the real core (the host library through JNA) and
 * the local ingest server. Every stored frame is decoded by examples/verify_stored.rs
 * afterwards (scripts/test-android.sh): private regions black, other content visible.
 * All tests share one configuration, hence one sandbox: the native library loads once.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidCaptureTest {
    @After
    fun stopRecording() {
        Rejourney.stop()
        Recording.idle()
    }

    @Test
    fun aPasswordFormIsCapturedThroughPixelCopyAndStoredMasked() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            val startMs = System.currentTimeMillis()
            val session = Rejourney.start(activity, Recording.options(server))
            assertNotNull("started: ${Rejourney.stats}", session)
            Recording.untilCaptured(2)
            assertEquals(0L, Rejourney.captureLoop()!!.errors)
            Recording.finish(
                server, session!!, startMs,
                private = listOf(Box.of(activity.user), Box.of(activity.password)),
                visible = listOf(Box.of(activity.label)),
            )
        }
    }

    /** Records [activity] until [frames] frames are in, then checks its stored frames. */
    private fun record(
        server: IngestProcess, activity: android.app.Activity, frames: Long = 2,
        options: (io.rejourney.RejourneyOptions) -> io.rejourney.RejourneyOptions = { it },
        colored: List<Pair<Box, Int>> = emptyList(),
        regions: () -> Pair<List<Box>, List<Box>>,
    ) {
        val startMs = System.currentTimeMillis()
        val session = Rejourney.start(activity, options(Recording.options(server)))
        assertNotNull("started: ${Rejourney.stats}", session)
        Recording.untilCaptured(frames)
        val (private, visible) = regions()
        Recording.finish(server, session!!, startMs, private, visible, colored)
    }

    @Test
    fun anAppWithoutComposeRecordsItsViewsUnmasked() {
        // Compose is not on this classpath: no NoClassDefFoundError, and no view is masked
        // whole for it (the label stays visible in every stored frame).
        assertFalse(ComposeSupport.present)
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            record(server, activity) { listOf(Box.of(activity.password)) to listOf(Box.of(activity.label)) }
        }
    }

    @Test
    fun startFromABackgroundThreadPicksUpTheResumedActivityAndHooksItsTouches() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            val startMs = System.currentTimeMillis()
            var session: String? = null
            var thrown: Throwable? = null
            // The application context, from a thread of its own (React Native's module thread).
            val t = Thread {
                try {
                    session = Rejourney.start(activity.applicationContext, Recording.options(server))
                } catch (e: Throwable) {
                    thrown = e
                }
            }
            t.start()
            t.join()
            assertNull(thrown)
            assertNotNull("started: ${Rejourney.stats}", session)
            Recording.idle()
            assertTrue("touches hooked", activity.window.callback is TouchCallback)
            Recording.untilCaptured(2)
            Recording.finish(server, session!!, startMs, listOf(Box.of(activity.user), Box.of(activity.password)), listOf(Box.of(activity.label)))
        }
    }

    @Test
    fun aSecondStartReplacesTheCoreWithTheNewOptionsAndHooksOnce() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            val firstStart = System.currentTimeMillis()
            val first = Rejourney.start(activity, Recording.options(server))!!
            Recording.untilCaptured(1)
            val firstCore = Rejourney.client()!!
            val firstLoop = Rejourney.captureLoop()!!
            val secondStart = System.currentTimeMillis()
            // New options: every text masked now.
            val second = Rejourney.start(activity, Recording.options(server).copy(maskAllText = true))!!
            Recording.idle()
            assertTrue(first != second)
            assertTrue("the first core was replaced", Rejourney.client() !== firstCore)
            assertTrue("the first loop was replaced", Rejourney.captureLoop() !== firstLoop)
            assertFalse("the first loop stopped", firstLoop.running)
            val hook = activity.window.callback as TouchCallback
            assertFalse("hooked once", hook.inner is TouchCallback)
            Recording.untilCaptured(2)
            // The first session: its frames stored as recorded then (label visible). The first
            // core was shut down and handed its spool over: the new core delivers what it kept.
            assertTrue("the new core delivers the first session", Rejourney.client()!!.flush(30_000uL))
            val line = "{\"session\":\"$first\",\"start\":$firstStart,\"captured\":${firstCore.telemetry().framesCaptured}," +
                "\"screen_pt\":[${screenPt()}],\"private\":[${Box.of(activity.password).json()}],\"visible\":[${Box.of(activity.label).json()}]}"
            java.io.File(server.dataDir, "submitted.jsonl").appendText(line + "\n")
            // The second: the label is text, masked by the new options.
            Recording.finish(server, second, secondStart, listOf(Box.of(activity.password), Box.of(activity.label)), emptyList())
        }
    }

    private fun screenPt(): String {
        val m = android.content.res.Resources.getSystem().displayMetrics
        return "${m.widthPixels / m.density},${m.heightPixels / m.density}"
    }

    @Test
    fun aDialogsPasswordIsMaskedAboveTheActivity() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(BehindActivity::class.java).setup().get()
            val field = activity.showDialog()
            Recording.idle()
            record(server, activity) { listOf(Box.of(field)) to emptyList() }
        }
    }

    @Test
    fun aPopupWindowsInputIsMasked() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(BehindActivity::class.java).setup().get()
            val field = activity.showPopup()
            Recording.idle()
            record(server, activity) { listOf(Box.of(field)) to listOf(Box.of(activity.label)) }
        }
    }

    @Test
    fun aScaledCardsInputIsMaskedAtItsDrawnSize() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(CardActivity::class.java).setup().get()
            activity.card.scaleX = 1.5f
            activity.card.scaleY = 1.5f
            Recording.idle()
            record(server, activity, colored = listOf(Box.of(activity.swatch) to CardActivity.SWATCH)) { listOf(drawnBox(activity.card, activity.input, 1.5f, 0f)) to listOf(Box.of(activity.label)) }
        }
    }

    @Test
    fun aRotatedCardsInputIsMaskedWhereItIsDrawn() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(CardActivity::class.java).setup().get()
            activity.card.rotation = 30f
            Recording.idle()
            record(server, activity, colored = listOf(Box.of(activity.swatch) to CardActivity.SWATCH)) { listOf(drawnBox(activity.card, activity.input, 1f, 30f)) to listOf(Box.of(activity.label)) }
        }
    }

    @Test
    fun anOverflowingInputUnderClipChildrenFalseIsMaskedWhole() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(CardActivity::class.java).setup().get()
            (activity.card.parent as android.view.ViewGroup).clipChildren = false
            activity.card.clipChildren = false
            // Half of the input hangs below its card.
            activity.input.translationY = 60f
            Recording.idle()
            record(server, activity) { listOf(Box.of(activity.input)) to listOf(Box.of(activity.label)) }
        }
    }

    @Test
    fun rightToLeftLayoutIsMaskedWhereItIsLaidOut() {
        // The app declares android:supportsRtl (without it every layout stays left to right).
        val info = org.robolectric.RuntimeEnvironment.getApplication().applicationInfo
        val flags = info.flags
        info.flags = flags or android.content.pm.ApplicationInfo.FLAG_SUPPORTS_RTL
        try {
            rightToLeft()
        } finally {
            info.flags = flags
        }
    }

    private fun rightToLeft() {
        IngestProcess().use { server ->
            val controller = Robolectric.buildActivity(FormActivity::class.java).create()
            controller.get().window.decorView.layoutDirection = android.view.View.LAYOUT_DIRECTION_RTL
            val activity = controller.start().resume().visible().get()
            (activity.user.parent as android.view.View).layoutDirection = android.view.View.LAYOUT_DIRECTION_RTL
            activity.user.layoutParams = (activity.user.layoutParams as android.widget.LinearLayout.LayoutParams).apply { width = 150 }
            activity.user.requestLayout()
            Recording.idle()
            assertTrue("laid out from the right", Box.of(activity.user).x > 100f)
            record(server, activity) { listOf(Box.of(activity.user), Box.of(activity.password)) to listOf(Box.of(activity.label)) }
        }
    }

    @Test
    fun aScrolledScrollViewsPasswordIsMaskedWhereItScrolledTo() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(ScrolledActivity::class.java).setup().get()
            activity.scroll.scrollTo(0, activity.password.top - 100)
            Recording.idle()
            record(server, activity) { listOf(Box.of(activity.password)) to listOf(Box.of(activity.row)) }
        }
    }

    @Test
    fun aListViewUnderANumberPasswordIsRecorded() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(ListActivity::class.java).setup().get()
            Recording.idle()
            val firstRow = activity.list.getChildAt(0)
            assertNotNull("the list laid out rows", firstRow)
            record(server, activity) { listOf(Box.of(activity.pin)) to listOf(Box.of(firstRow)) }
        }
    }

    @Test
    fun aViewMovedByViewPropertyAnimatorCountsAsMoving() {
        // Frames at 16 ms as on a device (by default Robolectric runs an animation to its end
        // at once), so the animation is seen midway.
        org.robolectric.shadows.ShadowChoreographer.setPaused(true)
        org.robolectric.shadows.ShadowChoreographer.setFrameDelay(java.time.Duration.ofMillis(16))
        try {
            val activity = Robolectric.buildActivity(CardActivity::class.java).setup().get()
            val walk = WalkContext(activity.resources.displayMetrics.density)
            val main = org.robolectric.Shadows.shadowOf(android.os.Looper.getMainLooper())
            assertFalse(walk.isMoving(activity.input))
            activity.input.animate().translationX(100f).setDuration(1_000).start()
            assertTrue("pending", walk.isMoving(activity.input))
            var midway = 0
            repeat(100) {
                main.idleFor(java.time.Duration.ofMillis(16))
                val tx = activity.input.translationX
                if (tx > 0f && tx < 100f) {
                    midway++
                    assertTrue("moving at translationX $tx", walk.isMoving(activity.input))
                }
            }
            assertTrue("the animation was seen midway ($midway frames)", midway > 10)
            assertEquals(100f, activity.input.translationX, 0f)
            assertFalse("ended", walk.isMoving(activity.input))
        } finally {
            org.robolectric.shadows.ShadowChoreographer.reset()
        }
    }

    /**
     * Where [inner] (a child of [card]) is drawn when [card] is scaled by [scale] and rotated by
     * [degrees] about its centre: the box around its four transformed corners, in screen dp.
     */
    private fun drawnBox(card: android.view.View, inner: android.view.View, scale: Float, degrees: Float): Box {
        val parent = Box.of(card.parent as android.view.View)
        val d = card.resources.displayMetrics.density
        val px = card.width / 2.0
        val py = card.height / 2.0
        val r = Math.toRadians(degrees.toDouble())
        val xs = ArrayList<Double>()
        val ys = ArrayList<Double>()
        for ((cx, cy) in listOf(0 to 0, 1 to 0, 0 to 1, 1 to 1)) {
            val x = inner.left + cx * inner.width - px
            val y = inner.top + cy * inner.height - py
            xs.add(px + scale * (x * Math.cos(r) - y * Math.sin(r)) + card.left)
            ys.add(py + scale * (x * Math.sin(r) + y * Math.cos(r)) + card.top)
        }
        return Box(
            (parent.x + xs.min() / d).toFloat(), (parent.y + ys.min() / d).toFloat(),
            ((xs.max() - xs.min()) / d).toFloat(), ((ys.max() - ys.min()) / d).toFloat(),
        )
    }

    @Test
    fun surfacesTheWindowCopyCannotHoldAreBlackAndAHardwareBitmapIsCopied() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(MediaActivity::class.java).setup().get()
            Recording.idle()
            // Robolectric 4.17 cannot make a HARDWARE bitmap (copy(HARDWARE) returns an
            // ARGB_8888 one): where it can, the image must hold one.
            val drawable = activity.image.drawable as android.graphics.drawable.BitmapDrawable
            assertEquals(activity.hardware, drawable.bitmap.config == android.graphics.Bitmap.Config.HARDWARE)
            // A SurfaceView's (and so a VideoView's) content is on a surface of its own, never
            // in its window's copy: black whatever the options say of video. The hardware
            // bitmap is in the window's copy (PixelCopy reads what the GPU drew): its colour
            // shows, or the frame is dropped and counted (then untilCaptured fails).
            record(server, activity, colored = listOf(Box.of(activity.image) to MediaActivity.IMAGE)) {
                // Robolectric's WebView is a shadow that never lays out (0 x 0): nothing drawn,
                // nothing to check there.
                listOf(Box.of(activity.web), Box.of(activity.surface), Box.of(activity.video)).filter { it.w > 0f && it.h > 0f } to
                    listOf(Box.of(activity.image))
            }
            assertEquals("no frame given up for the hardware bitmap: ${Rejourney.stats}", 0L, Rejourney.stats.copyFailedCount + Rejourney.stats.outOfMemoryCount)
        }
    }

    @Test
    fun aTextureViewIsInTheWindowCopyAndMaskedAsVideoWhenAsked() {
        // A TextureView draws into its window (the copy holds it): the video option decides.
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(MediaActivity::class.java).setup().get()
            Recording.idle()
            assertTrue("laid out", activity.texture.width > 0)
            record(server, activity, options = { it.copy(maskVideo = true) }) {
                listOf(Box.of(activity.texture), Box.of(activity.surface), Box.of(activity.video)) to listOf(Box.of(activity.image))
            }
        }
    }

    @Test
    fun aBottomSheetAndAPopupAboveItAreCompositedInZOrderWithTheirWalks() {
        // Robolectric places windows at their x and y alone unless asked to honour their size
        // and gravity, as the window manager of a device does.
        System.setProperty("robolectric.windowManager.useRequestedSize", "true")
        try {
            bottomSheetAndPopup()
        } finally {
            System.clearProperty("robolectric.windowManager.useRequestedSize")
        }
    }

    private fun bottomSheetAndPopup() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(SheetActivity::class.java).setup().get()
            activity.showSheet()
            Recording.idle()
            activity.showPopup()
            Recording.idle()
            val sheetTop = Box.of(activity.sheet.window!!.decorView)
            assertTrue("anchored at the bottom: $sheetTop", sheetTop.y + sheetTop.h >= screenHeightDp() - 1f && sheetTop.y > 100f)
            assertEquals("three windows", 3, WindowRoots.visible()!!.size)
            record(
                server, activity,
                colored = listOf(Box.of(activity.sheetSwatch) to SheetActivity.SHEET_SWATCH, Box.of(activity.popupSwatch) to SheetActivity.POPUP_SWATCH),
            ) {
                listOf(Box.of(activity.sheetPassword), Box.of(activity.popupInput)) to listOf(Box.of(activity.label))
            }
        }
    }

    private fun screenHeightDp(): Float {
        val m = android.content.res.Resources.getSystem().displayMetrics
        return m.heightPixels / m.density
    }

    @Test
    fun theMainLooperBeatsTheAnrWatchdogWhateverCaptureDoes() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            // One capture a minute: a heartbeat from capture ticks alone would be 60 s apart.
            val options = Recording.options(server).copy(captureIntervalMs = 60_000, anrThresholdMs = 1_000)
            val session = Rejourney.start(activity, options)!!
            server.synthetic(session)
            val core = Rejourney.client()!!
            // Three real seconds of a main looper that runs: no hang.
            val calm = System.nanoTime() + 3_000_000_000L
            while (System.nanoTime() < calm) Recording.idle(50)
            assertEquals("no ANR while the main looper runs", 0uL, core.telemetry().anrs)
            // The control: the main thread stuck for twice the threshold is one.
            Thread.sleep(2_500)
            Recording.idle()
            val deadline = System.nanoTime() + 10_000_000_000L
            while (core.telemetry().anrs == 0uL && System.nanoTime() < deadline) Recording.idle()
            assertTrue("the stuck main thread is reported", core.telemetry().anrs >= 1uL)
        }
    }
}
