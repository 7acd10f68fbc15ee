package io.rejourney.core

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
}

/**
 * Flattens a view tree into the pre-order `ViewNode` list the core expects (each node names
 * its parent's index). Invisible subtrees are skipped. A node budget bounds the main-thread
 * cost of the walk; when it is hit the list is marked [Result.truncated] so the caller can
 * fail closed (the core masks what it cannot see only if told; see [CaptureLoop]).
 */
class TreeFlattener(private val registry: MaskRegistry, private val maxNodes: Int = 2_000) {
    data class Result(val nodes: List<ViewNode>, val truncated: Boolean)

    fun flatten(root: ViewLike): Result {
        val out = ArrayList<ViewNode>(64)
        var truncated = false
        // Explicit stack: deep hierarchies must not overflow the thread's stack.
        val stack = ArrayDeque<Pair<ViewLike, UInt?>>()
        stack.addLast(root to null)
        while (stack.isNotEmpty()) {
            val (v, parent) = stack.removeLast()
            if (!v.visible) continue
            if (out.size >= maxNodes) {
                truncated = true
                break
            }
            val index = out.size.toUInt()
            out.add(
                ViewNode(
                    parent = parent,
                    className = v.className,
                    x = v.x, y = v.y, width = v.width, height = v.height,
                    kind = v.kind,
                    tag = registry.tagFor(v, v.tag, v.className),
                ),
            )
            // Push children in reverse so they pop in order (pre-order, left to right).
            for (i in v.children.indices.reversed()) stack.addLast(v.children[i] to index)
        }
        return Result(out, truncated)
    }
}
