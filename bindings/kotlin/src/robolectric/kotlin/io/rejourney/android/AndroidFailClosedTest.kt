package io.rejourney.android

import android.os.SystemClock
import android.view.MotionEvent
import io.rejourney.IngestProcess
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
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
 * The adapter fails closed on the real framework: nothing it catches reaches the app, and a
 * frame whose pixels may not be what was walked is dropped and counted. The same
 * configuration as [AndroidCaptureTest], so the same sandbox (the native library loads once).
 *
 * Several tests drive one capture by hand ([CaptureLoop.tick] on the paused main looper, then
 * waiting for the capture thread without running the looper): no traversal of the app can run
 * between the walk and the copy's completion, so the outcome does not depend on timing.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidFailClosedTest {
    @After
    fun stopRecording() {
        Rejourney.stop()
        Recording.idle()
    }

    /** Starts recording and runs its first capture by hand; returns once it was delivered. */
    private fun startAndCaptureOnce(server: IngestProcess, activity: android.app.Activity): String {
        // No remote config: the first capture does not wait for the server's answer.
        val session = Rejourney.start(activity, Recording.options(server).copy(remoteConfig = false))
        assertNotNull("started: ${Rejourney.stats}", session)
        val loop = Rejourney.captureLoop()!!
        val deadline = System.nanoTime() + 10_000_000_000L
        // Ticks until the core asks for a frame (a tick while one is in flight is skipped).
        while (loop.captures + loop.droppedFrames + loop.errors == 0L && System.nanoTime() < deadline) {
            loop.tick()
            Thread.sleep(20)
        }
        assertTrue("the first capture was delivered: ${Rejourney.stats}", loop.captures + loop.droppedFrames + loop.errors > 0L)
        return session!!
    }

    @Test
    fun anInputMovedWhileItsWindowIsCopiedIsNeverStoredUnmasked() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(HookActivity::class.java).setup().get()
            Recording.idle()
            val startMs = System.currentTimeMillis()
            val drawnBefore = Rejourney.stats.drawnDuringCopyCount
            // The copy is a draw here (Robolectric's PixelCopy draws the window): the app moves
            // the input while it is drawn, after the walk saw it where it was.
            activity.hook.onDraw = { activity.input.translationX = 140f }
            val session = startAndCaptureOnce(server, activity)
            val loop = Rejourney.captureLoop()!!
            assertEquals("the input moved during the copy", 140f, activity.input.translationX, 0f)
            assertEquals("that frame was not stored: ${Rejourney.stats}", 0L, loop.captures)
            assertEquals("dropped and counted", drawnBefore + 1, Rejourney.stats.drawnDuringCopyCount)
            // Once the window drew the input where it is now, frames are recorded again, its
            // mask where it is drawn.
            Recording.untilCaptured(2)
            Recording.finish(server, session, startMs, listOf(Box.of(activity.input)), listOf(Box.of(activity.label)))
        }
    }

    @Test
    fun aViewChangedButNotYetDrawnAtWalkTimeDropsTheFrame() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(HookActivity::class.java).setup().get()
            Recording.idle()
            val startMs = System.currentTimeMillis()
            val before = Rejourney.stats.notSettledCount
            // Moved and not drawn yet (no traversal ran): on a device the copy would hold the
            // last draw, the input where it was, while the walk masks where it is now.
            activity.input.translationX = 140f
            val session = startAndCaptureOnce(server, activity)
            assertEquals("not stored: ${Rejourney.stats}", 0L, Rejourney.captureLoop()!!.captures)
            assertEquals("counted", before + 1, Rejourney.stats.notSettledCount)
            Recording.untilCaptured(1)
            Recording.finish(server, session, startMs, listOf(Box.of(activity.input)), listOf(Box.of(activity.label)))
        }
    }

    @Test
    fun anErrorThrownWhileAWindowIsCopiedIsCaughtCountedAndTheFrameDropped() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(HookActivity::class.java).setup().get()
            Recording.idle()
            val startMs = System.currentTimeMillis()
            val before = Rejourney.stats.caughtErrorCount
            // A native-backed view whose library is gone throws an Error when drawn (the copy
            // is a draw here, as below API 26).
            activity.hook.onDraw = { throw UnsatisfiedLinkError("libnative-view.so not found") }
            val session = startAndCaptureOnce(server, activity)
            val loop = Rejourney.captureLoop()!!
            assertEquals("not stored: ${Rejourney.stats}", 0L, loop.captures)
            assertEquals("caught and counted by the adapter", before + 1, Rejourney.stats.caughtErrorCount)
            assertEquals("the frame given up as a drop", 1L, loop.droppedFrames)
            Recording.untilCaptured(1)
            // Privacy only: Robolectric's views, their draw aborted by the Error, draw none of
            // the root's children afterwards (the app's own tree, before any capture reads it).
            Recording.finish(server, session, startMs, listOf(Box.of(activity.input)), emptyList())
        }
    }

    @Test
    fun anErrorFromTheCoreInATouchHookNeverReachesTheAppsTouchHandling() {
        val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
        Recording.idle()
        var touches = 0
        activity.label.setOnTouchListener { _, _ -> touches++; true }
        // The bindings' classes after their native library failed to load: every use throws.
        val hooked = TouchCallback.hook(activity.window, activity.resources.displayMetrics.density, Rejourney.stats) {
            throw NoClassDefFoundError("Could not initialize class uniffi.rejourney_core.UniffiLib")
        }
        assertTrue(hooked)
        val before = Rejourney.stats.caughtErrorCount
        val box = Box.of(activity.label)
        val d = activity.resources.displayMetrics.density
        val x = (box.x + box.w / 2) * d
        val y = (box.y + box.h / 2) * d
        val t = SystemClock.uptimeMillis()
        for (action in listOf(MotionEvent.ACTION_DOWN, MotionEvent.ACTION_UP)) {
            val event = MotionEvent.obtain(t, t + 10, action, x, y, 0)
            activity.window.callback.dispatchTouchEvent(event)
            event.recycle()
        }
        assertEquals("the app's view got both", 2, touches)
        assertEquals("both caught and counted", before + 2, Rejourney.stats.caughtErrorCount)
    }

    @Test
    fun startReportsANativeLibraryThatCannotLoadAndNeverThrows() {
        // A fresh copy of the adapter and bindings (child-first over the same classes, the
        // framework from the sandbox) told to load a library that does not exist: JNA throws
        // UnsatisfiedLinkError from the bindings' class initialiser, as on a device whose APK
        // lacks the ABI's .so.
        val result = NativeLoadFailure.run(Robolectric.buildActivity(FormActivity::class.java).setup().get())
        assertNull("no throw from start: ${result.thrown}", result.thrown)
        assertNull("no session", result.session)
        assertEquals("counted as a failed start", 1L, result.startFailures)
        assertTrue("the library really failed to load: ${result.loadError}", result.loadError?.contains("UnsatisfiedLinkError") == true || result.loadError?.contains("NoClassDefFoundError") == true)
        assertEquals("a second call after the failure is quiet too", 2L, result.startFailuresAfterRetry)
    }

    @Test
    fun unmaskingASurfaceViewLeavesItMaskedItsContentIsNotInTheCopy() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(MediaActivity::class.java).setup().get()
            Recording.idle()
            // The app lifts masking on the surfaces and on everything around them: a
            // SurfaceView's content is on a surface of its own that the window's copy never
            // holds (a hole or stale pixels), so it stays black.
            Rejourney.unmask(activity.surface)
            Rejourney.unmask(activity.video)
            Rejourney.unmask(activity.surface.parent as android.view.View)
            val startMs = System.currentTimeMillis()
            val session = Rejourney.start(activity, Recording.options(server))!!
            Recording.untilCaptured(2)
            Recording.finish(server, session, startMs, listOf(Box.of(activity.surface), Box.of(activity.video)), listOf(Box.of(activity.image)))
        }
    }
}
