package io.rejourney.android

import android.view.View

/**
 * Whether a window has a change its pixels do not show yet: a layout requested, or a view
 * invalidated (moved, resized, restyled) and not drawn since. The window's copy holds its last
 * draw, so a walk made while a change is pending describes other pixels than the copy's.
 *
 * Read from the window's `ViewRootImpl`: every invalidation and layout request schedules its
 * traversal, and the traversal (which draws) clears the flag. When that private field cannot be
 * read (hidden-API rules of a release), `View.isDirty` on the root says the same on a device
 * (every invalidation sets it up the parent chain; the draw clears it). Robolectric never draws
 * through `ViewRootImpl` (its surface is not valid), so there `isDirty` stays set after the
 * first draw and only the traversal flag is meaningful.
 */
internal object PendingChange {
    private val viewRoot by lazy(LazyThreadSafetyMode.PUBLICATION) {
        runCatching { View::class.java.getMethod("getViewRootImpl") }.getOrNull()
    }
    private val scheduled by lazy(LazyThreadSafetyMode.PUBLICATION) {
        runCatching {
            Class.forName("android.view.ViewRootImpl").getDeclaredField("mTraversalScheduled").apply { isAccessible = true }
        }.getOrNull()
    }

    /** Main thread. */
    fun at(root: View): Boolean = root.isLayoutRequested || (traversalScheduled(root) ?: root.isDirty)

    private fun traversalScheduled(root: View): Boolean? {
        val field = scheduled ?: return null
        val method = viewRoot ?: return null
        return try {
            val impl = method.invoke(root) ?: return null
            field.getBoolean(impl)
        } catch (e: Exception) {
            null
        }
    }
}
