package io.rejourney.sdk

import uniffi.rejourney_core.CaptureDecision
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
    /** The developer's tag string (`android:tag`, a Compose test tag), reported as is. */
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
     * running legacy `Animation`, applied at draw time only). The core decides what follows.
     */
    val animating: Boolean get() = false
}

/**
 * What the core asks of one capture, from its tick decision: how much of the tree the walk
 * may visit ([maxNodes], [maxNanos]), how many pixels per dp to draw ([scale]), and at what
 * size the walk's string table starts over ([resetStrings], [resetBytes]; never by default).
 */
data class CaptureRequest(
    val maxNodes: Int,
    val maxNanos: Long,
    val scale: Float = 1f,
    val resetStrings: Int = Int.MAX_VALUE,
    val resetBytes: Long = Long.MAX_VALUE,
) {
    companion object {
        fun of(decision: CaptureDecision) = CaptureRequest(
            decision.walkMaxNodes.toInt().coerceAtLeast(1),
            (decision.walkBudgetMs * 1_000_000).toLong().coerceAtLeast(1),
            decision.captureScale,
            decision.stringsResetStrings.coerceAtMost(Int.MAX_VALUE.toUInt()).toInt(),
            decision.stringsResetBytes.coerceAtMost(Long.MAX_VALUE.toULong()).toLong(),
        )
    }
}

/**
 * Flattens a view tree into the pre-order `ViewNode` list the core expects (each node names
 * its parent's index), reporting what the platform sees and deciding nothing: invisible
 * subtrees are not walked (they draw nothing), and when the core's [CaptureRequest] runs out the
 * result is [Result.truncated], which [CaptureLoop] sends as a partial frame that the core
 * drops (privacy fails closed when part of the screen was never examined).
 *
 * Class names, test ids and tags go into [strings] and nodes name them by index: one table
 * for every walk of this flattener, so a screen's strings cross the FFI once (see
 * [NodeStringTable]). The frames of one flattener go to one core.
 */
class TreeFlattener(
    private val registry: MaskRegistry,
    private val nanoTime: () -> Long = System::nanoTime,
    val strings: NodeStringTable = NodeStringTable(),
) {
    /** A walk: its nodes, whether it was cut short, and the table their string indices name. */
    class Result(val nodes: List<ViewNode>, val truncated: Boolean, val strings: NodeStringTable)

    fun flatten(root: ViewLike, budget: CaptureRequest): Result {
        strings.resetIfFull(budget.resetStrings, budget.resetBytes)
        val out = ArrayList<ViewNode>(64)
        val deadline = nanoTime() + budget.maxNanos
        // Explicit stack: deep hierarchies must not overflow the thread's stack.
        val stack = ArrayDeque<Pair<ViewLike, UInt?>>()
        stack.addLast(root to null)
        while (stack.isNotEmpty()) {
            val (v, parent) = stack.removeLast()
            if (!v.visible) continue
            // The clock is read every 64 nodes: cheap, and bounds the overshoot.
            if (out.size >= budget.maxNodes || (out.size % 64 == 63 && nanoTime() > deadline)) {
                return Result(out, true, strings)
            }
            val index = out.size.toUInt()
            out.add(
                ViewNode(
                    parent = parent,
                    classIndex = strings.intern(v.className),
                    x = v.x, y = v.y, width = v.width, height = v.height,
                    kind = v.kind,
                    tag = registry.tagFor(v.identity),
                    viewId = v.stableId ?: System.identityHashCode(v.identity).toULong(),
                    testIdIndex = v.testId?.let(strings::intern),
                    textLength = v.textLength,
                    maskHintIndex = v.tag?.let(strings::intern),
                    animating = v.animating,
                ),
            )
            // Push children in reverse so they pop in order (pre-order, left to right). The
            // list is read once: a platform wrapper may build it on each read, and reading it
            // per index made the walk quadratic in the number of siblings.
            val children = v.children
            for (i in children.indices.reversed()) stack.addLast(children[i] to index)
        }
        return Result(out, false, strings)
    }
}
