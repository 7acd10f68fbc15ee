package io.rejourney.android

import android.graphics.Matrix
import android.graphics.RectF
import android.os.Build
import android.view.SurfaceView
import android.view.TextureView
import android.view.View
import android.view.ViewGroup
import android.webkit.WebView
import android.widget.EditText
import android.widget.ImageView
import android.widget.TextView
import android.widget.VideoView
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.ViewLike
import uniffi.rejourney_core.NodeKind

/**
 * An Android view as the platform-free walk sees it, in screen dp. Its bounds are the view's
 * rectangle mapped through every transform that draws it (its own and its ancestors' scale,
 * rotation and translation, scrolling, the window's position), as the axis-aligned box around
 * the result: a scaled or rotated card's input is masked where it is drawn, not where its
 * layout put it. Each wrapper computes its own matrix from its parent's once, so the walk
 * is linear in the number of views.
 */
internal class AndroidView(
    private val v: View,
    private val walk: WalkContext,
    /** Maps this view's local pixels to screen pixels. */
    private val toScreen: Matrix,
    /** An ancestor is moving: so is everything it draws. */
    private val ancestorMoving: Boolean,
) : ViewLike {
    private val bounds = RectF(0f, 0f, v.width.toFloat(), v.height.toFloat()).also { toScreen.mapRect(it) }
    /** Compose content under this view, if it hosts any; a failure to read it masks the view. */
    private val compose: Result<ViewLike?> = runCatching { ComposeSupport.root(v, walk.density) }
    private val moving: Boolean = ancestorMoving || walk.isMoving(v)

    override val identity: Any get() = v
    override val className: String get() = v.javaClass.name
    override val x get() = bounds.left / walk.density
    override val y get() = bounds.top / walk.density
    override val width get() = bounds.width() / walk.density
    override val height get() = bounds.height() / walk.density
    /**
     * Masked whole when its pixels cannot be trusted: a Compose host that could not be read,
     * or a SurfaceView (a VideoView, a GLSurfaceView), whose content is on a surface of its
     * own that its window's copy never holds (the copy shows the hole or stale pixels there).
     * A TextureView draws into its window, so the copy holds it and its kind (video) decides.
     */
    override val tag: String? get() =
        if (compose.isFailure || v is SurfaceView) MaskRegistry.MASK_TAG else v.tag as? String
    override val testId: String? get() = walk.idName(v)
    override val textLength: UInt? get() = (v as? EditText)?.text?.length?.toUInt()
    /** The walk never enters an invisible parent, so the view's own flags decide. */
    override val visible get() = v.visibility == View.VISIBLE && v.alpha > 0f
    override val animating: Boolean get() = moving
    override val kind: NodeKind get() = kindOf(v)

    override val children: List<ViewLike> get() {
        val group = v as? ViewGroup
        val count = group?.childCount ?: 0
        val composeRoot = compose.getOrNull()
        val out = ArrayList<ViewLike>(count + if (composeRoot != null) 1 else 0)
        if (composeRoot != null) out.add(composeRoot)
        if (group == null) return out
        val childrenMoving = moving || group.layoutTransition?.isRunning == true
        for (i in 0 until count) {
            val child = group.getChildAt(i) ?: continue
            out.add(AndroidView(child, walk, childMatrix(group, child), childrenMoving))
        }
        return out
    }

    /** The parent's matrix, then the child's offset in it, then the child's own transform. */
    private fun childMatrix(parent: ViewGroup, child: View): Matrix {
        val m = Matrix(toScreen)
        m.preTranslate((child.left - parent.scrollX).toFloat(), (child.top - parent.scrollY).toFloat())
        val own = child.matrix
        if (!own.isIdentity) m.preConcat(own)
        return m
    }

    companion object {
        /** A window's root view, placed at its window's position on screen. */
        fun root(root: View, walk: WalkContext, screenX: Int, screenY: Int): AndroidView {
            val m = Matrix()
            m.setTranslate(screenX.toFloat(), screenY.toFloat())
            val own = root.matrix
            if (!own.isIdentity) m.preConcat(own)
            return AndroidView(root, walk, m, false)
        }

        fun kindOf(v: View): NodeKind = when (v) {
            is EditText -> if (isPassword(v)) NodeKind.SECURE_INPUT else NodeKind.TEXT_INPUT
            is WebView -> NodeKind.WEB_VIEW
            is VideoView -> NodeKind.VIDEO
            is SurfaceView -> NodeKind.CAMERA // camera previews and other secure surfaces
            is TextureView -> NodeKind.VIDEO
            is TextView -> NodeKind.TEXT
            is ImageView -> NodeKind.IMAGE
            is ViewGroup -> NodeKind.CONTAINER
            else -> NodeKind.OTHER
        }

        private fun isPassword(e: EditText): Boolean {
            val type = e.inputType
            val variation = type and android.text.InputType.TYPE_MASK_VARIATION
            val cls = type and android.text.InputType.TYPE_MASK_CLASS
            return when (cls) {
                android.text.InputType.TYPE_CLASS_NUMBER ->
                    variation == android.text.InputType.TYPE_NUMBER_VARIATION_PASSWORD
                android.text.InputType.TYPE_CLASS_TEXT ->
                    variation == android.text.InputType.TYPE_TEXT_VARIATION_PASSWORD ||
                        variation == android.text.InputType.TYPE_TEXT_VARIATION_WEB_PASSWORD ||
                        variation == android.text.InputType.TYPE_TEXT_VARIATION_VISIBLE_PASSWORD
                else -> false
            } || e.transformationMethod is android.text.method.PasswordTransformationMethod
        }
    }
}

/** What one walk shares across its views: density, id names, animation probes. */
internal class WalkContext(val density: Float) {
    /** Resource entry names by id: a lookup per view per frame is a resource-table search. */
    private val idNames = HashMap<Int, String?>()

    fun idName(v: View): String? {
        val id = v.id
        if (id == View.NO_ID || id <= 0) return null
        return idNames.getOrPut(id) { runCatching { v.resources.getResourceEntryName(id) }.getOrNull() }
    }

    /**
     * Whether anything is moving [v] that its geometry may not show at draw time: a legacy
     * `Animation` (applied at draw only), a `ViewPropertyAnimator` in flight, transient state
     * (set by framework transitions and animators), an animation matrix (API 29+).
     */
    fun isMoving(v: View): Boolean =
        v.animation?.let { it.hasStarted() && !it.hasEnded() } == true ||
            v.hasTransientState() ||
            (Build.VERSION.SDK_INT >= 29 && v.animationMatrix != null) ||
            Animators.running(v)
}

/**
 * A running `ViewPropertyAnimator` (`view.animate()`) changes translation, scale and rotation
 * every frame without marking the view: read its pending and running animations by
 * reflection. If the fields cannot be read, the draw check in [WindowCapture] still drops
 * frames drawn while the walk's picture is copied.
 */
internal object Animators {
    private val animatorField = field(View::class.java, "mAnimator")
    private val vpa = android.view.ViewPropertyAnimator::class.java
    private val pendingField = field(vpa, "mPendingAnimations")
    private val runningField = field(vpa, "mAnimatorMap")

    fun running(v: View): Boolean {
        val f = animatorField ?: return false
        return try {
            val animator = f.get(v) ?: return false
            ((pendingField?.get(animator) as? Collection<*>)?.isNotEmpty() == true) ||
                ((runningField?.get(animator) as? Map<*, *>)?.isNotEmpty() == true)
        } catch (e: Exception) {
            false
        }
    }

    private fun field(cls: Class<*>, name: String) =
        runCatching { cls.getDeclaredField(name).apply { isAccessible = true } }.getOrNull()
}
