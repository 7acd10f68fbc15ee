package io.rejourney.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import uniffi.rejourney_core.Rejourney as Core

/**
 * App foreground/background and touch hooks, from the framework alone (no androidx: an app
 * need not ship `lifecycle-process`): a count of started Activities says whether the app is
 * in the foreground, and each resumed Activity's window gets the touch hook once.
 * Registered once per process; it reads the current core at each event, so a restart with
 * new options changes nothing here. [adopt] picks up what was on screen before `start`: the
 * Activity passed to `start`, and every window already showing (their touches are hooked and
 * they count as started).
 */
internal class ActivityTracker(private val stats: CaptureStats, private val core: () -> Core?) : Application.ActivityLifecycleCallbacks {
    /** The Activities counted as started (weakly: a leaked count must not leak an Activity). */
    private val started = java.util.WeakHashMap<Activity, Unit>()
    private var registered = false

    /** Main thread: registers once, then counts and hooks what is already showing. */
    fun install(app: Application, current: Activity?) {
        if (!registered) {
            app.registerActivityLifecycleCallbacks(this)
            registered = true
        }
        if (current != null && !current.isFinishing) {
            started[current] = Unit
            hook(current)
        }
        for (win in WindowRoots.visible().orEmpty()) {
            val window = win.window ?: continue
            TouchCallback.hook(window, win.root.resources.displayMetrics.density, stats, core)
            val activity = window.callback.let { (it as? TouchCallback)?.inner ?: it } as? Activity
            if (activity != null) started[activity] = Unit
        }
    }

    /** Called from the app's lifecycle callbacks: nothing thrown here may reach the app. */
    private fun hook(a: Activity) {
        try {
            val window = a.window ?: return
            TouchCallback.hook(window, a.resources.displayMetrics.density, stats, core)
        } catch (e: Throwable) {
            stats.caught(e)
        }
    }

    override fun onActivityStarted(a: Activity) {
        val wasBackground = started.isEmpty()
        if (started.put(a, Unit) == null && wasBackground) {
            runCatching { core()?.appForegrounded(System.currentTimeMillis().toULong()) }
        }
    }

    override fun onActivityStopped(a: Activity) {
        if (started.remove(a) != null && started.isEmpty()) {
            runCatching { core()?.appBackgrounded(System.currentTimeMillis().toULong()) }
        }
    }

    override fun onActivityResumed(a: Activity) = hook(a)
    override fun onActivityCreated(a: Activity, b: Bundle?) {}
    override fun onActivityPaused(a: Activity) {}
    override fun onActivitySaveInstanceState(a: Activity, b: Bundle) {}
    override fun onActivityDestroyed(a: Activity) { started.remove(a) }
}
