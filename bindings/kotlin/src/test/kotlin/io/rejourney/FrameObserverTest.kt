package io.rejourney

import io.rejourney.sdk.CaptureLoop
import io.rejourney.sdk.CapturedFrame
import io.rejourney.sdk.FrameCallback
import io.rejourney.sdk.FrameObservers
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.TreeFlattener
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import uniffi.rejourney_core.ObservedFrame
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import java.io.ByteArrayInputStream
import java.util.Collections
import javax.imageio.ImageIO

/**
 * The debug frame observer through the Kotlin SDK: a corpus session through the SDK's own
 * capture loop, every stored frame observed, and each mask black in the observed JPEG
 * (decoded by the JVM's own ImageIO, not the core).
 */
class FrameObserverTest {
    /** The brightest channel inside [m] (points) inset by 2 px, or null when nothing is left. */
    private fun brightest(img: java.awt.image.BufferedImage, m: uniffi.rejourney_core.MaskRect, ppp: Float): Int? {
        val x0 = (m.x * ppp).toInt() + 2
        val y0 = (m.y * ppp).toInt() + 2
        val x1 = minOf(Math.ceil(((m.x + m.width) * ppp).toDouble()).toInt(), img.width) - 2
        val y1 = minOf(Math.ceil(((m.y + m.height) * ppp).toDouble()).toInt(), img.height) - 2
        if (x1 <= x0 || y1 <= y0) return null
        var max = 0
        for (y in y0 until y1) for (x in x0 until x1) {
            val c = img.getRGB(x, y)
            max = maxOf(max, (c shr 16) and 0xFF, (c shr 8) and 0xFF, c and 0xFF)
        }
        return max
    }

    @Test
    fun everyStoredFrameIsObservedWithItsMasksBlack() = IngestProcess().use { server ->
        val core = Rejourney(
            RejourneyOptions(apiKey = "pk_test", apiUrl = server.url, remoteConfig = false, anrThresholdMs = 0)
                .toFfi("device-kt", tempDir("rj-kt-observer").path),
        )
        val seen = Collections.synchronizedList(mutableListOf<ObservedFrame>())
        val testThread = Thread.currentThread()
        val onTestThread = java.util.concurrent.atomic.AtomicInteger()
        assertFalse("a release build registers nothing", FrameObservers.register(core, debuggable = false) { seen.add(it) })
        assertTrue(FrameObservers.register(core, debuggable = true) { if (Thread.currentThread() === testThread) onTestThread.incrementAndGet(); seen.add(it) })
        val startMs = 2_000_000L
        val sessionId = core.start(startMs.toULong())
        val screens = Corpus.ids().map { Corpus.load(it) }
        var now = startMs
        var index = 0
        val pending = ArrayDeque<() -> Unit>()
        val walk = TreeFlattener(MaskRegistry())
        val loop = CaptureLoop(
            core,
            source = {
                val s = screens[index++ % screens.size]
                server.submitted(sessionId, now, s)
                CapturedFrame(s.pixels, s.width, s.height, s.width * 4, PixelFormat.RGBA, s.scale, walk.walk(s))
            },
            scheduler = { _, tick -> pending.addLast(tick) },
            clockMs = { now },
            nanoTime = { 0L },
        )
        loop.start()
        repeat(screens.size) {
            while (true) {
                val t = core.telemetry()
                if (t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped >= t.framesOffered) break
                Thread.sleep(2)
            }
            pending.removeFirstOrNull()?.invoke()
            now += 1000
        }
        loop.stop()
        core.stop(now.toULong())
        assertTrue("everything delivered", core.flush(30_000uL))
        val t = core.telemetry()
        server.captured(sessionId, startMs, t.framesCaptured)
        val deadline = System.nanoTime() + 20_000_000_000L
        while (seen.size.toULong() < t.framesCaptured && System.nanoTime() < deadline) Thread.sleep(5)
        assertEquals("every captured frame observed once", t.framesCaptured, seen.size.toULong())
        assertEquals("never on the host's (submitting) thread", 0, onTestThread.get())
        var checked = 0
        for (f in seen) {
            assertEquals(sessionId, f.sessionId)
            val img = ImageIO.read(ByteArrayInputStream(f.jpeg))
            assertEquals(f.width.toInt(), img.width)
            assertEquals(f.height.toInt(), img.height)
            for (m in f.masks) {
                val max = brightest(img, m, f.pixelsPerPoint) ?: continue
                assertTrue("frame ${f.timestampMs}: mask $m shows $max", max <= 40)
                checked++
            }
        }
        assertTrue("$checked masks checked", checked >= 10)
        core.shutdown(0uL)
    }

    @Test
    fun aThrowingObserverStaysOnTheAppsSide() {
        val core = Rejourney(
            RejourneyOptions(apiKey = "pk_test", apiUrl = "http://127.0.0.1:9", remoteConfig = false, anrThresholdMs = 0)
                .toFfi("device-kt", tempDir("rj-kt-observer").path),
        )
        val calls = java.util.concurrent.atomic.AtomicInteger()
        core.setFrameObserver(FrameCallback { calls.incrementAndGet(); throw IllegalStateException("app bug") })
        core.start(1uL)
        val s = Corpus.load(Corpus.ids().first())
        val w = TreeFlattener(MaskRegistry()).walk(s)
        core.submitFrame(s.pixels, s.width.toUInt(), s.height.toUInt(), (s.width * 4).toUInt(),
            PixelFormat.RGBA, s.scale, 1uL, uniffi.rejourney_core.NodeTree(w.nodes, w.strings.update()))
        val deadline = System.nanoTime() + 20_000_000_000L
        while (calls.get() < 1 && System.nanoTime() < deadline) Thread.sleep(5)
        assertEquals(1, calls.get())
        assertTrue("the core carries on", core.telemetry().framesCaptured >= 1uL)
        core.setFrameObserver(null)
        core.shutdown(0uL)
    }
}
