package io.rejourney.android

import android.os.Build
import android.view.View
import android.view.Window
import android.view.WindowManager

/** One window the app shows: its root view, where it is on screen, how it is drawn. */
internal class AppWindow(val root: View, val screenX: Int, val screenY: Int) {
    val params: WindowManager.LayoutParams? = root.layoutParams as? WindowManager.LayoutParams
    /** The platform blacks this window out of every copy (and so do we). */
    val secure: Boolean get() = (params?.flags ?: 0) and WindowManager.LayoutParams.FLAG_SECURE != 0
    /** The compositor dims what is behind it (dialogs): drawn the same way in the frame. */
    val dimBehind: Float get() =
        params?.takeIf { it.flags and WindowManager.LayoutParams.FLAG_DIM_BEHIND != 0 }?.dimAmount ?: 0f
    /** The `Window` behind an Activity's or a Dialog's decor view, when it has one. */
    val window: Window? get() = WindowRoots.windowOf(root)
}

/**
 * Every window of the app, bottom to top: the Activity's, dialogs', bottom sheets', popups'.
 * Each is a separate root view registered with the process's window manager, which lists them
 * in the order they were added (the order the compositor stacks an app's windows).
 * API 29+ reads them through `WindowInspector`; older releases through `WindowManagerGlobal`
 * by reflection. Null when they cannot be listed: the caller then captures nothing, since a
 * frame that may miss a window (a dialog's password field) cannot be trusted.
 */
internal object WindowRoots {
    private val globalViews: (() -> List<View>?)? by lazy(LazyThreadSafetyMode.NONE) {
        runCatching {
            val cls = Class.forName("android.view.WindowManagerGlobal")
            val instance = cls.getMethod("getInstance").invoke(null)
            val field = cls.getDeclaredField("mViews").apply { isAccessible = true }
            val get: () -> List<View>? = { @Suppress("UNCHECKED_CAST") (field.get(instance) as? List<View>)?.toList() }
            get
        }.getOrNull()
    }
    private val decorWindow by lazy(LazyThreadSafetyMode.NONE) {
        runCatching {
            Class.forName("com.android.internal.policy.DecorView").getDeclaredField("mWindow").apply { isAccessible = true }
        }.getOrNull()
    }

    /** The visible, laid-out windows, bottom first; null when they cannot be listed. */
    fun visible(): List<AppWindow>? {
        val views = try {
            if (Build.VERSION.SDK_INT >= 29) {
                android.view.inspector.WindowInspector.getGlobalWindowViews()
            } else {
                globalViews?.invoke()
            }
        } catch (e: Exception) {
            null
        } ?: return null
        val loc = IntArray(2)
        val out = ArrayList<AppWindow>(views.size)
        for (root in views) {
            if (root.windowToken == null || !root.isShown || root.width <= 0 || root.height <= 0) continue
            root.getLocationOnScreen(loc)
            out.add(AppWindow(root, loc[0], loc[1]))
        }
        return out
    }

    /** The PhoneWindow an Activity's or Dialog's decor view belongs to. */
    fun windowOf(root: View): Window? =
        runCatching { decorWindow?.takeIf { it.declaringClass.isInstance(root) }?.get(root) as? Window }.getOrNull()
}
