package io.rejourney.android

import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.os.Handler
import android.os.HandlerThread
import android.view.View
import android.view.ViewTreeObserver
import io.rejourney.sdk.AsyncFrameSource
import io.rejourney.sdk.CaptureRequest
import io.rejourney.sdk.CapturedFrame
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.TreeFlattener
import io.rejourney.sdk.ViewLike
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.PixelFormat
import java.nio.ByteBuffer
import java.util.WeakHashMap
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong

/**
 * One frame of the whole screen: every window the app shows, walked and copied.
 *
 * On the main thread (when the core asks): list the windows bottom to top, walk them all into
 * one tree (the walk is the core's, within its budget), note each window's draw count and
 * request each window's copy ([PixelCopier]). On the capture thread, when every copy is in:
 * drop the frame if any window drew since its walk (its pixels may not be what was walked,
 * so its masks may not cover them), else composite the windows in z-order (dimming behind
 * dialogs as the compositor does) into one reused bitmap and hand it over.
 *
 * Pixels and walk describe the same frame. A copy holds a window's last draw; the walk
 * describes the views now. They agree when no window had a change pending at walk time (a
 * layout requested, or a view invalidated and not yet drawn, property changes such as
 * `translationX` included: [PendingChange])
 * and no window drew between the walk and its copy (the draw counter). Where the copy is
 * itself a draw (below API 26, Robolectric's PixelCopy) a view the app moves while it is
 * drawn leaves its window dirty after the copy request: checked too. Any of these drops the
 * frame, counted ([CaptureStats.notSettledCount], [CaptureStats.drawnDuringCopyCount]); the
 * next tick tries again.
 * A window that cannot be copied, a bitmap that cannot be allocated, anything thrown (an
 * `Error` included): the frame is dropped and counted in [CaptureStats], nothing reaches the
 * app or kills the capture thread; `FLAG_SECURE` windows are described as one secure region,
 * so the core masks them whole.
 */
internal class WindowCapture(masks: MaskRegistry, private val stats: CaptureStats) : AsyncFrameSource {
    /** One walk, one string table, for every frame of this capture (they go to one core). */
    private val flattener = TreeFlattener(masks)
    private val thread = HandlerThread("rejourney-capture").apply { start() }
    private val handler = Handler(thread.looper)
    private val copier = PixelCopier(handler, stats)
    /** Draws per window root, counted by a listener installed once per root. */
    private val draws = WeakHashMap<View, AtomicLong>()
    /** Reused while sizes hold: per window slot, the whole screen, its pixels. */
    private val windowBitmaps = ArrayList<Bitmap?>()
    private var screen: Bitmap? = null
    private var pixels: ByteBuffer? = null
    private val paint = Paint(Paint.FILTER_BITMAP_FLAG)

    fun close() {
        thread.quitSafely()
    }

    override fun capture(request: CaptureRequest, deliver: (CapturedFrame?) -> Unit) {
        val windows = WindowRoots.visible()
        if (windows == null) {
            stats.windowsUnlisted.incrementAndGet()
            return deliver(null)
        }
        if (windows.isEmpty()) return deliver(null)
        if (windows.any { PendingChange.at(it.root) }) {
            stats.notSettled.incrementAndGet()
            return deliver(null)
        }
        val metrics = windows[0].root.resources.displayMetrics
        val density = metrics.density
        val widthDp = metrics.widthPixels / density
        val heightDp = metrics.heightPixels / density
        val w = (widthDp * request.scale).toInt().coerceAtLeast(1)
        // The core places masks with one px-per-point scale: the one of the buffer actually
        // produced (the width is truncated to whole pixels), and the height drawn at it.
        val scale = w / widthDp
        val h = Math.round(heightDp * scale).coerceAtLeast(1)

        val walk = WalkContext(density)
        val tree = flattener.flatten(ScreenNode(widthDp, heightDp, windows, walk), request)
        if (tree.truncated || tree.nodes.isEmpty()) {
            // Sent as a partial frame (dropped by the core) or counted as an empty walk.
            return deliver(CapturedFrame(EMPTY, 0, 0, 0, PixelFormat.RGBA, scale, tree))
        }
        val drawsAtWalk = LongArray(windows.size) { drawCounter(windows[it].root).get() }
        val bitmaps = try {
            Array(windows.size) { i -> windowBitmap(i, windows[i], scale / density) }
        } catch (e: OutOfMemoryError) {
            stats.outOfMemory.incrementAndGet()
            return deliver(null)
        }
        val frame = Pending(windows, bitmaps, drawsAtWalk, w, h, scale, tree, deliver)
        for (i in windows.indices) {
            if (windows[i].secure) {
                // Blacked out by the platform and masked whole by the core: nothing to copy.
                frame.copied(i, PixelCopier.Copy.COPIED)
                continue
            }
            copier.copy(windows[i], bitmaps[i]) { result -> frame.copied(i, result) }
        }
        // Still on the main thread, after every request: a copy that was a draw (below API 26,
        // Robolectric) and moved a view while drawing it left its window dirty.
        frame.changedByCopy = windows.any { PendingChange.at(it.root) }
        frame.requested()
    }

    /**
     * One frame between its walk and its copies: every copy's result, then the main thread's
     * word that all were requested ([requested]); whichever comes last posts [finish] to the
     * capture thread (never run on the main thread, never twice).
     */
    private inner class Pending(
        val windows: List<AppWindow>, val bitmaps: Array<Bitmap>, val drawsAtWalk: LongArray,
        val w: Int, val h: Int, val scale: Float, val tree: TreeFlattener.Result,
        val deliver: (CapturedFrame?) -> Unit,
    ) {
        val results = arrayOfNulls<PixelCopier.Copy>(windows.size)
        @Volatile var changedByCopy = false
        private val outstanding = AtomicInteger(windows.size + 1)

        fun copied(i: Int, result: PixelCopier.Copy) {
            results[i] = result
            done()
        }

        fun requested() = done()

        private fun done() {
            if (outstanding.decrementAndGet() == 0) handler.post { finish(this) }
        }
    }

    /** Capture thread: every copy is in. Never throws (this thread must not die). */
    private fun finish(p: Pending) {
        val frame: CapturedFrame? = try {
            composite(p)
        } catch (e: OutOfMemoryError) {
            stats.outOfMemory.incrementAndGet()
            null
        } catch (e: Throwable) {
            stats.caught(e)
            null
        }
        try {
            p.deliver(frame)
        } catch (e: Throwable) {
            stats.caught(e)
        }
    }

    /** The frame from every window's copy, or null (counted) when it must not be recorded. */
    private fun composite(p: Pending): CapturedFrame? {
        val windows = p.windows
        // Counted by the copier, with what was thrown.
        if (p.results.any { it == PixelCopier.Copy.THREW }) return null
        if (!p.results.all { it == PixelCopier.Copy.COPIED }) {
            stats.copyFailed.incrementAndGet()
            return null
        }
        if (p.changedByCopy || windows.indices.any { drawCounter(windows[it].root).get() != p.drawsAtWalk[it] }) {
            stats.drawnDuringCopy.incrementAndGet()
            return null
        }
        val w = p.w
        val h = p.h
        val out = screen?.takeIf { it.width == w && it.height == h } ?: Bitmap.createBitmap(w, h, Bitmap.Config.ARGB_8888).also { screen = it }
        val canvas = Canvas(out)
        canvas.drawColor(Color.BLACK)
        val px = p.scale / windows[0].root.resources.displayMetrics.density
        for (i in windows.indices) {
            val win = windows[i]
            if (win.dimBehind > 0f) canvas.drawColor(Color.argb((win.dimBehind * 255).toInt().coerceIn(0, 255), 0, 0, 0))
            if (win.secure) {
                canvas.save()
                canvas.clipRect(win.screenX * px, win.screenY * px, (win.screenX + win.root.width) * px, (win.screenY + win.root.height) * px)
                canvas.drawColor(Color.BLACK)
                canvas.restore()
            } else {
                canvas.drawBitmap(p.bitmaps[i], win.screenX * px, win.screenY * px, paint)
            }
        }
        val size = out.byteCount
        val buffer = pixels?.takeIf { it.capacity() == size } ?: ByteBuffer.allocateDirect(size).also { pixels = it }
        val format = PixelOrder.copy(out, buffer) ?: run {
            stats.unknownPixelOrder.incrementAndGet()
            return null
        }
        return CapturedFrame(buffer, w, h, w * 4, format, p.scale, p.tree)
    }

    /** The reused bitmap of window slot [i], the window's size at [pxPerPx] screen px. */
    private fun windowBitmap(i: Int, win: AppWindow, pxPerPx: Float): Bitmap {
        val bw = (win.root.width * pxPerPx).toInt().coerceAtLeast(1)
        val bh = (win.root.height * pxPerPx).toInt().coerceAtLeast(1)
        while (windowBitmaps.size <= i) windowBitmaps.add(null)
        val reuse = windowBitmaps[i]?.takeIf { it.width == bw && it.height == bh }
        if (reuse != null) return reuse
        return Bitmap.createBitmap(bw, bh, Bitmap.Config.ARGB_8888).also { windowBitmaps[i] = it }
    }

    /** Main thread (install); read on either. */
    private fun drawCounter(root: View): AtomicLong = synchronized(draws) {
        draws.getOrPut(root) {
            AtomicLong().also { counter ->
                root.viewTreeObserver.addOnDrawListener(ViewTreeObserver.OnDrawListener { counter.incrementAndGet() })
            }
        }
    }

    private companion object {
        val EMPTY: ByteBuffer = ByteBuffer.allocateDirect(0)
    }
}

/**
 * The screen as the walk's root: every window's tree, bottom first (the core's masks then
 * cover a private field in any window). A `FLAG_SECURE` window is one secure region.
 */
private class ScreenNode(
    override val width: Float,
    override val height: Float,
    private val windows: List<AppWindow>,
    private val walk: WalkContext,
) : ViewLike {
    override val className get() = "Screen"
    override val x get() = 0f
    override val y get() = 0f
    override val kind get() = NodeKind.CONTAINER
    override val tag: String? get() = null
    override val visible get() = true
    override val stableId: ULong get() = SCREEN_ID
    override val children: List<ViewLike> get() = windows.map { win ->
        if (win.secure) SecureWindow(win, walk.density) else AndroidView.root(win.root, walk, win.screenX, win.screenY)
    }

    private companion object {
        const val SCREEN_ID: ULong = 0x200_0000_0000uL
    }
}

/** A window the platform blacks out of every copy: described as one secure region. */
private class SecureWindow(private val win: AppWindow, private val density: Float) : ViewLike {
    override val identity: Any get() = win.root
    override val className get() = "SecureWindow"
    override val x get() = win.screenX / density
    override val y get() = win.screenY / density
    override val width get() = win.root.width / density
    override val height get() = win.root.height / density
    override val kind get() = NodeKind.SECURE_INPUT
    override val tag: String? get() = null
    override val visible get() = true
    override val children: List<ViewLike> get() = emptyList()
}
