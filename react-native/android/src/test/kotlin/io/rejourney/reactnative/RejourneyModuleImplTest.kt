package io.rejourney.reactnative

import io.rejourney.Corpus
import io.rejourney.IngestProcess
import io.rejourney.Json
import io.rejourney.RejourneyOptions
import io.rejourney.Screen
import io.rejourney.sdk.CaptureLoop
import io.rejourney.sdk.CapturedFrame
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.TreeFlattener
import io.rejourney.tempDir
import io.rejourney.walk
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.rejourney_core.EventValue
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import java.io.File

/**
 * The React Native module's Kotlin implementation on the JVM, against the Kotlin SDK, the real
 * core and the local ingest server. The session test replays the native calls the JS layer
 * made in `react-native/test/session.test.ts` (`-Drejourney.rnTrace`), with the SDK's capture
 * loop showing the corpus screen JS navigated to; `verify_stored` then checks what the server
 * stored, frame by frame, for masks.
 */
class RejourneyModuleImplTest {
    @Test
    fun optionsFromJsKeepTheCoresDefaults() {
        val o = RejourneyModuleImpl.options(
            mapOf(
                "apiKey" to "pk", "apiUrl" to "http://127.0.0.1:9", "captureIntervalMs" to 500.0,
                "maskAllText" to true, "maskedClasses" to listOf("RCTParagraphComponentView", 3), "maskedTestIds" to listOf("card"),
                "sessionSampleRate" to 0.1, "onErrorSampleRate" to 1.0, "bufferWindowMs" to 15_000.0,
                "bufferMaxBytes" to 2_097_152.0, "bufferCaptureIntervalMs" to 2_000.0, "remoteConfig" to false,
                "remoteConfigHoldMs" to 500.0, "maskTextInputs" to false,
            ),
        )
        assertEquals(500L, o.captureIntervalMs)
        assertEquals(0.1, o.sessionSampleRate!!, 0.0)
        assertEquals(1.0, o.onErrorSampleRate!!, 0.0)
        assertEquals(15_000L, o.bufferWindowMs)
        assertEquals(2_097_152L, o.bufferMaxBytes)
        assertEquals(2_000L, o.bufferCaptureIntervalMs)
        assertEquals(false, o.remoteConfig)
        assertEquals(500L, o.remoteConfigHoldMs)
        assertEquals(false, o.maskTextInputs)
        assertNull("absent: the core's default", o.sampleRate)
        assertEquals(true, o.maskAllText)
        assertNull("absent: the core's default", o.jpegQuality)
        assertEquals(listOf("RCTParagraphComponentView"), o.maskedClasses)
        assertEquals(listOf("card"), o.maskedTestIds)
        try {
            RejourneyModuleImpl.options(mapOf("apiUrl" to "http://x"))
            fail("an apiKey is required")
        } catch (e: IllegalArgumentException) {
        }
        assertEquals(EventValue.Null, RejourneyModuleImpl.eventValue(Double.NaN))
        assertEquals(EventValue.Number(3.0), RejourneyModuleImpl.eventValue(3))
    }

    /**
     * Session events for JS through the module against the real core: heard only while JS
     * holds a subscription (React Native's addListener / removeListeners count), the start
     * with its replay URL (none while consent is pending), the end (an opt-out) repeating it.
     */
    @Test
    fun sessionEventsReachJsOnlyWhileItListens() {
        var core: Rejourney? = null
        var now = 1_000L
        val host = object : RejourneyModuleImpl.Host {
            override fun start(options: RejourneyOptions): String? = throw AssertionError("the module starts with its session listener")
            override fun start(options: RejourneyOptions, onSession: io.rejourney.sdk.SessionCallbacks): String? {
                core?.shutdown(0uL)
                val c = Rejourney(options.toFfi("rn-jvm-device", tempDir("rj-rn-events").path))
                c.setListener(onSession)
                core = c
                return c.start(now.toULong())
            }
            override fun core() = core
            override fun stop() { core?.stop(now.toULong()) }
            override fun nowMs() = now
        }
        val events = mutableListOf<Map<String, Any?>>()
        val impl = RejourneyModuleImpl(host) { events.add(it) }
        val api = "http://127.0.0.1:9"
        val opts = mapOf("apiKey" to "pk", "apiUrl" to api, "remoteConfig" to false, "anrThresholdMs" to 0.0)
        impl.start(opts)
        impl.stop()
        assertEquals("no JS listener: nothing sent", emptyList<Map<String, Any?>>(), events)
        impl.addListener("RejourneySession")
        now += 1_000
        val a = impl.start(opts)!!
        now += 1_000
        impl.optOut()
        val url = "$api/dashboard/sessions/$a"
        assertEquals(
            listOf(
                mapOf("type" to "started", "sessionId" to a, "replayUrl" to url, "reason" to null),
                mapOf("type" to "ended", "sessionId" to a, "replayUrl" to url, "reason" to "opt_out"),
            ),
            events,
        )
        events.clear()
        val b = impl.start(opts + ("initialConsent" to "pending"))!!
        assertEquals(listOf(mapOf("type" to "started", "sessionId" to b, "replayUrl" to null, "reason" to null)), events)
        impl.removeListeners(1.0)
        impl.removeListeners(5.0)
        impl.stop()
        impl.start(opts)
        assertEquals("unsubscribed: nothing more", 1, events.size)
        impl.addListener("RejourneySession")
        val c = impl.start(opts)!!
        assertEquals(c, events.last()["sessionId"])
        core?.shutdown(0uL)
    }

    /**
     * Frames for JS's observer through the module against the real core (issue 26): nothing is
     * encoded or sent before JS asks; then one event per stored frame whose JPEG (decoded by
     * ImageIO, not the core) is black inside each mask and not black outside them; at most
     * [FrameEvents.MAX_IN_FLIGHT] wait for JS, the rest counted; detached when JS removes it.
     */
    @Test
    fun observedFramesReachJsOnlyWhileItObserves() {
        var core: Rejourney? = null
        var now = 5_000L
        val encoded = java.util.concurrent.atomic.AtomicInteger()
        val host = object : RejourneyModuleImpl.Host {
            override fun start(options: RejourneyOptions): String? {
                core?.shutdown(0uL)
                val c = Rejourney(options.toFfi("rn-jvm-device", tempDir("rj-rn-frames").path))
                core = c
                return c.start(now.toULong())
            }
            override fun core() = core
            override fun stop() { core?.stop(now.toULong()) }
            override fun nowMs() = now
            override fun setFrameObserver(observer: ((uniffi.rejourney_core.ObservedFrame) -> Unit)?) =
                io.rejourney.sdk.FrameObservers.register(core, debuggable = true, observer)
        }
        val events = java.util.Collections.synchronizedList(mutableListOf<Map<String, Any?>>())
        val impl = RejourneyModuleImpl(
            host,
            emitFrame = { events.add(it) },
            base64 = { encoded.incrementAndGet(); java.util.Base64.getEncoder().encodeToString(it) },
        )
        // The corpus screens in turn (a repeated screen is skipped as unchanged).
        val screens = Corpus.ids().map { Corpus.load(it) }
        val walk = TreeFlattener(MaskRegistry())
        var index = 0
        val pending = ArrayDeque<() -> Unit>()
        var loop: CaptureLoop? = null
        fun submitOne() {
            val c = core!!
            if (loop == null) {
                loop = CaptureLoop(c, {
                    val s = screens[index++ % screens.size]
                    CapturedFrame(s.pixels, s.width, s.height, s.width * 4, PixelFormat.RGBA, s.scale, walk.walk(s))
                }, { _, tick -> pending.addLast(tick) }, clockMs = { now }, nanoTime = { 0L }).also { it.start() }
            } else {
                pending.removeFirstOrNull()?.invoke()
            }
            while (c.telemetry().let { it.framesCaptured + it.framesSkippedUnchanged + it.framesDropped < it.framesOffered }) Thread.sleep(2)
            now += 1_000
        }
        val opts = mapOf("apiKey" to "pk", "apiUrl" to "http://127.0.0.1:9", "remoteConfig" to false, "anrThresholdMs" to 0.0)
        impl.start(opts)
        submitOne()
        Thread.sleep(200)
        assertEquals("no JS observer: nothing sent", 0, events.size)
        assertEquals("no JS observer: nothing encoded", 0, encoded.get())
        assertTrue("a debuggable host registers it", impl.setFrameObserver(true))
        val storedBefore = core!!.telemetry().framesCaptured
        now += 1_000
        submitOne()
        val deadline = System.nanoTime() + 20_000_000_000L
        while (events.isEmpty() && System.nanoTime() < deadline) Thread.sleep(5)
        assertEquals(1, events.size)
        /** The masked pixels checked in [e] (each black); its unmasked pixels are not all black. */
        fun check(e: Map<String, Any?>): Int {
        val img = javax.imageio.ImageIO.read(java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(e["jpegBase64"] as String)))
        assertEquals((e["width"] as Double).toInt(), img.width)
        assertEquals((e["height"] as Double).toInt(), img.height)
        val ppp = e["pixelsPerPoint"] as Double
        @Suppress("UNCHECKED_CAST")
        val masks = (e["masks"] as List<Map<String, Double>>).map { m ->
            intArrayOf(((m["x"]!!) * ppp).toInt(), ((m["y"]!!) * ppp).toInt(), Math.ceil((m["x"]!! + m["width"]!!) * ppp).toInt(), Math.ceil((m["y"]!! + m["height"]!!) * ppp).toInt())
        }
        fun bright(x: Int, y: Int) = img.getRGB(x, y).let { maxOf((it shr 16) and 0xFF, (it shr 8) and 0xFF, it and 0xFF) }
        var maskedChecked = 0
        for ((x0, y0, x1, y1) in masks) for (y in y0 + 2 until minOf(y1, img.height) - 2) for (x in x0 + 2 until minOf(x1, img.width) - 2) {
            assertTrue("masked pixel ($x,$y) shows ${bright(x, y)}", bright(x, y) <= 40)
            maskedChecked++
        }
        val inMask = { x: Int, y: Int -> masks.any { (x0, y0, x1, y1) -> x >= x0 - 2 && x < x1 + 2 && y >= y0 - 2 && y < y1 + 2 } }
        var visible = 0
        for (y in 0 until img.height) for (x in 0 until img.width) if (!inMask(x, y) && bright(x, y) > 100) visible++
        assertTrue("the unmasked screen is not black ($visible bright pixels)", visible > img.width)
        return maskedChecked
        }
        check(events[0])
        // JS never acknowledges: at most MAX_IN_FLIGHT wait, the rest are dropped and counted.
        repeat(FrameEvents.MAX_IN_FLIGHT + 3) { submitOne() }
        // Every frame stored while JS observes is either sent or counted dropped, never both.
        val stored = (core!!.telemetry().framesCaptured - storedBefore).toLong()
        assertTrue("$stored frames stored", stored > FrameEvents.MAX_IN_FLIGHT)
        while (events.size + impl.framesDropped() < stored && System.nanoTime() < deadline) Thread.sleep(5)
        assertEquals(FrameEvents.MAX_IN_FLIGHT, events.size)
        assertEquals(stored - FrameEvents.MAX_IN_FLIGHT, impl.framesDropped())
        assertTrue("masked pixels checked", events.sumOf { check(it) } > 0)
        val encodedBefore = encoded.get()
        repeat(events.size) { impl.frameObserved() }
        impl.setFrameObserver(false)
        events.clear()
        submitOne()
        Thread.sleep(200)
        assertEquals("removed: nothing sent", 0, events.size)
        assertEquals("removed: nothing encoded", encodedBefore, encoded.get())
        core?.shutdown(0uL)
    }

    @Suppress("UNCHECKED_CAST")
    @Test
    fun aJsDrivenSessionLandsInTheIngestServerMasked() {
        val tracePath = System.getProperty("rejourney.rnTrace") ?: error("-Drejourney.rnTrace is not set")
        val calls = Json(File(tracePath).readText()).parse() as List<Map<String, Any?>>
        assertTrue("the JS session made calls", calls.size > 10)
        IngestProcess().use { server ->
            val startMs = 1_700_000_000_000L
            var now = startMs
            var screen: Screen? = null
            var core: Rejourney? = null
            var loop: CaptureLoop? = null
            var sessionId: String? = null
            val pending = ArrayDeque<() -> Unit>()
            val host = object : RejourneyModuleImpl.Host {
                override fun start(options: RejourneyOptions): String? {
                    // The trace was recorded before this server existed: point it here.
                    val c = Rejourney(options.copy(apiUrl = server.url).toFfi("rn-jvm-device", tempDir("rj-rn").path))
                    core = c
                    val id = c.start(now.toULong())
                    // The server's settings apply from the first tick (test only: an app never waits).
                    assertTrue("remote config answered", c.waitRemoteConfig(5_000uL))
                    assertEquals("fresh", c.telemetry().remoteConfigStatus)
                    // One walk for the session, as the Android adapter keeps: one string table.
                    val walk = TreeFlattener(MaskRegistry())
                    loop = CaptureLoop(c, {
                        screen?.let { s ->
                            server.submitted(id, now, s)
                            CapturedFrame(s.pixels, s.width, s.height, s.width * 4, PixelFormat.RGBA, s.scale, walk.walk(s))
                        }
                    }, { _, tick -> pending.addLast(tick) }, clockMs = { now }, nanoTime = { 0L }).also { it.start() }
                    return id
                }
                override fun core() = core
                override fun stop() {
                    loop?.stop()
                    core?.stop(now.toULong())
                }
                override fun nowMs() = now
            }
            val impl = RejourneyModuleImpl(host)
            var nextTick = startMs
            for (call in calls) {
                val at = startMs + (call["t"] as Double).toLong()
                // The capture timer fires once a simulated second up to this call.
                while (nextTick <= at && loop?.running == true) {
                    now = nextTick
                    pending.removeFirstOrNull()?.invoke()
                    nextTick += 1000
                }
                now = at
                val args = call["args"] as List<Any?>
                when (val name = call["call"]) {
                    "start" -> sessionId = impl.start(args[0] as Map<String, Any?>)
                    "stop" -> impl.stop()
                    "identify" -> impl.identify(args[0] as String?)
                    "logEvent" -> impl.logEvent(args[0] as String, args[1] as Map<String, Any?>)
                    "screenChanged" -> {
                        impl.screenChanged(args[0] as String)
                        screen = Corpus.load(args[0] as String)
                    }
                    "networkRequest" -> impl.networkRequest(args[0] as Map<String, Any?>)
                    "logMessage" -> impl.logMessage(args[0] as String, args[1] as String)
                    "reportError" -> assertTrue(impl.reportError(args[0] as String, args[1] as String, args[2] as String, args[3] as Boolean))
                    // A recorded session has no buffer to upload: recorded as an error event.
                    "captureError" -> assertFalse(impl.captureError(args[0] as String, args[1] as String, args[2] as String))
                    "flushBuffer" -> assertFalse(impl.flushBuffer(args[0] as String))
                    else -> fail("unknown call $name")
                }
            }
            val c = core ?: error("never started")
            val id = sessionId ?: error("no session id")
            assertTrue("everything delivered", c.flush(30_000uL))
            val t = c.telemetry()
            server.captured(id, startMs, t.framesCaptured)
            assertEquals(0L, loop!!.errors)
            assertTrue("frames captured: ${t.json}", t.framesCaptured >= 5uL)
            assertTrue("masked regions: ${t.json}", t.maskedRegions > 0uL)
            assertTrue("one fatal JS error, one crash fault: ${t.json}", t.json.contains("\"crashes\":1"))
            assertTrue("JS events recorded: ${t.json}", t.eventsRecorded >= 10uL)
            assertEquals("record", t.sessionMode)
            assertEquals("no buffer was flushed", 0uL, t.bufferTriggers)
            assertEquals(t.bundles.toInt(), server.bundles(id).size)
            assertTrue(server.sessionEnded(id))
            c.shutdown(1000uL)
        }
    }
}
