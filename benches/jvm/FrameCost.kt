// What the host pays per captured frame through the Kotlin binding on the JVM: `tick` +
// `submitFrame` with a 491×1065 RGBA frame (a 393×852 pt phone at 1.25 px/pt) and a 200-node
// tree, UniFFI's copies included, against a plain copy of the frame on the same JVM. Nodes
// name their strings by index into one table, kept as the SDK's NodeStringTable keeps it: the
// strings cross with the first frame, so in the timed steady state each submit carries an
// empty update. The same call from Rust is `cargo bench --bench frame_cost`; run both with
// scripts/bench-jvm.sh. Not a test: nothing here asserts a time.
package io.rejourney.bench

import java.io.File
import java.nio.ByteBuffer
import java.nio.file.Files
import uniffi.rejourney_core.FfiConverterByteArray
import uniffi.rejourney_core.FfiConverterSequenceTypeViewNode
import uniffi.rejourney_core.FfiConverterTypeNodeStrings
import uniffi.rejourney_core.FfiConverterTypeNodeTree
import uniffi.rejourney_core.MaskTag
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.NodeStrings
import uniffi.rejourney_core.NodeTree
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import uniffi.rejourney_core.RejourneyOptions
import uniffi.rejourney_core.RustBuffer
import uniffi.rejourney_core.ViewNode

const val WIDTH = 491
const val HEIGHT = 1065
const val SCALE = 1.25f
const val WARMUP = 300
const val TIMED = 300
const val TABLE = 0x5EEDuL

/** A string table as the SDK keeps one: each string once, in the order first seen. */
class Strings {
    val all = ArrayList<String>()
    private val index = HashMap<String, UInt>()
    fun intern(s: String): UInt = index.getOrPut(s) { all.add(s); (all.size - 1).toUInt() }
}

/** 200 nodes: a window, 19 rows (a container with 9 children: an image, text, an input) and
 *  9 bar items directly under the window; their 34 strings go into [strings]. */
fun tree(strings: Strings): List<ViewNode> {
    val nodes = ArrayList<ViewNode>(200)
    fun node(parent: UInt?, cls: String, x: Float, y: Float, w: Float, h: Float, kind: NodeKind, id: ULong, testId: String?, textLength: UInt?) =
        nodes.add(ViewNode(parent, strings.intern(cls), x, y, w, h, kind, MaskTag.NONE, id, testId?.let(strings::intern), textLength))
    node(null, "com.android.internal.policy.DecorView", 0f, 0f, WIDTH / SCALE, HEIGHT / SCALE, NodeKind.CONTAINER, 1uL, null, null)
    var id = 2uL
    for (row in 0 until 19) {
        val rowIndex = nodes.size.toUInt()
        val y = 40f + row * 42f
        node(0u, "android.widget.LinearLayout", 0f, y, 392f, 40f, NodeKind.CONTAINER, id++, "row-$row", null)
        for (k in 0 until 9) {
            val (cls, kind) = when (k) {
                0 -> "android.widget.ImageView" to NodeKind.IMAGE
                8 -> "android.widget.EditText" to NodeKind.TEXT_INPUT
                else -> "android.widget.TextView" to NodeKind.TEXT
            }
            node(rowIndex, cls, 4f + k * 43f, y + 2f, 40f, 36f, kind, id++, null, if (kind == NodeKind.TEXT_INPUT) 12u else null)
        }
    }
    for (k in 0 until 9) {
        node(0u, "android.widget.ImageButton", 4f + k * 43f, 0f, 40f, 36f, NodeKind.IMAGE, id++, "bar-$k", null)
    }
    check(nodes.size == 200) { "${nodes.size} nodes" }
    return nodes
}

fun percentile(xs: LongArray, p: Double): Double {
    val s = xs.sortedArray()
    return s[((s.size - 1) * p).toInt()] / 1000.0
}

fun row(name: String, ns: LongArray, what: String) =
    println(String.format("%-44s median %8.1f µs   p95 %8.1f µs   %s", name, percentile(ns, 0.5), percentile(ns, 0.95), what))

/** Runs `f` WARMUP times, then TIMED times, and returns the timed durations (ns). */
inline fun measure(f: (Int) -> Unit): LongArray {
    for (i in 0 until WARMUP) f(i)
    return LongArray(TIMED) { i ->
        val t = System.nanoTime()
        f(WARMUP + i)
        System.nanoTime() - t
    }
}

fun main() {
    val len = WIDTH * HEIGHT * 4
    val frame = ByteArray(len) { (it * 31).toByte() }
    val direct = ByteBuffer.allocateDirect(len)
    direct.put(frame).flip()
    val strings = Strings()
    val nodes = tree(strings)
    // The first submit sends the table; every later one names it and sends nothing.
    val firstUpdate = NodeStrings(TABLE, 0u, strings.all)
    val steady = NodeStrings(TABLE, strings.all.size.toUInt(), emptyList())
    var update = firstUpdate
    fun next() = update.also { update = steady }
    val spool = Files.createTempDirectory("rj-frame-cost").toFile()
    // No server: uploads fail and back off on their own thread; capture is what is timed.
    val core = Rejourney(RejourneyOptions(
        apiKey = "pk_bench", apiUrl = "http://127.0.0.1:9", deviceId = "bench", storageDir = spool.path,
    ))
    var now = 1_000_000L
    core.start(now.toULong())
    println("per captured frame through the Kotlin binding ($WIDTH×$HEIGHT RGBA = $len bytes, ${nodes.size} nodes naming ${strings.all.size} strings), $WARMUP warm-up + $TIMED timed; ${Runtime.version()}")

    val copy = ByteArray(len)
    row("memcpy of the frame (System.arraycopy)", measure { System.arraycopy(frame, 0, copy, 0, len) },
        "baseline: one copy of the frame into an existing array")
    row("  lowering the frame (ByteArray)", measure {
        val b = FfiConverterByteArray.lower(frame)
        RustBuffer.free(b)
    }, "UniFFI: Rust allocates a buffer, the JVM copies the frame in (freed here, untimed in Rust)")
    row("  lowering the node list", measure {
        val b = FfiConverterSequenceTypeViewNode.lower(nodes)
        RustBuffer.free(b)
    }, "UniFFI: 200 records (strings by index) serialised into a Rust buffer")
    row("  lowering the tree (nodes + update)", measure {
        RustBuffer.free(FfiConverterTypeNodeTree.lower(NodeTree(nodes, steady)))
    }, "UniFFI: the argument submitFrameBuffer takes: the 200 records and the steady state's empty update, one buffer")
    row("  lowering an update alone", measure {
        RustBuffer.free(FfiConverterTypeNodeStrings.lower(steady))
    }, "UniFFI: what the empty update cost as an argument of its own (before it moved into the tree)")
    row("  lowering a table's first update", measure {
        RustBuffer.free(FfiConverterTypeNodeStrings.lower(firstUpdate))
    }, "UniFFI: the ${strings.all.size} strings, once per table (not in the steady state below)")

    // Each frame differs (a counter in its first pixels), as consecutive captures do, and is
    // paced so the encoder keeps up (a real host captures about once a second). A tick that
    // says not now (the encoder's queue is full on a busy machine) is waited out and not timed.
    fun pace() = Thread.sleep(4)
    fun due() {
        while (true) {
            now += 1_000
            if (core.tick(now.toULong()).capture) return
            Thread.sleep(50)
        }
    }
    val submit = LongArray(TIMED)
    val ticks = measure { i ->
        frame[0] = i.toByte(); frame[1] = (i shr 8).toByte()
        due()
        now += 1_000
        val t = System.nanoTime()
        val d = core.tick(now.toULong())
        check(d.capture) { "policy said ${d.skipReason}" }
        core.submitFrame(frame, WIDTH.toUInt(), HEIGHT.toUInt(), (WIDTH * 4).toUInt(), PixelFormat.RGBA, SCALE, now.toULong(), NodeTree(nodes, next()))
        if (i >= WARMUP) submit[i - WARMUP] = System.nanoTime() - t
        pace()
    }
    check(ticks.isNotEmpty())
    row("tick + submitFrame (ByteArray)", submit, "the binding as the SDK used it: frame lowered, lifted byte by byte, owned by the core")

    val submitDirect = LongArray(TIMED)
    measure { i ->
        direct.put(0, i.toByte()); direct.put(1, (i shr 8).toByte())
        due()
        now += 1_000
        val t = System.nanoTime()
        val d = core.tick(now.toULong())
        check(d.capture) { "policy said ${d.skipReason}" }
        core.submitFrameBuffer(direct, WIDTH.toUInt(), HEIGHT.toUInt(), (WIDTH * 4).toUInt(), PixelFormat.RGBA, SCALE, now.toULong(), NodeTree(nodes, next()))
        if (i >= WARMUP) submitDirect[i - WARMUP] = System.nanoTime() - t
        pace()
    }
    row("tick + submitFrameBuffer (direct ByteBuffer)", submitDirect, "borrowed for the call, copied once by the core")

    val t = core.telemetry()
    println("frames captured ${t.framesCaptured}, dropped ${t.framesDropped}")
    core.shutdown(0uL)
    spool.deleteRecursively()
}
