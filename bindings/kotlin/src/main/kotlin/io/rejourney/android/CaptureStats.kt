package io.rejourney.android

import java.util.concurrent.atomic.AtomicLong

/**
 * What the Android adapter dropped or survived, counted (the core counts the rest in its
 * telemetry). Every frame the adapter gives up is in exactly one of these.
 */
class CaptureStats internal constructor() {
    internal val windowsUnlisted = AtomicLong()
    internal val notSettled = AtomicLong()
    internal val drawnDuringCopy = AtomicLong()
    internal val copyFailed = AtomicLong()
    internal val outOfMemory = AtomicLong()
    internal val startFailures = AtomicLong()
    internal val unknownPixelOrder = AtomicLong()
    internal val caughtErrors = AtomicLong()
    @Volatile private var lastCaught: String? = null

    /** Counts a Throwable the adapter caught and keeps its class and message for diagnostics. */
    internal fun caught(e: Throwable) {
        lastCaught = "${e.javaClass.name}: ${e.message}"
        caughtErrors.incrementAndGet()
    }

    /** The app's windows could not be listed: no frame (one could miss a dialog). */
    val windowsUnlistedCount: Long get() = windowsUnlisted.get()
    /** A layout was pending at walk time: the screen's pixels were older than the walk. */
    val notSettledCount: Long get() = notSettled.get()
    /** A window drew between the walk and its copy: pixels and masks may differ. */
    val drawnDuringCopyCount: Long get() = drawnDuringCopy.get()
    /** A window's copy failed (or cannot be made on this release). */
    val copyFailedCount: Long get() = copyFailed.get()
    /** A bitmap for the frame could not be allocated. */
    val outOfMemoryCount: Long get() = outOfMemory.get()
    /** The bitmap's byte order matched neither RGBA nor BGRA: no frame with guessed colours. */
    val unknownPixelOrderCount: Long get() = unknownPixelOrder.get()
    /**
     * A `Throwable` the platform or the bindings threw inside the adapter (an `Error` from a
     * bitmap or a view's draw during the copy, a `NoClassDefFoundError` from bindings whose
     * native library did not load, in a touch hook or while compositing): caught, the frame
     * (or the touch's observation) given up, the app's own call carried on.
     */
    val caughtErrorCount: Long get() = caughtErrors.get()
    /** The last of those (class and message), for diagnostics; null when none. */
    val lastCaughtError: String? get() = lastCaught
    /** `start` failed (the native library did not load, bad options): recording is off. */
    val startFailureCount: Long get() = startFailures.get()

    override fun toString() =
        "CaptureStats(windowsUnlisted=$windowsUnlistedCount, notSettled=$notSettledCount, " +
            "drawnDuringCopy=$drawnDuringCopyCount, copyFailed=$copyFailedCount, " +
            "outOfMemory=$outOfMemoryCount, unknownPixelOrder=$unknownPixelOrderCount, " +
            "caughtErrors=$caughtErrorCount ($lastCaughtError), startFailures=$startFailureCount)"
}
