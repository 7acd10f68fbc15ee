package io.rejourney.android

import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Rect
import android.os.Build
import android.os.Handler
import android.os.Looper
import android.view.PixelCopy
import android.view.Surface
import android.view.View

/**
 * Copies one window's pixels into a bitmap the size of its capture, the way the platform
 * means it: PixelCopy (API 26+) reads what the window last put on screen, SurfaceView and
 * TextureView content and hardware bitmaps included, and costs the main thread only the
 * request. The result is delivered on [handler] (the capture thread).
 * - API 34+: `PixelCopy.Request.ofWindow(view)`, any window (Activity, dialog, popup);
 * - API 26-33: the window's `Window` when it has one (Activities, dialogs), else its surface,
 *   read from the view root by reflection (popups);
 * - below 26: a software draw of the view tree on the main thread (no hardware bitmaps exist
 *   there); a draw that throws is a failed copy.
 * Every failure is reported as a [Copy] other than [Copy.COPIED] (the caller drops the frame),
 * never thrown: an `Error` too (a bitmap's, a view's draw below API 26 or under Robolectric,
 * where the copy is a draw), counted in [CaptureStats.caughtErrorCount] and reported as [Copy.THREW].
 */
internal class PixelCopier(private val handler: Handler, private val stats: CaptureStats) {
    private val executor = java.util.concurrent.Executor { handler.post(it) }

    /** How one window's copy ended. */
    enum class Copy { COPIED, FAILED, THREW }

    fun copy(window: AppWindow, bitmap: Bitmap, done: (Copy) -> Unit) {
        val finished: (Boolean) -> Unit = { ok -> done(if (ok) Copy.COPIED else Copy.FAILED) }
        try {
            when {
                Build.VERSION.SDK_INT >= 34 -> {
                    // The whole window, stated: the same on a device; under Robolectric the
                    // suite's copies failed without it.
                    val request = PixelCopy.Request.Builder.ofWindow(window.root)
                        .setSourceRect(Rect(0, 0, window.root.width, window.root.height))
                        .setDestinationBitmap(bitmap).build()
                    PixelCopy.request(request, executor) { result -> onCaptureThread { finished(result.status == PixelCopy.SUCCESS) } }
                }
                Build.VERSION.SDK_INT >= 26 -> {
                    val listener = PixelCopy.OnPixelCopyFinishedListener { status -> onCaptureThread { finished(status == PixelCopy.SUCCESS) } }
                    val w = window.window
                    val surface = if (w == null) surfaceOf(window.root) else null
                    when {
                        w != null -> PixelCopy.request(w, bitmap, listener, handler)
                        surface != null && surface.isValid -> PixelCopy.request(surface, bitmap, listener, handler)
                        else -> handler.post { finished(false) }
                    }
                }
                else -> {
                    val root = window.root
                    val canvas = Canvas(bitmap)
                    canvas.scale(bitmap.width.toFloat() / root.width, bitmap.height.toFloat() / root.height)
                    root.draw(canvas)
                    handler.post { finished(true) }
                }
            }
        } catch (e: Exception) {
            handler.post { done(Copy.FAILED) }
        } catch (e: Throwable) {
            stats.caught(e)
            handler.post { done(Copy.THREW) }
        }
    }

    /**
     * Completion always on the capture thread (compositing and encoding never on main), even
     * where a PixelCopy implementation calls back on its own thread rather than the executor's.
     */
    private fun onCaptureThread(block: () -> Unit) {
        if (Looper.myLooper() == handler.looper) block() else handler.post(block)
    }

    private fun surfaceOf(root: View): Surface? = runCatching {
        val viewRoot = View::class.java.getMethod("getViewRootImpl").invoke(root) ?: return null
        viewRoot.javaClass.getDeclaredField("mSurface").apply { isAccessible = true }.get(viewRoot) as? Surface
    }.getOrNull()
}
