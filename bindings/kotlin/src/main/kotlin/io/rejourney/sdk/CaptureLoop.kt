package io.rejourney.sdk

import java.nio.ByteBuffer
import uniffi.rejourney_core.NodeTree
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import uniffi.rejourney_core.RejourneyException
import uniffi.rejourney_core.ViewNode

/**
 * One captured frame, as the platform adapter reads it. `pixels` is a direct buffer (from its
 * position to its limit): the core borrows it for the call and copies it once, where a
 * `ByteArray` would be copied into a Rust buffer and then lifted byte by byte (20 to 80 times
 * the cost of a copy: `benches/RESULTS.md`). The adapter may reuse it for the next frame.
 */
class CapturedFrame(
    val pixels: ByteBuffer,
    val width: Int,
    val height: Int,
    val stride: Int,
    val format: PixelFormat,
    /** Pixels per point of `pixels`. */
    val scale: Float,
    /** The view walk: its nodes, whether it ran out of budget, the string table they name. */
    val tree: TreeFlattener.Result,
) {
    /** A frame whose pixels are in an array (copied once into a direct buffer). */
    constructor(
        pixels: ByteArray, width: Int, height: Int, stride: Int, format: PixelFormat, scale: Float,
        tree: TreeFlattener.Result,
    ) : this(direct(pixels), width, height, stride, format, scale, tree)

    val nodes: List<ViewNode> get() = tree.nodes
    /** The view walk ran out of budget: the frame must not be recorded. */
    val truncated: Boolean get() = tree.truncated

    private companion object {
        fun direct(bytes: ByteArray): ByteBuffer = ByteBuffer.allocateDirect(bytes.size).put(bytes).also { it.flip() }
    }
}

/** Reads the screen; on Android this runs on the main thread (view walk + draw). */
fun interface FrameSource {
    /**
     * Returns null when nothing can be captured right now (no window, not laid out). The walk
     * stops at the [request]'s budget and draws at its scale (the core's, from this tick's
     * decision).
     */
    fun capture(request: CaptureRequest): CapturedFrame?
}

/** Schedules the next tick; Android posts to the main Handler, tests run it by hand. */
fun interface TickScheduler {
    fun schedule(delayMs: Long, tick: () -> Unit)
}

/**
 * The capture timer: asks the core whether to capture, captures if told to (walking no more
 * than the core's budget), hands the frame over and reports how long the main thread spent,
 * then schedules itself when the core says (the core keeps that within 16 ms to 60 s).
 * Each tick is also the ANR watchdog's heartbeat. The core drives; this loop only answers.
 * Errors from the core or from the capture itself are counted, never thrown into the host's
 * main thread; a string table the core refused is counted too, and the next frame starts a
 * new one.
 */
class CaptureLoop(
    private val core: Rejourney,
    private val source: FrameSource,
    private val scheduler: TickScheduler,
    private val clockMs: () -> Long = System::currentTimeMillis,
    private val nanoTime: () -> Long = System::nanoTime,
) {
    @Volatile var running = false
        private set
    @Volatile var errors = 0L
        private set
    @Volatile var captures = 0L
        private set
    @Volatile var partialFrames = 0L
        private set
    /** Frames not captured because the walk saw nothing (an invisible root). */
    @Volatile var emptyWalks = 0L
        private set

    fun start() {
        if (running) return
        running = true
        scheduler.schedule(0) { tick() }
    }

    fun stop() {
        running = false
    }

    /** One timer firing. Public so tests (and the adapter's first frame) can drive it. */
    fun tick() {
        if (!running) return
        var next = 1000L
        try {
            core.heartbeat()
            val decision = core.tick(clockMs().toULong())
            next = decision.nextCheckMs.toLong()
            if (decision.capture) {
                val t0 = nanoTime()
                val frame = source.capture(CaptureRequest.of(decision))
                val costMs = (nanoTime() - t0) / 1_000_000.0
                core.reportCaptureCost(costMs)
                if (frame != null && frame.nodes.isEmpty()) {
                    // The root is not visible: nothing on screen can be described, so no frame
                    // (the core would refuse an empty tree anyway).
                    emptyWalks++
                } else if (frame != null) {
                    submit(frame)
                }
            }
        } catch (e: RejourneyException) {
            errors++
        } catch (e: Exception) {
            // The platform side of a capture (a view's draw, Compose semantics) threw: skip this
            // frame and keep the timer alive. Never let it reach the app's main thread.
            errors++
        }
        if (running) scheduler.schedule(next) { tick() }
    }

    /**
     * Hands [frame] over with the strings its nodes name that the core does not have yet, and
     * marks them sent when the submit returned. After any other answer they go again with the
     * next frame (the core accepts a resend of what it has), but after `StringTable`.
     */
    private fun submit(frame: CapturedFrame) {
        val strings = frame.tree.strings
        val update = strings.update()
        try {
            if (frame.truncated) {
                core.submitPartialFrame(clockMs().toULong(), NodeTree(frame.nodes, update))
                partialFrames++
            } else {
                core.submitFrameBuffer(
                    frame.pixels, frame.width.toUInt(), frame.height.toUInt(), frame.stride.toUInt(),
                    frame.format, frame.scale, clockMs().toULong(), NodeTree(frame.nodes, update),
                )
                captures++
            }
        } catch (e: RejourneyException) {
            when (e) {
                // The core's table is not the one this walk continued (another took its place,
                // the digest differs) or would pass its limits: start a new one, sent whole
                // with the next frame.
                is RejourneyException.StringTable -> strings.reset()
                // Anything else (bad frame, bad nodes, shut down): the strings stay pending
                // and go again; the core, which may have applied them, accepts the resend.
                else -> {}
            }
            throw e
        }
        strings.committed(update)
    }
}
