package io.rejourney

import io.rejourney.sdk.CaptureLoop
import io.rejourney.sdk.CaptureRequest
import io.rejourney.sdk.CapturedFrame
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.SessionCallbacks
import io.rejourney.sdk.TreeFlattener
import io.rejourney.sdk.ViewLike
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.rejourney_core.MaskTag
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import uniffi.rejourney_core.RejourneyException
import uniffi.rejourney_core.ViewNode
import uniffi.rejourney_core.panicGuardSelfTest
import io.rejourney.sdk.ErrorReport
import java.io.File
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

class RejourneyJvmTest {
    /**
     * A client of the ingest server at [url], or of no server at all. Against the ingest server
     * remote config is on (whatever the core's default) and the tests wait for its answer before
     * the first tick; without a server there is nothing to ask (the first capture would only be
     * held until the connection is refused), so it is off.
     */
    private fun client(url: String = NO_SERVER, configure: (RejourneyOptions) -> RejourneyOptions = { it }): Rejourney {
        val base = RejourneyOptions(apiKey = "pk_test", apiUrl = url, remoteConfig = url != NO_SERVER)
        return Rejourney(configure(base).toFfi("device-kt", tempDir("rj-kt-spool").path))
    }

    /**
     * Waits until every frame offered so far is encoded, captured or counted as dropped, so the
     * next tick of a fake clock is paced like a real capture rate (back to back, the encoder's
     * queue would fill and the core would rightly skip ticks).
     */
    private fun settle(core: Rejourney) {
        val deadline = System.nanoTime() + 10_000_000_000L
        while (System.nanoTime() < deadline) {
            val t = core.telemetry()
            if (t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped >= t.framesOffered) return
            Thread.sleep(2)
        }
    }

    private fun small(v: Int) = ByteArray(16 * 16 * 4) { v.toByte() }
    /** The window of a 16 × 16 px frame at 1.25 px/pt. */
    private val window16 = ViewNode(null, "Window", 0f, 0f, 12.8f, 12.8f, NodeKind.CONTAINER, MaskTag.NONE)

    @Test
    fun fullCorpusSessionThroughTheKotlinApiIntoTheIngestServer() {
        IngestProcess().use { server ->
            val core = client(server.url)
            val started = Collections.synchronizedList(mutableListOf<String>())
            core.setListener(SessionCallbacks(onStarted = { started.add(it) }))
            val startMs = 1_000_000L
            val sessionId = core.start(startMs.toULong())
            // The server's project settings apply from the first frame on.
            assertTrue("remote config answered", core.waitRemoteConfig(5_000uL))
            assertEquals("fresh", core.telemetry().remoteConfigStatus)
            val screens = Corpus.ids().map { Corpus.load(it) }
            var now = 1_000_000L
            var index = 0
            val pending = ArrayDeque<() -> Unit>()
            val loop = CaptureLoop(
                core,
                source = {
                    val s = screens[index++ % screens.size]
                    // What was submitted when, for verify_stored to match stored frames by time.
                    server.submitted(sessionId, now, s)
                    CapturedFrame(s.pixels, s.width, s.height, s.width * 4, PixelFormat.RGBA, s.scale, Corpus.nodes(s))
                },
                scheduler = { _, tick -> pending.addLast(tick) },
                clockMs = { now },
                // A fixed main-thread cost: a cold JIT on a loaded machine must not make the
                // core back off and skip ticks.
                nanoTime = { 0L },
            )
            loop.start()
            // Drive the timer with a fake clock: one tick per simulated second, paced like a real
            // capture rate.
            repeat(screens.size) {
                settle(core)
                pending.removeFirstOrNull()?.invoke()
                now += 1000
            }
            loop.stop()
            core.stop(now.toULong())
            assertTrue("everything delivered", core.flush(30_000uL))
            val t = core.telemetry()
            server.captured(sessionId, startMs, t.framesCaptured)
            assertEquals(0L, loop.errors)
            assertEquals(screens.size.toLong(), loop.captures)
            assertEquals("each submission captured or skipped as unchanged: ${t.json}",
                screens.size.toULong(), t.framesCaptured + t.framesSkippedUnchanged)
            assertEquals(sessionId, started.single())
            assertTrue("masked regions counted", t.maskedRegions > 0uL)
            val bundles = server.bundles(sessionId)
            assertTrue("server stored bundles", bundles.isNotEmpty())
            assertEquals(t.bundles.toInt(), bundles.size)
            assertTrue(server.sessionEnded(sessionId))
            core.shutdown(1000uL)
        }
    }

    @Test
    fun badInputIsAKotlinExceptionNeverACrash() {
        val core = client()
        core.start(1uL)
        fun expect(type: Class<out RejourneyException>, block: () -> Unit) {
            try {
                block()
                fail("expected ${type.simpleName}")
            } catch (e: RejourneyException) {
                assertTrue("${e::class.simpleName}: ${e.message}", type.isInstance(e))
            }
        }
        expect(RejourneyException.InvalidFrame::class.java) { core.submitFrame(ByteArray(10), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, emptyList()) }
        expect(RejourneyException.InvalidFrame::class.java) { core.submitFrame(ByteArray(0), 0u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, emptyList()) }
        expect(RejourneyException.InvalidFrame::class.java) { core.submitFrame(small(1), 16u, 16u, 8u, PixelFormat.RGBA, 1f, 2uL, emptyList()) }
        val root = ViewNode(null, "Window", 0f, 0f, 16f, 16f, NodeKind.CONTAINER, MaskTag.NONE)
        val nanNode = ViewNode(0u, "EditText", Float.NaN, 0f, 10f, 10f, NodeKind.TEXT_INPUT, MaskTag.NONE)
        expect(RejourneyException.InvalidMask::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, listOf(root, nanNode)) }
        // Privacy fails closed: an empty tree, or one whose root does not cover the frame at its
        // scale (a wrong scale: masks would land in the wrong place), is refused.
        expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, emptyList()) }
        expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 2f, 2uL, listOf(root)) }
        val orphan = ViewNode(7u, "View", 0f, 0f, 1f, 1f, NodeKind.CONTAINER, MaskTag.NONE)
        expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, listOf(orphan)) }
        expect(RejourneyException.InvalidArgument::class.java) { core.reportCaptureCost(Double.NaN) }
        expect(RejourneyException.InvalidUrl::class.java) { client("not a url") }
        expect(RejourneyException.InvalidConfig::class.java) { Rejourney(RejourneyOptions(apiKey = "").toFfi("d", tempDir("x").path)) }
        expect(RejourneyException.InvalidConfig::class.java) { client { it.copy(jpegQuality = 3f) } }
        expect(RejourneyException.Internal::class.java) { panicGuardSelfTest() }
        core.shutdown(0uL)
        expect(RejourneyException.Closed::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 3uL, emptyList()) }
        expect(RejourneyException.Closed::class.java) { core.start(4uL) }
    }

    @Test
    fun listenerHearsSessionStartAndEnd() {
        val core = client()
        val events = Collections.synchronizedList(mutableListOf<String>())
        core.setListener(SessionCallbacks({ events.add("start $it") }, { id, reason -> events.add("end $id $reason") }))
        val id = core.start(10uL)
        core.stop(20uL)
        assertEquals(listOf("start $id", "end $id stopped"), events)
        // A throwing callback stays on the app's side.
        core.setListener(SessionCallbacks(onStarted = { throw IllegalStateException("app bug") }))
        assertNotNull(core.start(30uL))
        core.shutdown(0uL)
    }

    @Test
    fun manyThreadsSubmittingAtOnce() {
        val core = client()
        core.start(1uL)
        val threads = 8
        val perThread = 25
        val pool = Executors.newFixedThreadPool(threads)
        val go = CountDownLatch(1)
        val failures = Collections.synchronizedList(mutableListOf<Throwable>())
        repeat(threads) { t ->
            pool.submit {
                go.await()
                repeat(perThread) { i ->
                    try {
                        core.submitFrame(small(t * 31 + i), 16u, 16u, 64u, PixelFormat.BGRA, 1.25f, (t * 1000 + i).toULong(), listOf(window16))
                        core.tick((t * 1000 + i).toULong())
                    } catch (e: Throwable) {
                        failures.add(e)
                    }
                }
            }
        }
        go.countDown()
        pool.shutdown()
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
        assertTrue(failures.toString(), failures.isEmpty())
        // Shutdown drains the encoder, so every frame is accounted for afterwards.
        core.shutdown(0uL)
        val t = core.telemetry()
        assertEquals((threads * perThread).toULong(), t.framesOffered)
        assertEquals("every frame captured, skipped as unchanged or counted as dropped",
            t.framesOffered, t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped)
        assertTrue(t.framesCaptured > 0uL)
    }

    @Test
    fun anEmptyTreeIsRefusedAndAnInvisibleRootCapturesNothing() {
        val core = client()
        core.start(0uL)
        try {
            core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1.25f, 1uL, emptyList())
            fail("an empty tree must be refused")
        } catch (e: RejourneyException.InvalidNodes) {
        }
        assertTrue(core.telemetry().json, core.telemetry().json.contains("\"tree_empty\":1"))
        // The capture loop walks an invisible root: no nodes, so no frame is submitted at all.
        val hidden = Node("Root", visible = false, children = listOf(Node("EditText", NodeKind.TEXT_INPUT)))
        assertTrue(TreeFlattener(MaskRegistry()).flatten(hidden, unlimitedWalk).nodes.isEmpty())
        val pending = ArrayDeque<() -> Unit>()
        val loop = CaptureLoop(core, {
            CapturedFrame(small(2), 16, 16, 64, PixelFormat.RGBA, 1.25f, TreeFlattener(MaskRegistry()).flatten(hidden, unlimitedWalk).nodes)
        }, { _, tick -> pending.addLast(tick) }, clockMs = { 5_000L })
        loop.start()
        pending.removeFirst().invoke()
        loop.stop()
        assertEquals(1L, loop.emptyWalks)
        assertEquals(0L, loop.captures)
        assertEquals(0L, loop.errors)
        assertEquals("nothing more was offered", 1uL, core.telemetry().framesOffered)
        core.shutdown(0uL)
    }

    private class Node(
        override val className: String,
        override val kind: NodeKind = NodeKind.CONTAINER,
        override val tag: String? = null,
        override val visible: Boolean = true,
        override val children: List<ViewLike> = emptyList(),
        override val width: Float = 10f,
        override val height: Float = 10f,
    ) : ViewLike {
        override val x = 0f
        override val y = 0f
        override var animating = false
    }

    @Test
    fun theWalkReportsAnimationsAndTheCoreSkipsFramesWhoseMasksMove() {
        val cursor = Node("Cursor", NodeKind.OTHER)
        val field = Node("EditText", NodeKind.TEXT_INPUT, children = listOf(cursor))
        val sheet = Node("Sheet", children = listOf(field))
        val spinner = Node("Spinner", NodeKind.IMAGE)
        val window = Node("Window", children = listOf(spinner, sheet), width = 12.8f, height = 12.8f)
        val flattener = TreeFlattener(MaskRegistry())
        sheet.animating = true
        // The walk reports each view's own animation and decides nothing.
        val walked = flattener.flatten(window, unlimitedWalk)
        assertEquals(listOf(false, false, true, false, false), walked.nodes.map { it.animating })
        assertFalse(walked.truncated)

        // The loop: while the sheet slides the core drops the frame (its mask would miss the
        // field); once settled it captures.
        val core = client()
        core.start(0uL)
        var now = 0L
        val pending = ArrayDeque<() -> Unit>()
        val loop = CaptureLoop(core, {
            val tree = flattener.flatten(window, it)
            CapturedFrame(small(3), 16, 16, 64, PixelFormat.RGBA, 1.25f, tree.nodes, tree.truncated)
        }, { _, tick -> pending.addLast(tick) }, clockMs = { now }, nanoTime = { 0L })
        loop.start()
        pending.removeFirst().invoke()
        assertEquals(0L, loop.errors)
        assertEquals("offered and dropped, by reason", 1uL, core.telemetry().framesDropped)
        assertTrue(core.telemetry().json, core.telemetry().json.contains("\"mask_moving\":1"))
        sheet.animating = false
        spinner.animating = true // an unmasked view moving: no mask to miss
        now = 1_000
        pending.removeFirst().invoke()
        assertEquals(2L, loop.captures)
        assertEquals(0L, loop.errors)
        assertEquals(2uL, core.telemetry().framesOffered)
        assertEquals(1uL, core.telemetry().framesDropped)
        loop.stop()
        core.shutdown(0uL)
    }

    @Test
    fun flattenerKeepsPreOrderParentsTagsAndBudget() {
        val registry = MaskRegistry()
        val secret = Node("com.app.CardView")
        registry.mask(secret)
        val tree = Node("Root", children = listOf(
            Node("A", tag = "rj-unmask", children = listOf(Node("A1", NodeKind.TEXT_INPUT))),
            Node("Hidden", visible = false, children = listOf(Node("H1"))),
            secret,
            Node("B", tag = "rj-mask"),
        ))
        val nodes = TreeFlattener(registry).flatten(tree, unlimitedWalk).nodes
        assertEquals(listOf("Root", "A", "A1", "com.app.CardView", "B"), nodes.map { it.className })
        assertEquals(listOf(null, 0u, 1u, 0u, 0u), nodes.map { it.parent })
        // Registrations are the platform's; tag strings go to the core as they are.
        assertEquals(listOf(MaskTag.NONE, MaskTag.NONE, MaskTag.NONE, MaskTag.MASK, MaskTag.NONE), nodes.map { it.tag })
        assertEquals(listOf(null, "rj-unmask", null, null, "rj-mask"), nodes.map { it.maskHint })
        val wide = Node("Root", children = List(50) { Node("C$it") })
        val limited = TreeFlattener(registry).flatten(wide, CaptureRequest(10, 60_000_000_000L))
        assertTrue(limited.truncated)
        assertEquals(10, limited.nodes.size)
        assertFalse(TreeFlattener(registry).flatten(wide, unlimitedWalk).truncated)
    }

    @Test
    fun theCoreHandsOutTheWalkBudgetAndScaleWithEachDecision() {
        val core = client { it.copy(maxNodesPerCapture = 321, walkBudgetMs = 3.0, captureScale = 2f) }
        core.start(0uL)
        val d = core.tick(0uL)
        assertTrue(d.capture)
        assertEquals(CaptureRequest(321, 3_000_000L, 2f), CaptureRequest.of(d))
        assertTrue("the core clamps the next tick", d.nextCheckMs in 16uL..60_000uL)
        core.shutdown(0uL)
        try {
            RejourneyOptions(apiKey = "k", anrThresholdMs = -1).toFfi("d", "/tmp")
            fail("a negative duration is refused before it reaches the core")
        } catch (e: IllegalArgumentException) {
        }
    }

    @Test
    fun captureLoopFollowsTheCoresDecisions() {
        val core = client()
        core.start(0uL)
        var now = 0L
        val delays = mutableListOf<Long>()
        val pending = ArrayDeque<() -> Unit>()
        var captured = 0
        val loop = CaptureLoop(core, { captured++; CapturedFrame(small(captured), 16, 16, 64, PixelFormat.RGBA, 1.25f, listOf(window16)) },
            { d, tick -> delays.add(d); pending.addLast(tick) }, clockMs = { now })
        loop.start()
        pending.removeFirst().invoke() // t=0: capture
        assertEquals(1, captured)
        now = 500
        pending.removeFirst().invoke() // not due
        assertEquals(1, captured)
        core.touchBegan()
        now = 1_000
        pending.removeFirst().invoke() // due, but a touch is in progress
        assertEquals(1, captured)
        core.touchEnded(1_000uL)
        now = 1_400
        pending.removeFirst().invoke()
        assertEquals(2, captured)
        assertEquals(listOf(0L, 1000L, 500L), delays.take(3))
        loop.stop()
        pending.removeFirst().invoke()
        assertTrue("a stopped loop schedules nothing", pending.isEmpty())
        core.shutdown(0uL)
    }

    @Test
    fun truncatedWalkIsSentAsAPartialFrameAndDropped() {
        IngestProcess().use { server ->
            val core = client(server.url) { it.copy(anrThresholdMs = 0) }
            val sessionId = core.start(1_000uL)
            assertTrue("remote config answered", core.waitRemoteConfig(5_000uL))
            val screen = Corpus.load(Corpus.ids().first())
            val tree = TreeFlattener(MaskRegistry()).flatten(screen.root, CaptureRequest(5, 60_000_000_000L))
            assertTrue(tree.truncated)
            var now = 1_000L
            val pending = ArrayDeque<() -> Unit>()
            val loop = CaptureLoop(core, {
                CapturedFrame(screen.pixels, screen.width, screen.height, screen.width * 4, PixelFormat.RGBA,
                    screen.scale, tree.nodes, tree.truncated)
            }, { _, tick -> pending.addLast(tick) }, clockMs = { now })
            loop.start()
            pending.removeFirst().invoke()
            assertEquals(1L, loop.partialFrames)
            assertEquals(0L, loop.captures)
            loop.stop()
            now += 1_000
            core.stop(now.toULong())
            assertTrue(core.flush(30_000uL))
            val t = core.telemetry()
            assertEquals(0uL, t.framesCaptured)
            assertEquals(1uL, t.framesDropped)
            assertTrue(t.json, t.json.contains("\"tree_truncated\":1"))
            assertTrue("no pixels stored for an unexamined screen", server.bundles(sessionId).isEmpty())
            core.shutdown(0uL)
        }
    }

    @Test
    fun flattenerStopsWhenItsTimeBudgetRunsOut() {
        var clock = 0L
        val wide = Node("Root", children = List(500) { Node("C$it") })
        // Every clock read advances 5 ms; the budget is 8 ms: the walk stops at its second check.
        val r = TreeFlattener(MaskRegistry(), nanoTime = { clock += 5_000_000; clock })
            .flatten(wide, CaptureRequest(10_000, 8_000_000))
        assertTrue(r.truncated)
        assertEquals(127, r.nodes.size)
        val ids = TreeFlattener(MaskRegistry()).flatten(wide, unlimitedWalk).nodes.map { it.viewId }
        assertTrue("every node carries a view id", ids.all { it != null })
    }

    /** A wrapper rebuilt on every walk, like the Android adapter's `AndroidView`. */
    private class Wrapper(private val target: Node) : ViewLike {
        override val identity: Any get() = target
        override val className get() = target.className
        override val x get() = target.x
        override val y get() = target.y
        override val width get() = target.width
        override val height get() = target.height
        override val kind get() = target.kind
        override val tag get() = target.tag
        override val visible get() = target.visible
        override val children: List<ViewLike> get() = target.children.map { Wrapper(it as Node) }
    }

    @Test
    fun registrationsAndIdsFollowTheViewBehindAWrapper() {
        val card = Node("Card")
        val root = Node("Root", children = listOf(card))
        val registry = MaskRegistry()
        registry.mask(card)
        val flattener = TreeFlattener(registry)
        val first = flattener.flatten(Wrapper(root), unlimitedWalk).nodes
        val second = flattener.flatten(Wrapper(root), unlimitedWalk).nodes
        assertEquals(listOf(MaskTag.NONE, MaskTag.MASK), first.map { it.tag })
        assertEquals("ids are stable across walks", first.map { it.viewId }, second.map { it.viewId })
    }

    @Test
    fun aThrowingCaptureIsCountedAndTheTimerSurvives() {
        val core = client()
        core.start(0uL)
        var now = 0L
        val pending = ArrayDeque<() -> Unit>()
        val loop = CaptureLoop(core, { throw IllegalStateException("view draw failed") },
            { _, tick -> pending.addLast(tick) }, clockMs = { now })
        loop.start()
        pending.removeFirst().invoke() // due at once: capture throws
        assertEquals(1L, loop.errors)
        assertEquals(1, pending.size)
        now = 1_000
        pending.removeFirst().invoke()
        assertEquals(2L, loop.errors)
        assertEquals("still scheduled", 1, pending.size)
        loop.stop()
        core.shutdown(0uL)
    }
    @Test
    fun aBufferedSessionUploadsNothingUntilAnErrorThenItsWindowAndTheRest() {
        IngestProcess().use { server ->
            // Never sampled in, always buffered: nothing may leave the device before an error.
            // No ANR watchdog: a slow machine must not trigger the buffer by itself.
            val core = client(server.url) { it.copy(sessionSampleRate = 0.0, onErrorSampleRate = 1.0, anrThresholdMs = 0) }
            val startMs = 1_700_000_000_000L
            var now = startMs
            val sessionId = core.start(now.toULong())
            assertTrue("remote config answered", core.waitRemoteConfig(5_000uL))
            val screens = listOf("login-000", "shop-000", "article-000", "settings-000", "dashboard-000", "chat-000").map { Corpus.load(it) }
            var index = 0
            val pending = ArrayDeque<() -> Unit>()
            val loop = CaptureLoop(
                core,
                source = {
                    val s = screens[index++ % screens.size]
                    server.submitted(sessionId, now, s)
                    CapturedFrame(s.pixels, s.width, s.height, s.width * 4, PixelFormat.RGBA, s.scale, Corpus.nodes(s))
                },
                scheduler = { _, tick -> pending.addLast(tick) },
                clockMs = { now },
                nanoTime = { 0L },
            )
            loop.start()
            fun tickSeconds(n: Int) = repeat(n) {
                settle(core)
                pending.removeFirstOrNull()?.invoke()
                now += 1000
            }
            tickSeconds(4)
            assertEquals(4L, loop.captures)
            assertEquals("buffer", core.telemetry().sessionMode)
            // Everything sealed, on disk and delivered that may be delivered: the frames wait in
            // the buffer and the server has seen nothing of this session.
            assertTrue(core.flush(30_000uL))
            val buffered = core.telemetry()
            assertTrue("bundles wait in the buffer: ${buffered.json}", buffered.bufferFiles > 0uL)
            assertEquals(0uL, buffered.bufferTriggers)
            assertTrue("no screenshots on the server", server.bundles(sessionId).isEmpty())
            assertFalse("nothing of the session on the server", File(server.dataDir, sessionId).exists())

            // A handled error: the buffer is uploaded and the session records from now on.
            val e = ErrorReport.of(IllegalStateException("cart is empty"))
            assertTrue("the buffer was flushed", core.captureError(now.toULong(), e.name, e.message, e.stack))
            assertEquals("record", core.telemetry().sessionMode)
            assertFalse("no longer buffering", core.flushBuffer("again"))
            tickSeconds(2)
            loop.stop()
            core.stop(now.toULong())
            assertTrue("everything delivered", core.flush(30_000uL))
            val t = core.telemetry()
            server.captured(sessionId, startMs, t.framesCaptured)
            assertEquals(0L, loop.errors)
            assertEquals(6L, loop.captures)
            assertEquals(1uL, t.bufferTriggers)
            assertEquals(0uL, t.bufferFiles)
            assertEquals("each submission captured: ${t.json}", 6uL, t.framesCaptured)
            val bundles = server.bundles(sessionId)
            assertEquals("the buffered bundles and the later ones stored: ${t.json}", t.bundles.toInt(), bundles.size)
            assertTrue(server.sessionEnded(sessionId))
            core.shutdown(1000uL)
        }
    }

    @Test
    fun newOptionsAndErrorReportsConvert() {
        val f = RejourneyOptions(
            apiKey = "k", sessionSampleRate = 0.2, onErrorSampleRate = 1.0, bufferWindowMs = 15_000,
            bufferMaxBytes = 1_048_576, bufferCaptureIntervalMs = 2_000, remoteConfig = false,
            remoteConfigHoldMs = 500, maskTextInputs = false,
        ).toFfi("d", "/tmp")
        assertEquals(0.2, f.sessionSampleRate!!, 0.0)
        assertEquals(1.0, f.onErrorSampleRate!!, 0.0)
        assertEquals(15_000uL, f.bufferWindowMs)
        assertEquals(1_048_576uL, f.bufferMaxBytes)
        assertEquals(2_000uL, f.bufferCaptureIntervalMs)
        assertEquals(false, f.remoteConfig)
        assertEquals(500uL, f.remoteConfigHoldMs)
        assertEquals(false, f.maskTextInputs)
        val unset = RejourneyOptions(apiKey = "k").toFfi("d", "/tmp")
        assertEquals(null, unset.sessionSampleRate)
        assertEquals("unset: the core's default", null, unset.remoteConfig)
        assertEquals(null, unset.onErrorSampleRate)
        for (bad in listOf<(RejourneyOptions) -> RejourneyOptions>(
            { it.copy(bufferWindowMs = -1) }, { it.copy(bufferMaxBytes = -1) },
            { it.copy(bufferCaptureIntervalMs = -1) }, { it.copy(remoteConfigHoldMs = -1) },
        )) {
            try {
                bad(RejourneyOptions(apiKey = "k")).toFfi("d", "/tmp")
                fail("a negative value is refused before it reaches the core")
            } catch (e: IllegalArgumentException) {
            }
        }
        val cause = IllegalArgumentException("bad sku")
        val r = ErrorReport.of(IllegalStateException("checkout failed", cause))
        assertEquals("java.lang.IllegalStateException", r.name)
        assertEquals("checkout failed", r.message)
        assertTrue(r.stack, r.stack.contains("newOptionsAndErrorReportsConvert") && r.stack.contains("Caused by: java.lang.IllegalArgumentException: bad sku"))
        assertEquals("", ErrorReport.of(RuntimeException()).message)
    }

    @Test
    fun captureErrorAndFlushBufferOnARecordedSessionAndBeforeStart() {
        val core = client()
        try {
            core.captureError(1uL, "E", "before start", "")
            fail("not started")
        } catch (e: RejourneyException.NotStarted) {
        }
        core.start(0uL)
        assertFalse("recorded: no buffer to flush", core.captureError(1uL, "E", "handled", "at A.kt:1"))
        assertFalse(core.flushBuffer("manual"))
        assertEquals("record", core.telemetry().sessionMode)
        assertEquals("remote config off", null, core.telemetry().remoteConfigStatus)
        assertEquals(0uL, core.telemetry().bufferTriggers)
        core.shutdown(0uL)
    }

    private companion object {
        const val NO_SERVER = "http://127.0.0.1:9"
    }
}
