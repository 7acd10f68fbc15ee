package io.rejourney.core

import uniffi.rejourney_core.MaskTag
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.ViewNode

/** A view as the walk sees it; the Android adapter implements it over `android.view.View`. */
interface ViewLike {
    val className: String
    /** Frame in points (dp), window coordinates. */
    val x: Float
    val y: Float
    val width: Float
    val height: Float
    val kind: NodeKind
    /** `rj-mask`, `rj-unmask` or anything else. */
    val tag: String?
    val visible: Boolean
    val children: List<ViewLike>
    /** Test id / accessibility identifier (Android: the view id's resource name). */
    val testId: String? get() = null
    /** A text input's content length; the content itself is never reported. */
    val textLength: UInt? get() = null
    /**
     * The object app code registers masks on: the platform view behind a wrapper. Wrappers are
     * rebuilt every walk, so registrations and ids must key on this, not on the wrapper.
     */
    val identity: Any get() = this
    /** An id the platform keeps stable across walks (Compose semantics ids), if any. */
    val stableId: ULong? get() = null
    /**
     * The view is being moved by an animation its geometry does not report (Android: a
     * running legacy `Animation`, applied at draw time only).
     */
    val animating: Boolean get() = false
}

/**
 * Flattens a view tree into the pre-order `ViewNode` list the core expects (each node names
 * its parent's index). Invisible subtrees are skipped. A node budget and a time budget bound
 * the main-thread cost of the walk; when either runs out the list is marked
 * [Result.truncated] and [CaptureLoop] sends it as a partial frame, which the core drops:
 * privacy fails closed when part of the screen was never examined. An invisible root gives
 * an empty list, and the loop captures no frame for it. When a view that may be masked (a
 * [privateKinds] kind or an `rj-mask` tag), or one of its ancestors, is [ViewLike.animating],
 * the result is [Result.animating] and the loop skips the frame: its masks would sit where
 * the layout says, not where the animation draws it.
 */
class TreeFlattener(
    private val registry: MaskRegistry,
    private val maxNodes: Int = 2_000,
    private val maxNanos: Long = 8_000_000,
    private val nanoTime: () -> Long = System::nanoTime,
    private val privateKinds: Set<NodeKind> = DEFAULT_PRIVATE_KINDS,
) {
    data class Result(val nodes: List<ViewNode>, val truncated: Boolean, val animating: Boolean = false)

    fun flatten(root: ViewLike): Result {
        val out = ArrayList<ViewNode>(64)
        // Per node: it or an ancestor is moving.
        val moving = ArrayList<Boolean>(64)
        var truncated = false
        val deadline = nanoTime() + maxNanos
        // Explicit stack: deep hierarchies must not overflow the thread's stack.
        val stack = ArrayDeque<Pair<ViewLike, UInt?>>()
        stack.addLast(root to null)
        while (stack.isNotEmpty()) {
            val (v, parent) = stack.removeLast()
            if (!v.visible) continue
            // The clock is read every 64 nodes: cheap, and bounds the overshoot.
            if (out.size >= maxNodes || (out.size % 64 == 63 && nanoTime() > deadline)) {
                truncated = true
                break
            }
            val index = out.size.toUInt()
            val kind = v.kind
            val tag = registry.tagFor(v.identity, v.tag, v.className)
            out.add(
                ViewNode(
                    parent = parent,
                    className = v.className,
                    x = v.x, y = v.y, width = v.width, height = v.height,
                    kind = kind,
                    tag = tag,
                    viewId = v.stableId ?: System.identityHashCode(v.identity).toULong(),
                    testId = v.testId,
                    textLength = v.textLength,
                ),
            )
            val moves = v.animating || (parent != null && moving[parent.toInt()])
            moving.add(moves)
            // A moving maskable view: the frame will not be sent, the walk can stop. (Only its
            // own and its ancestors' animations count: a cursor blinks inside its field's mask.)
            if (moves && (kind in privateKinds || tag == MaskTag.MASK)) return Result(out, false, animating = true)
            // Push children in reverse so they pop in order (pre-order, left to right).
            for (i in v.children.indices.reversed()) stack.addLast(v.children[i] to index)
        }
        return Result(out, truncated)
    }

    companion object {
        /** The kinds the core masks by default or by option (text and images only by option). */
        val DEFAULT_PRIVATE_KINDS: Set<NodeKind> =
            setOf(NodeKind.TEXT_INPUT, NodeKind.SECURE_INPUT, NodeKind.CAMERA, NodeKind.WEB_VIEW, NodeKind.VIDEO)
    }
}
