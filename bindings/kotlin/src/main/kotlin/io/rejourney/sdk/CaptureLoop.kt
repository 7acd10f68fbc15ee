package io.rejourney.sdk

import java.nio.ByteBuffer
import java.util.concurrent.atomic.AtomicLong
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

/** Reads the screen synchronously (the JVM tests; a host whose pixels are ready at once). */
fun interface FrameSource {
    /**
     * Returns null when nothing can be captured right now (no window, not laid out). The walk
     * stops at the [request]'s budget and draws at its scale (the core's, from this tick's
     * decision).
     */
    fun capture(request: CaptureRequest): CapturedFrame?
}

/**
 * Reads the screen in two halves: [capture] walks and requests the pixels on the calling
 * (main) thread and returns; the pixels arrive later on another thread (Android's PixelCopy
 * completes on a capture thread), which calls `deliver` exactly once with the frame, or null
 * when the copy failed or no longer matches the walk. The main thread never waits for pixels.
 */
fun interface AsyncFrameSource {
    fun capture(request: CaptureRequest, deliver: (CapturedFrame?) -> Unit)
}

/** Schedules the next tick; Android posts to the main Handler, tests run it by hand. */
fun interface TickScheduler {
    fun schedule(delayMs: Long, tick: () -> Unit)
}

/**
 * The capture timer: asks the core whether to capture, captures if told to (walking no more
 * than the core's budget), hands the frame over and reports how long the main thread spent,
 * then schedules itself when the core says (the core keeps that within 16 ms to 60 s).
 * Each tick is also a heartbeat for the ANR watchdog (Android beats from its own main-looper
 * timer as well, so a long capture interval never looks like a hang).
 * The core drives; this loop only answers.
 *
 * One frame at a time: while a frame's pixels are on their way ([AsyncFrameSource]) the loop
 * captures no other (counted in [busySkips]), so the walk's string table is never touched by
 * two threads at once and a slow copy cannot pile frames up. A copy that never completes is
 * given up after [copyTimeoutMs] (counted in [lostCopies]); its late delivery is ignored.
 * Errors from the core or from the capture itself are counted, never thrown into the host's
 * main thread; a string table the core refused is counted too, and the next frame starts a
 * new one.
 */
class CaptureLoop(
    private val core: Rejourney,
    private val source: AsyncFrameSource,
    private val scheduler: TickScheduler,
    private val clockMs: () -> Long = System::currentTimeMillis,
    private val nanoTime: () -> Long = System::nanoTime,
    private val copyTimeoutMs: Long = 2_000,
) {
    /** A synchronous source: the frame is submitted inside the tick. */
    constructor(
        core: Rejourney,
        source: FrameSource,
        scheduler: TickScheduler,
        clockMs: () -> Long = System::currentTimeMillis,
        nanoTime: () -> Long = System::nanoTime,
    ) : this(core, AsyncFrameSource { r, deliver -> deliver(source.capture(r)) }, scheduler, clockMs, nanoTime)

    @Volatile var running = false
        private set
    private val errorCount = AtomicLong()
    private val captureCount = AtomicLong()
    private val partialCount = AtomicLong()
    private val emptyCount = AtomicLong()
    private val busyCount = AtomicLong()
    private val lostCount = AtomicLong()
    private val droppedCount = AtomicLong()
    val errors: Long get() = errorCount.get()
    val captures: Long get() = captureCount.get()
    val partialFrames: Long get() = partialCount.get()
    /** Frames not captured because the walk saw nothing (an invisible root). */
    val emptyWalks: Long get() = emptyCount.get()
    /** Ticks the core asked for a frame while the previous one was still being copied. */
    val busySkips: Long get() = busyCount.get()
    /** Copies that never completed within [copyTimeoutMs]. */
    val lostCopies: Long get() = lostCount.get()
    /** Frames the source gave up after the walk (copy failed, pixels newer than the walk). */
    val droppedFrames: Long get() = droppedCount.get()

    /** The frame in flight: its number (0 = none) and when it was requested. */
    private val inFlight = AtomicLong(0)
    @Volatile private var inFlightSinceMs = 0L
    private var nextFrame = 1L

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
            if (decision.capture && !busy()) {
                val frameNo = nextFrame++
                inFlightSinceMs = clockMs()
                inFlight.set(frameNo)
                val t0 = nanoTime()
                try {
                    source.capture(CaptureRequest.of(decision)) { frame -> delivered(frameNo, frame) }
                } catch (e: Throwable) {
                    inFlight.compareAndSet(frameNo, 0)
                    throw e
                }
                core.reportCaptureCost((nanoTime() - t0) / 1_000_000.0)
            }
        } catch (e: RejourneyException) {
            errorCount.incrementAndGet()
        } catch (e: Throwable) {
            // The platform side of a capture (a view's draw, Compose semantics, a bitmap's
            // OutOfMemoryError) threw: skip this frame and keep the timer alive. Never let it
            // reach the app's main thread.
            errorCount.incrementAndGet()
        }
        if (running) scheduler.schedule(next) { tick() }
    }

    /** A frame is still being copied (and not yet given up as lost). */
    private fun busy(): Boolean {
        val current = inFlight.get()
        if (current == 0L) return false
        if (clockMs() - inFlightSinceMs < copyTimeoutMs) {
            busyCount.incrementAndGet()
            return true
        }
        if (inFlight.compareAndSet(current, 0)) lostCount.incrementAndGet()
        return false
    }

    /** The pixels of frame [frameNo] arrived (any thread): submit them unless given up. */
    private fun delivered(frameNo: Long, frame: CapturedFrame?) {
        if (inFlight.get() != frameNo) return // given up as lost: its walk's strings were not sent
        try {
            when {
                frame == null -> droppedCount.incrementAndGet()
                // The root is not visible: nothing on screen can be described, so no frame
                // (the core would refuse an empty tree anyway).
                frame.nodes.isEmpty() -> emptyCount.incrementAndGet()
                running -> submit(frame)
            }
        } catch (e: Throwable) {
            errorCount.incrementAndGet()
        } finally {
            inFlight.compareAndSet(frameNo, 0)
        }
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
                partialCount.incrementAndGet()
            } else {
                core.submitFrameBuffer(
                    frame.pixels, frame.width.toUInt(), frame.height.toUInt(), frame.stride.toUInt(),
                    frame.format, frame.scale, clockMs().toULong(), NodeTree(frame.nodes, update),
                )
                captureCount.incrementAndGet()
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
