package io.rejourney

import io.rejourney.sdk.CaptureLoop
import io.rejourney.sdk.CaptureRequest
import io.rejourney.sdk.CapturedFrame
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.NodeStringTable
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
import uniffi.rejourney_core.NodeStrings
import uniffi.rejourney_core.NodeTree
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import uniffi.rejourney_core.RejourneyException
import uniffi.rejourney_core.ViewNode
import uniffi.rejourney_core.panicGuardSelfTest
import io.rejourney.sdk.ErrorReport
import io.rejourney.sdk.FrameSource
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
    /** The window of a 16 × 16 px frame at 1.25 px/pt, as a platform view. */
    private fun window16(vararg children: ViewLike) = Node("Window", children = children.toList(), width = 12.8f, height = 12.8f)

    /**
     * A string table for calls straight to the core, outside a capture loop: each [send]
     * carries what the core does not have yet and counts it as received.
     */
    private class RawStrings {
        val table = NodeStringTable()
        fun send(): NodeStrings = table.update().also { table.committed(it) }
    }

    /** An update of [table] that holds [prior] (their digest proves it), adding [added]. */
    private fun extending(table: ULong, prior: List<String>, added: List<String>) =
        NodeStrings(table, prior.size.toUInt(), prior.fold(NodeStringTable.DIGEST_SEED, NodeStringTable::digest), added)

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
            val walk = TreeFlattener(MaskRegistry())
            val loop = CaptureLoop(
                core,
                source = {
                    val s = screens[index++ % screens.size]
                    // What was submitted when, for verify_stored to match stored frames by time.
                    server.submitted(sessionId, now, s)
                    CapturedFrame(s.pixels, s.width, s.height, s.width * 4, PixelFormat.RGBA, s.scale, walk.walk(s))
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
        // Each call carries the strings the core does not have yet. The core applies them before
        // it looks at the frame, so every refused frame below leaves the table in step.
        val strings = RawStrings()
        val window = strings.table.intern("Window")
        val editText = strings.table.intern("EditText")
        val view = strings.table.intern("View")
        expect(RejourneyException.InvalidFrame::class.java) { core.submitFrame(ByteArray(10), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(emptyList(), strings.send())) }
        expect(RejourneyException.InvalidFrame::class.java) { core.submitFrame(ByteArray(0), 0u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(emptyList(), strings.send())) }
        expect(RejourneyException.InvalidFrame::class.java) { core.submitFrame(small(1), 16u, 16u, 8u, PixelFormat.RGBA, 1f, 2uL, NodeTree(emptyList(), strings.send())) }
        val root = ViewNode(null, window, 0f, 0f, 16f, 16f, NodeKind.CONTAINER, MaskTag.NONE)
        val nanNode = ViewNode(0u, editText, Float.NaN, 0f, 10f, 10f, NodeKind.TEXT_INPUT, MaskTag.NONE)
        expect(RejourneyException.InvalidMask::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(listOf(root, nanNode), strings.send())) }
        // Privacy fails closed: an empty tree, or one whose root does not cover the frame at its
        // scale (a wrong scale: masks would land in the wrong place), is refused.
        expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(emptyList(), strings.send())) }
        expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 2f, 2uL, NodeTree(listOf(root), strings.send())) }
        val orphan = ViewNode(7u, view, 0f, 0f, 1f, 1f, NodeKind.CONTAINER, MaskTag.NONE)
        expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(listOf(orphan), strings.send())) }
        // So does a node naming a string the table does not have (class, test id or tag): its
        // masks could not be trusted.
        for (unknown in listOf(root.copy(classIndex = 3u), root.copy(testIdIndex = 3u), root.copy(maskHintIndex = 40u))) {
            expect(RejourneyException.InvalidNodes::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(listOf(unknown), strings.send())) }
        }
        // An update that does not continue the core's table is refused, and the table stays as
        // it was: another string where the core holds "Window", a gap, a digest that is not the
        // table's (the same id, other strings), a new table not starting at 0, a table over the
        // core's limit of 16 384 strings.
        val id = strings.table.table
        val seed = NodeStringTable.DIGEST_SEED
        for (bad in listOf(
            NodeStrings(id, 0u, seed, listOf("Intruder")), NodeStrings(id, 9u, seed, emptyList()),
            extending(id, listOf("Window", "rj-unmask", "View"), emptyList()),
            NodeStrings(id + 1u, 1u, seed, listOf("X")), NodeStrings(id + 1u, 0u, seed, List(16_385) { "s$it" }),
        )) {
            expect(RejourneyException.StringTable::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(listOf(root), bad)) }
            expect(RejourneyException.StringTable::class.java) { core.submitPartialFrame(2uL, NodeTree(listOf(root), bad)) }
        }
        // A resend of what the core has (an answer the table did not trust) is accepted.
        core.submitPartialFrame(2uL, NodeTree(listOf(root), NodeStrings(id, 0u, seed, listOf("Window", "EditText", "View"))))
        // Still in step: the table continues, and a good frame is taken.
        assertEquals(3u, strings.table.intern("Label"))
        core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 2uL, NodeTree(listOf(root), strings.send()))
        expect(RejourneyException.InvalidArgument::class.java) { core.reportCaptureCost(Double.NaN) }
        expect(RejourneyException.InvalidUrl::class.java) { client("not a url") }
        expect(RejourneyException.InvalidConfig::class.java) { Rejourney(RejourneyOptions(apiKey = "").toFfi("d", tempDir("x").path)) }
        expect(RejourneyException.InvalidConfig::class.java) { client { it.copy(jpegQuality = 3f) } }
        expect(RejourneyException.Internal::class.java) { panicGuardSelfTest() }
        core.shutdown(0uL)
        expect(RejourneyException.Closed::class.java) { core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1f, 3uL, NodeTree(emptyList(), strings.send())) }
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
        // One table for every thread: sent once here, named by index from then on.
        val strings = RawStrings()
        val window = ViewNode(null, strings.table.intern("Window"), 0f, 0f, 12.8f, 12.8f, NodeKind.CONTAINER, MaskTag.NONE)
        core.submitFrame(small(255), 16u, 16u, 64u, PixelFormat.BGRA, 1.25f, 0uL, NodeTree(listOf(window), strings.send()))
        val steady = strings.send()
        assertTrue("nothing more to send", steady.added.isEmpty())
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
                        core.submitFrame(small(t * 31 + i), 16u, 16u, 64u, PixelFormat.BGRA, 1.25f, (t * 1000 + i).toULong(), NodeTree(listOf(window), steady))
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
        assertEquals((threads * perThread + 1).toULong(), t.framesOffered)
        assertEquals("every frame captured, skipped as unchanged or counted as dropped",
            t.framesOffered, t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped)
        assertTrue(t.framesCaptured > 0uL)
    }

    @Test
    fun anEmptyTreeIsRefusedAndAnInvisibleRootCapturesNothing() {
        val core = client()
        core.start(0uL)
        try {
            core.submitFrame(small(1), 16u, 16u, 64u, PixelFormat.RGBA, 1.25f, 1uL, NodeTree(emptyList(), RawStrings().send()))
            fail("an empty tree must be refused")
        } catch (e: RejourneyException.InvalidNodes) {
        }
        assertTrue(core.telemetry().json, core.telemetry().json.contains("\"tree_empty\":1"))
        // The capture loop walks an invisible root: no nodes, so no frame is submitted at all.
        val hidden = Node("Root", visible = false, children = listOf(Node("EditText", NodeKind.TEXT_INPUT)))
        assertTrue(TreeFlattener(MaskRegistry()).flatten(hidden, unlimitedWalk).nodes.isEmpty())
        val pending = ArrayDeque<() -> Unit>()
        val walk = TreeFlattener(MaskRegistry())
        val loop = CaptureLoop(core, {
            CapturedFrame(small(2), 16, 16, 64, PixelFormat.RGBA, 1.25f, walk.flatten(hidden, unlimitedWalk))
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
        override val testId: String? = null,
        override var x: Float = 0f,
    ) : ViewLike {
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
            CapturedFrame(small(3), 16, 16, 64, PixelFormat.RGBA, 1.25f, flattener.flatten(window, it))
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
        val walked = TreeFlattener(registry).flatten(tree, unlimitedWalk)
        val nodes = walked.nodes
        // Strings by index into the walk's table, each once, in the order first seen.
        val table = walked.strings.update().added
        assertEquals(listOf("Root", "A", "rj-unmask", "A1", "com.app.CardView", "B", "rj-mask"), table)
        assertEquals(listOf("Root", "A", "A1", "com.app.CardView", "B"), nodes.map { table[it.classIndex.toInt()] })
        assertEquals(listOf(null, 0u, 1u, 0u, 0u), nodes.map { it.parent })
        // Registrations are the platform's; tag strings go to the core as they are.
        assertEquals(listOf(MaskTag.NONE, MaskTag.NONE, MaskTag.NONE, MaskTag.MASK, MaskTag.NONE), nodes.map { it.tag })
        assertEquals(listOf(null, "rj-unmask", null, null, "rj-mask"), nodes.map { n -> n.maskHintIndex?.let { table[it.toInt()] } })
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
        // The string table starts over at half the core's limits (16 384 strings, 2 MiB).
        assertEquals(CaptureRequest(321, 3_000_000L, 2f, 8_192, 1L shl 20), CaptureRequest.of(d))
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
        val walk = TreeFlattener(MaskRegistry())
        val window = window16()
        val loop = CaptureLoop(core, { captured++; CapturedFrame(small(captured), 16, 16, 64, PixelFormat.RGBA, 1.25f, walk.flatten(window, it)) },
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
                    screen.scale, tree)
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
    fun theStringTableSendsEachStringOnceAndKeepsWhatTheCoreHasNotReceived() {
        var ids = 0uL
        val t = NodeStringTable { ++ids }
        assertEquals(0u, t.intern("A"))
        assertEquals(1u, t.intern("B"))
        assertEquals(0u, t.intern("A"))
        val first = t.update()
        assertEquals(extending(1uL, emptyList(), listOf("A", "B")), first)
        assertEquals("taken after the update", 2u, t.intern("C"))
        t.committed(first)
        assertEquals("what came after stays pending, with the digest of what the core has", extending(1uL, listOf("A", "B"), listOf("C")), t.update())
        t.committed(first)
        assertEquals("committing twice changes nothing", extending(1uL, listOf("A", "B"), listOf("C")), t.update())
        t.reset()
        t.committed(extending(1uL, listOf("A", "B"), listOf("C")))
        assertEquals("an update of the old table changes nothing", extending(2uL, emptyList(), emptyList()), t.update())
        assertEquals(0u, t.intern("C"))
        // Full at the size the core says: strings, or bytes as the core counts them (UTF-8).
        val (strings, bytes) = 8_192 to (1L shl 20)
        repeat(strings - 2) { t.intern("s$it") }
        assertFalse(t.resetIfFull(strings, bytes))
        t.intern("one more")
        assertTrue(t.resetIfFull(strings, bytes))
        assertEquals(0, t.size)
        t.intern("é".repeat(1 shl 18)) // 2 bytes each: 512 KiB
        assertFalse(t.resetIfFull(strings, bytes))
        t.intern("😀".repeat(1 shl 17)) // a surrogate pair, 4 bytes each: 512 KiB more
        assertTrue(t.resetIfFull(strings, bytes))
        // A new table always has a new id, whatever the generator says.
        val same = NodeStringTable { 7uL }
        same.reset()
        assertEquals(8uL, same.table)
    }

    @Test
    fun theDigestIsTheCoresAndALoneSurrogateTravelsAsTheReplacementCharacter() {
        // The vector of `strings::tests::the_digest_is_the_documented_chain` in the core.
        val chain = listOf("Window", "é", "😀").fold(NodeStringTable.DIGEST_SEED, NodeStringTable::digest)
        assertEquals(0xc6403ee8a5dcce4buL, chain)
        val t = NodeStringTable()
        assertEquals(0u, t.intern("a\uD800b"))
        assertEquals(listOf("a\uFFFDb"), t.update().added)
        // Accepted by the binding and the core (a lone surrogate made the whole submit throw).
        val core = client()
        core.start(1uL)
        val root = ViewNode(null, 0u, 0f, 0f, 12.8f, 12.8f, NodeKind.CONTAINER, MaskTag.NONE)
        val sent = t.update()
        core.submitPartialFrame(2uL, NodeTree(listOf(root), sent))
        t.committed(sent)
        assertEquals(0u, t.intern("a\uD800b"))
        assertEquals(NodeStringTable.digest(NodeStringTable.DIGEST_SEED, "a\uFFFDb"), t.update().digest)
        core.submitPartialFrame(3uL, NodeTree(listOf(root), t.update()))
        core.shutdown(0uL)
    }

    /**
     * The case through two wrapper tables on one core: B's reset lands on A's id and
     * sends its own strings from 0; A, which believes the core holds its "Label" at index 1,
     * then appends. Checked by `(table, base)` alone the core took it, and A's input, tagged
     * by index 1, read B's `rj-unmask`. The digest tells the tables apart: refused.
     */
    @Test
    fun aSecondTableOnTheSameIdCannotLendItsStrings() {
        val core = client()
        core.start(1uL)
        val ids = ArrayDeque(listOf(8uL, 7uL))
        val a = NodeStringTable { 7uL }
        val b = NodeStringTable { ids.removeFirst() }
        fun submit(t: NodeStringTable, nodes: List<ViewNode>) {
            val sent = t.update()
            core.submitPartialFrame(2uL, NodeTree(nodes, sent))
            t.committed(sent)
        }
        fun root(t: NodeStringTable) = ViewNode(null, t.intern("Window"), 0f, 0f, 12.8f, 12.8f, NodeKind.CONTAINER, MaskTag.NONE)
        val aRoot = root(a)
        val label = a.intern("Label")
        submit(a, listOf(aRoot))
        val bRoot = root(b)
        b.intern("rj-unmask")
        submit(b, listOf(bRoot))
        b.reset()
        assertEquals(a.table, b.table)
        val bRoot2 = root(b)
        b.intern("rj-unmask")
        submit(b, listOf(bRoot2))
        val input = ViewNode(0u, a.intern("EditText"), 0f, 0f, 5f, 5f, NodeKind.TEXT_INPUT, MaskTag.NONE, maskHintIndex = label)
        try {
            submit(a, listOf(aRoot, input))
            fail("A's update extends a table the core does not hold")
        } catch (e: RejourneyException.StringTable) {
        }
        core.shutdown(0uL)
    }

    /**
     * A capture loop over a small synthetic screen, into the ingest server. Each [frame] is one
     * tick two simulated seconds after the last (past the capture and snapshot intervals); every
     * tree these sessions walk differs from the last, so each recorded frame makes one snapshot,
     * which [frame] waits for. [finish] ends the session and returns the stored snapshots.
     */
    private inner class SyntheticSession(val server: IngestProcess, source: FrameSource) {
        val core = client(server.url) { it.copy(anrThresholdMs = 0) }
        private val startMs = 1_000_000L
        var now = startMs
            private set
        val id: String = core.start(now.toULong())
        private val pending = ArrayDeque<() -> Unit>()
        val loop: CaptureLoop

        init {
            assertTrue("remote config answered", core.waitRemoteConfig(5_000uL))
            server.synthetic(id)
            loop = CaptureLoop(core, source, { _, tick -> pending.addLast(tick) }, clockMs = { now }, nanoTime = { 0L })
            loop.start()
        }

        /** One tick; returns its time. */
        fun frame(): Long {
            settle(core)
            now += 2_000
            val recorded = loop.captures
            pending.removeFirst().invoke()
            if (loop.captures > recorded) {
                val deadline = System.nanoTime() + 5_000_000_000L
                while (core.telemetry().hierarchySnapshots < loop.captures.toULong() && System.nanoTime() < deadline) Thread.sleep(2)
            }
            return now
        }

        fun finish(): Map<Long, Map<String, Any?>> {
            loop.stop()
            core.stop((now + 1_000).toULong())
            assertTrue("everything delivered", core.flush(30_000uL))
            val t = core.telemetry()
            assertEquals("every recorded frame stored: ${t.json}", loop.captures.toULong(), t.framesCaptured)
            assertEquals(t.bundles.toInt(), server.bundles(id).size)
            core.shutdown(1000uL)
            return server.snapshots(id).associateBy { (it["timestamp"] as Double).toLong() }
        }
    }

    /** A snapshot's views, pre-order: class, test id, masked. */
    @Suppress("UNCHECKED_CAST")
    private fun views(snapshot: Map<String, Any?>?): List<Triple<String, String?, Boolean>> {
        assertNotNull("a snapshot", snapshot)
        val out = mutableListOf<Triple<String, String?, Boolean>>()
        val stack = ArrayDeque(listOf(snapshot!!["root"] as Map<String, Any?>))
        while (stack.isNotEmpty()) {
            val n = stack.removeLast()
            out.add(Triple(n["class"] as String, n["testId"] as String?, n["masked"] as Boolean))
            (n["children"] as List<Map<String, Any?>>?)?.asReversed()?.forEach { stack.addLast(it) }
        }
        return out
    }

    @Test
    fun eachStringCrossesOnceAndSnapshotsStillNameThem() {
        IngestProcess().use { server ->
            val title = Node("android.widget.TextView", NodeKind.TEXT, tag = "rj-mask", x = 1f)
            val toolbar = Node("androidx.appcompat.widget.Toolbar", testId = "toolbar", children = listOf(title))
            val email = Node("android.widget.EditText", NodeKind.TEXT_INPUT, testId = "email")
            var screen = window16(toolbar, email)
            val walk = TreeFlattener(MaskRegistry())
            val sent = mutableListOf<NodeStrings>()
            var frames = 0
            val session = SyntheticSession(server) { request ->
                val tree = walk.flatten(screen, request)
                // What the loop sends with this frame: the table's update right after the walk.
                sent.add(tree.strings.update())
                CapturedFrame(small(++frames * 40), 16, 16, 64, PixelFormat.RGBA, 1.25f, tree)
            }
            val first = session.frame()
            title.x = 2f // the same screen, one view moved: a new snapshot, no new string
            val second = session.frame()
            screen = window16(toolbar, email, Node("android.widget.Button", NodeKind.TEXT, testId = "submit"))
            val third = session.frame()
            val snapshots = session.finish()
            assertEquals(0L, session.loop.errors)
            assertEquals(3L, session.loop.captures)
            assertEquals(
                listOf("Window", "androidx.appcompat.widget.Toolbar", "toolbar", "android.widget.TextView", "rj-mask", "android.widget.EditText", "email"),
                sent[0].added,
            )
            assertEquals("the same screen again: nothing to send", extending(sent[0].table, sent[0].added, emptyList()), sent[1])
            assertEquals("only what is new", extending(sent[0].table, sent[0].added, listOf("android.widget.Button", "submit")), sent[2])
            // The core names every view from its table, for frames that sent nothing too; the
            // developer tag still masks the title.
            val screenViews = listOf(
                Triple("Window", null, false),
                Triple("androidx.appcompat.widget.Toolbar", "toolbar", false),
                Triple("android.widget.TextView", null, true),
                Triple("android.widget.EditText", null, true), // masked: no test id in the snapshot
            )
            assertEquals(screenViews, views(snapshots[first]))
            assertEquals(screenViews, views(snapshots[second]))
            assertEquals(screenViews + Triple("android.widget.Button", "submit", false), views(snapshots[third]))
        }
    }

    @Test
    fun aTableTheCoreRefusesIsStartedAgainAndTheNextFrameRecorded() {
        IngestProcess().use { server ->
            val label = Node("android.widget.TextView", NodeKind.TEXT, testId = "greeting")
            val screen = window16(Node("android.widget.FrameLayout", testId = "content", children = listOf(label)))
            val walk = TreeFlattener(MaskRegistry())
            val sent = mutableListOf<NodeStrings>()
            var frames = 0
            val session = SyntheticSession(server) { request ->
                label.x += 1f
                val tree = walk.flatten(screen, request)
                sent.add(tree.strings.update())
                CapturedFrame(small(++frames * 40), 16, 16, 64, PixelFormat.RGBA, 1.25f, tree)
            }
            val core = session.core
            val first = session.frame()
            val table = walk.strings.table
            // An update with the wrong base is refused and leaves the core's table as it was: the
            // loop goes on in step.
            try {
                core.submitPartialFrame(first.toULong(), NodeTree(emptyList(), NodeStrings(table, 99u, NodeStringTable.DIGEST_SEED, emptyList())))
                fail("a wrong base is refused")
            } catch (e: RejourneyException.StringTable) {
            }
            val second = session.frame()
            assertEquals(0L, session.loop.errors)
            // Another table takes the core's place (a second shim on the same core)...
            try {
                core.submitPartialFrame(second.toULong(), NodeTree(emptyList(), NodeStrings(table + 1u, 0u, NodeStringTable.DIGEST_SEED, listOf("Intruder"))))
            } catch (e: RejourneyException) {
                assertFalse("a new table from 0 is taken: $e", e is RejourneyException.StringTable)
            }
            // ...so the loop's next update does not continue the core's table: that frame is
            // refused and counted, and the loop starts a new table.
            session.frame()
            assertEquals(1L, session.loop.errors)
            assertEquals(2L, session.loop.captures)
            assertTrue("a new table", walk.strings.table != table)
            // The next frame sends every string again, from 0, and is recorded.
            val recovered = session.frame()
            assertEquals(1L, session.loop.errors)
            assertEquals(3L, session.loop.captures)
            assertEquals(extending(walk.strings.table, emptyList(), sent[0].added), sent.last())
            val snapshots = session.finish()
            assertEquals(setOf(first, second, recovered), snapshots.keys)
            val screenViews = listOf(
                Triple("Window", null, false),
                Triple("android.widget.FrameLayout", "content", false),
                Triple("android.widget.TextView", "greeting", false),
            )
            for (at in listOf(first, second, recovered)) assertEquals(screenViews, views(snapshots[at]))
        }
    }

    @Test
    fun aFrameLostAfterItsWalkKeepsTheTableInStep() {
        IngestProcess().use { server ->
            var screen = window16(Node("androidx.recyclerview.widget.RecyclerView", testId = "feed"))
            var drawFails = false
            val walk = TreeFlattener(MaskRegistry())
            val sent = mutableListOf<NodeStrings>()
            var frames = 0
            val session = SyntheticSession(server) { request ->
                val tree = walk.flatten(screen, request)
                sent.add(tree.strings.update())
                if (drawFails) throw IllegalStateException("view draw failed")
                CapturedFrame(small(++frames * 40), 16, 16, 64, PixelFormat.RGBA, 1.25f, tree)
            }
            val first = session.frame()
            // A new screen whose draw throws after the walk: its new strings never left.
            screen = window16(Node("android.widget.ScrollView", testId = "details", children = listOf(Node("android.widget.TextView", NodeKind.TEXT, testId = "price"))))
            drawFails = true
            session.frame()
            assertEquals(1L, session.loop.errors)
            val fresh = listOf("android.widget.ScrollView", "details", "android.widget.TextView", "price")
            assertEquals("still to send, from the same base", extending(sent[0].table, sent[0].added, fresh), walk.strings.update())
            drawFails = false
            val third = session.frame()
            assertEquals(1L, session.loop.errors)
            assertEquals(2L, session.loop.captures)
            assertEquals("sent with the next frame", extending(sent[0].table, sent[0].added, fresh), sent.last())
            val snapshots = session.finish()
            assertEquals(setOf(first, third), snapshots.keys)
            assertEquals(
                listOf(Triple("Window", null, false), Triple("android.widget.ScrollView", "details", false), Triple("android.widget.TextView", "price", false)),
                views(snapshots[third]),
            )
        }
    }

    @Test
    fun aTableIsStartedAgainBeforeItCouldPassTheCoresLimits() {
        val core = client()
        core.start(0uL)
        var now = 0L
        var frame = 0
        val pending = ArrayDeque<() -> Unit>()
        // No time budget: the walk of 1 500 views must not be cut short on a slow machine.
        val walk = TreeFlattener(MaskRegistry(), nanoTime = { 0L })
        val tables = mutableListOf<ULong>()
        val loop = CaptureLoop(core, { request ->
            frame++
            // Every frame a screen never seen before: 1 500 views with three new strings each.
            val views = List(1_500) { Node("C$frame-$it", tag = "t$frame-$it", testId = "i$frame-$it", width = 1f, height = 1f) }
            val tree = walk.flatten(window16(*views.toTypedArray()), request)
            tables.add(tree.strings.table)
            CapturedFrame(small(frame), 16, 16, 64, PixelFormat.RGBA, 1.25f, tree)
        }, { _, tick -> pending.addLast(tick) }, clockMs = { now }, nanoTime = { 0L })
        loop.start()
        repeat(6) {
            settle(core)
            pending.removeFirst().invoke()
            now += 1_000
        }
        loop.stop()
        // 4 501 strings a frame: the third and fifth walks found 9 002, over half the core's
        // 16 384, and started a new table first. Without that the fourth frame's update would
        // pass the core's limit and be refused.
        assertEquals(0L, loop.errors)
        assertEquals(6L, loop.captures)
        assertEquals(3, tables.toSet().size)
        assertEquals(listOf(tables[0], tables[0], tables[2], tables[2], tables[4], tables[4]), tables)
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
