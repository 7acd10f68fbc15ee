package io.rejourney.android

import android.app.Activity
import android.app.Application
import android.graphics.Bitmap
import android.os.Bundle
import android.view.PixelCopy
import android.view.View
import android.view.ViewGroup
import android.view.SurfaceView
import android.webkit.WebView
import android.widget.EditText
import android.widget.ImageView
import android.widget.TextView
import android.widget.VideoView
import io.rejourney.sdk.CapturedFrame
import io.rejourney.sdk.FrameSource
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.TreeFlattener
import io.rejourney.sdk.ViewLike
import io.rejourney.sdk.CaptureRequest
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.PixelFormat
import java.lang.ref.WeakReference
import java.nio.ByteBuffer

/**
 * Reads the top Activity's window at the capture scale and walks its view tree. Runs on the
 * main thread when the core asks for a frame; everything else happens in Rust.
 */
internal class WindowCapture(
    app: Application,
    masks: MaskRegistry,
) : FrameSource {
    private var top: WeakReference<Activity>? = null
    /** One walk, one string table, for every frame of this capture (they go to one core). */
    private val flattener = TreeFlattener(masks)
    /** Reused while the size holds: the core copies the pixels during the call. */
    private var pixels: ByteBuffer? = null

    init {
        app.registerActivityLifecycleCallbacks(object : Application.ActivityLifecycleCallbacks {
            override fun onActivityResumed(a: Activity) { top = WeakReference(a) }
            override fun onActivityPaused(a: Activity) { if (top?.get() === a) top = null }
            override fun onActivityCreated(a: Activity, b: Bundle?) {}
            override fun onActivityStarted(a: Activity) {}
            override fun onActivityStopped(a: Activity) {}
            override fun onActivitySaveInstanceState(a: Activity, b: Bundle) {}
            override fun onActivityDestroyed(a: Activity) {}
        })
    }

    override fun capture(request: CaptureRequest): CapturedFrame? {
        val scale = request.scale
        val activity = top?.get() ?: return null
        val root = activity.window?.decorView ?: return null
        if (root.width == 0 || root.height == 0) return null
        val density = root.resources.displayMetrics.density
        val (widthDp, heightDp) = root.width / density to root.height / density
        val w = (widthDp * scale).toInt().coerceAtLeast(1)
        // The core places masks with one px-per-point scale: the one of the buffer actually
        // produced (the width is truncated to whole pixels), and the height drawn at it.
        val bufferScale = w / widthDp
        val h = Math.round(heightDp * bufferScale).coerceAtLeast(1)
        // The walk first: a frame the loop will not send (nothing visible, a walk cut short)
        // needs no pixels.
        val tree = flattener.flatten(AndroidView(root, density), request)
        if (tree.truncated || tree.nodes.isEmpty()) {
            return CapturedFrame(ByteBuffer.allocateDirect(0), 0, 0, 0, PixelFormat.RGBA, bufferScale, tree)
        }
        val bitmap = Bitmap.createBitmap(w, h, Bitmap.Config.ARGB_8888)
        val canvas = android.graphics.Canvas(bitmap)
        canvas.scale(bufferScale / density, bufferScale / density)
        root.draw(canvas) // Software draw; PixelCopy is used for SurfaceViews when available.
        val size = bitmap.byteCount
        val buffer = pixels?.takeIf { it.capacity() == size } ?: ByteBuffer.allocateDirect(size).also { pixels = it }
        buffer.clear()
        bitmap.copyPixelsToBuffer(buffer) // ARGB_8888 is RGBA in memory.
        buffer.flip()
        bitmap.recycle()
        return CapturedFrame(buffer, w, h, w * 4, PixelFormat.RGBA, bufferScale, tree)
    }
}

/** An Android view as the platform-free walk sees it. */
private class AndroidView(private val v: View, private val density: Float) : ViewLike {
    private val loc = IntArray(2).also { v.getLocationInWindow(it) }
    override val identity: Any get() = v
    override val className: String get() = v.javaClass.name
    override val x get() = loc[0] / density
    override val y get() = loc[1] / density
    override val width get() = v.width / density
    override val height get() = v.height / density
    /** Compose content under this view, if it hosts any; a failure to read it masks the view. */
    private val compose: Result<ViewLike?> = runCatching { composeRoot(v, density) }
    override val tag: String? get() = if (compose.isFailure) MaskRegistry.MASK_TAG else v.tag as? String
    override val testId: String? get() =
        if (v.id == View.NO_ID) null else runCatching { v.resources.getResourceEntryName(v.id) }.getOrNull()
    override val textLength: UInt? get() = (v as? EditText)?.text?.length?.toUInt()
    override val visible get() = v.visibility == View.VISIBLE && v.isShown
    /** A legacy view `Animation` transforms the view at draw time only: its location lies. */
    override val animating: Boolean get() = v.animation?.let { it.hasStarted() && !it.hasEnded() } == true
    override val kind: NodeKind get() = when (v) {
        is EditText -> if (isPassword(v)) NodeKind.SECURE_INPUT else NodeKind.TEXT_INPUT
        is WebView -> NodeKind.WEB_VIEW
        is VideoView -> NodeKind.VIDEO
        is SurfaceView -> NodeKind.CAMERA // camera previews and other secure surfaces
        is TextView -> NodeKind.TEXT
        is ImageView -> NodeKind.IMAGE
        is ViewGroup -> NodeKind.CONTAINER
        else -> NodeKind.OTHER
    }
    override val children: List<ViewLike> get() =
        listOfNotNull(compose.getOrNull()) +
            ((v as? ViewGroup)?.let { g -> (0 until g.childCount).map { AndroidView(g.getChildAt(it), density) } } ?: emptyList())

    private fun isPassword(e: EditText): Boolean {
        val variation = e.inputType and android.text.InputType.TYPE_MASK_VARIATION
        return variation == android.text.InputType.TYPE_TEXT_VARIATION_PASSWORD ||
            variation == android.text.InputType.TYPE_TEXT_VARIATION_WEB_PASSWORD ||
            variation == android.text.InputType.TYPE_NUMBER_VARIATION_PASSWORD ||
            variation == android.text.InputType.TYPE_TEXT_VARIATION_VISIBLE_PASSWORD
    }
}
