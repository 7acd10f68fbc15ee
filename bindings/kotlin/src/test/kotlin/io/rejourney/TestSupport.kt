package io.rejourney

import io.rejourney.sdk.CaptureRequest
import io.rejourney.sdk.TreeFlattener
import io.rejourney.sdk.ViewLike
import uniffi.rejourney_core.NodeKind
import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import java.util.zip.GZIPInputStream
import javax.imageio.ImageIO

/** Repository root, passed by scripts/test-kotlin.sh. */
val repoRoot: File = File(System.getProperty("rejourney.root") ?: "../..").canonicalFile

fun tempDir(prefix: String): File = Files.createTempDirectory(prefix).toFile()

/**
 * The local ingest server binary on 127.0.0.1, started for a test. Its data lands under
 * `-Drejourney.ingestData` when set, so the test script can check the stored frames afterwards.
 */
class IngestProcess : AutoCloseable {
    val dataDir: File = System.getProperty("rejourney.ingestData")
        ?.let { File(it).apply { mkdirs() } }
        ?.let { Files.createTempDirectory(it.toPath(), "ingest").toFile() }
        ?: tempDir("rj-kt-ingest")
    private val process: Process = ProcessBuilder(
        File(repoRoot, "target/release/rejourney-ingest").path, "--bind", "127.0.0.1:0", "--data", dataDir.path,
    ).redirectErrorStream(true).start()
    val url: String

    init {
        val line = process.inputStream.bufferedReader().readLine() ?: error("ingest server printed nothing")
        url = Regex("http://127\\.0\\.0\\.1:\\d+").find(line)?.value ?: error("no URL in: $line")
    }

    /** Bundles the server stored for a session. */
    fun bundles(sessionId: String): List<File> =
        File(dataDir, "$sessionId/screenshots").listFiles()?.filter { it.name.endsWith(".gz") } ?: emptyList()

    fun sessionEnded(sessionId: String) = File(dataDir, "$sessionId/session-end.json").exists()

    /**
     * Records a corpus frame handed to the core (`submitted.jsonl`, read by
     * `examples/verify_stored.rs`): the absolute capture time, the screen, and the size and
     * px/pt scale of the buffer submitted.
     */
    fun submitted(sessionId: String, tsMs: Long, screen: Screen) = manifest(
        "{\"session\":\"$sessionId\",\"ts\":$tsMs,\"screen\":\"${screen.id}\"," +
            "\"width\":${screen.width},\"height\":${screen.height},\"scale\":${screen.scale}}",
    )

    /** Records the session's start and how many frames the core captured for it. */
    fun captured(sessionId: String, startMs: Long, frames: ULong) =
        manifest("{\"session\":\"$sessionId\",\"start\":$startMs,\"captured\":$frames}")

    /** Declares a session whose frames are not corpus screens: counted, not checked. */
    fun synthetic(sessionId: String) = manifest("{\"session\":\"$sessionId\",\"synthetic\":true}")

    /** The hierarchy snapshots the server stored for a session, oldest first. */
    @Suppress("UNCHECKED_CAST")
    fun snapshots(sessionId: String): List<Map<String, Any?>> =
        (File(dataDir, "$sessionId/hierarchy").listFiles() ?: emptyArray())
            .filter { it.name.endsWith(".gz") }
            .map { f -> Json(GZIPInputStream(f.inputStream()).use { it.readBytes() }.decodeToString()).parse() as Map<String, Any?> }
            .sortedBy { it["timestamp"] as Double }

    /**
     * Names of the custom events whose name starts with [prefix] in every events batch the
     * server stored (one entry per stored copy: a duplicate upload shows twice).
     */
    @Suppress("UNCHECKED_CAST")
    fun customEvents(prefix: String): List<String> =
        (dataDir.listFiles() ?: emptyArray()).flatMap { session ->
            (File(session, "events").listFiles() ?: emptyArray()).filter { it.name.endsWith(".gz") }
        }.flatMap { f ->
            val batch = Json(GZIPInputStream(f.inputStream()).use { it.readBytes() }.decodeToString()).parse() as Map<String, Any?>
            (batch["events"] as? List<Map<String, Any?>> ?: emptyList())
                .filter { it["type"] == "custom" }
                .mapNotNull { it["name"] as? String }
                .filter { it.startsWith(prefix) }
        }

    private fun manifest(line: String) = File(dataDir, "submitted.jsonl").appendText(line + "\n")

    override fun close() {
        process.destroy()
        process.waitFor(5, TimeUnit.SECONDS)
    }
}

/** A minimal JSON reader for the corpus view trees (no JSON library on this classpath). */
class Json(private val s: String) {
    private var i = 0
    fun parse(): Any? = value().also { ws() }
    private fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
    private fun value(): Any? {
        ws()
        return when (s[i]) {
            '{' -> obj()
            '[' -> arr()
            '"' -> str()
            't' -> { i += 4; true }
            'f' -> { i += 5; false }
            'n' -> { i += 4; null }
            else -> num()
        }
    }
    private fun obj(): Map<String, Any?> {
        val m = LinkedHashMap<String, Any?>()
        i++; ws()
        if (s[i] == '}') { i++; return m }
        while (true) {
            ws(); val k = str(); ws(); i++ // ':'
            m[k] = value(); ws()
            if (s[i++] == '}') return m
        }
    }
    private fun arr(): List<Any?> {
        val l = ArrayList<Any?>()
        i++; ws()
        if (s[i] == ']') { i++; return l }
        while (true) {
            l.add(value()); ws()
            if (s[i++] == ']') return l
        }
    }
    private fun str(): String {
        val b = StringBuilder()
        i++
        while (s[i] != '"') {
            if (s[i] == '\\') { i++; b.append(if (s[i] == 'n') '\n' else s[i]) } else b.append(s[i])
            i++
        }
        i++
        return b.toString()
    }
    private fun num(): Double {
        val start = i
        while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
        return s.substring(start, i).toDouble()
    }
}

/** A corpus view-tree node as a platform-free [ViewLike]. */
class JsonView(private val m: Map<String, Any?>) : ViewLike {
    override val className get() = m["type"] as String
    override val x get() = (m["x"] as Double).toFloat()
    override val y get() = (m["y"] as Double).toFloat()
    override val width get() = (m["width"] as Double).toFloat()
    override val height get() = (m["height"] as Double).toFloat()
    override val tag: String? = null
    override val visible = true
    override val kind get() = when (m["kind"]) {
        "text" -> NodeKind.TEXT
        "text_input" -> NodeKind.TEXT_INPUT
        "secure_input" -> NodeKind.SECURE_INPUT
        "image" -> NodeKind.IMAGE
        "video" -> NodeKind.VIDEO
        "camera" -> NodeKind.CAMERA
        "map" -> NodeKind.MAP
        "container" -> NodeKind.CONTAINER
        else -> NodeKind.OTHER
    }
    @Suppress("UNCHECKED_CAST")
    override val children get() = (m["children"] as List<Map<String, Any?>>).map { JsonView(it) }
}

/** A corpus screen: native RGBA pixels (scale 3) and its flattened tree. */
class Screen(val id: String, val pixels: ByteArray, val width: Int, val height: Int, val scale: Float, val root: JsonView)

object Corpus {
    private val dir = File(repoRoot, "examples/corpus")

    @Suppress("UNCHECKED_CAST")
    fun ids(): List<String> = Json(File(dir, "index.json").readText()).parse() as List<String>

    @Suppress("UNCHECKED_CAST")
    fun load(id: String): Screen {
        val tree = Json(File(dir, "$id.json").readText()).parse() as Map<String, Any?>
        val img = ImageIO.read(File(dir, "$id.png"))
        val (w, h) = img.width to img.height
        val argb = img.getRGB(0, 0, w, h, null, 0, w)
        val rgba = ByteArray(w * h * 4)
        for (p in argb.indices) {
            val c = argb[p]
            rgba[p * 4] = (c shr 16).toByte()
            rgba[p * 4 + 1] = (c shr 8).toByte()
            rgba[p * 4 + 2] = c.toByte()
            rgba[p * 4 + 3] = (c ushr 24).toByte()
        }
        // A shim walks from the window: the window, the size of the screen, is the root and the
        // corpus tree (a scrolled document) hangs below it. The core refuses a tree whose root
        // does not cover the frame.
        val window = mapOf(
            "type" to "Window", "kind" to "container", "x" to 0.0, "y" to 0.0,
            "width" to (tree["widthPoints"] as Double), "height" to (tree["heightPoints"] as Double),
            "children" to listOf(tree["root"]),
        )
        return Screen(id, rgba, w, h, (tree["scale"] as Double).toFloat(), JsonView(window))
    }
}

/**
 * A corpus screen's walk, budget aside. A session keeps one flattener, as the Android adapter
 * does: its string table sends each string once (a flattener per frame would start a new
 * table every frame).
 */
fun TreeFlattener.walk(screen: Screen) = flatten(screen.root, unlimitedWalk)

/** A walk budget no test tree reaches (the core's own comes with each tick's decision). */
val unlimitedWalk = CaptureRequest(maxNodes = 100_000, maxNanos = 60_000_000_000L)
