package io.rejourney.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import android.view.MotionEvent
import android.view.Window
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import uniffi.rejourney_core.TouchSummary

/** App foreground/background and touches, reported to the core (which pauses capture). */
internal object LifecycleHooks {
    fun install(app: Application, core: uniffi.rejourney_core.Rejourney, capture: WindowCapture) {
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) { core.appForegrounded(System.currentTimeMillis().toULong()) }
            override fun onStop(owner: LifecycleOwner) { core.appBackgrounded(System.currentTimeMillis().toULong()) }
        })
        app.registerActivityLifecycleCallbacks(object : Application.ActivityLifecycleCallbacks {
            override fun onActivityCreated(a: Activity, b: Bundle?) {
                val window = a.window ?: return
                val inner = window.callback ?: return
                if (inner !is TouchCallback) {
                    window.callback = TouchCallback(inner, core, a.resources.displayMetrics.density)
                }
            }
            override fun onActivityStarted(a: Activity) {}
            override fun onActivityResumed(a: Activity) {}
            override fun onActivityPaused(a: Activity) {}
            override fun onActivityStopped(a: Activity) {}
            override fun onActivitySaveInstanceState(a: Activity, b: Bundle) {}
            override fun onActivityDestroyed(a: Activity) {}
        })
    }
}

/**
 * Forwards every call, observing touches: down/up so the core can hold capture during
 * gestures, and the gesture itself (tap, long press, swipe, pinch at its position in dp) for the
 * event stream, where the core finds rage taps and dead taps.
 */
private class TouchCallback(
    private val inner: Window.Callback,
    private val core: uniffi.rejourney_core.Rejourney,
    private val density: Float,
) : Window.Callback by inner {
    private var downX = 0f
    private var downY = 0f
    private var downAt = 0L
    private var maxPointers = 1

    override fun dispatchTouchEvent(event: MotionEvent?): Boolean {
        if (event != null) runCatching { observe(event) }
        return inner.dispatchTouchEvent(event)
    }

    private fun observe(event: MotionEvent) {
        when (event.actionMasked) {
            MotionEvent.ACTION_DOWN -> {
                downX = event.x
                downY = event.y
                downAt = event.eventTime
                maxPointers = 1
                core.touchBegan()
            }
            MotionEvent.ACTION_POINTER_DOWN -> maxPointers = maxOf(maxPointers, event.pointerCount)
            MotionEvent.ACTION_UP -> {
                val now = System.currentTimeMillis()
                core.touchEnded(now.toULong())
                // The core classifies (the same thresholds on every platform); positions in dp.
                val touch = TouchSummary(
                    downX / density, downY / density, event.x / density, event.y / density,
                    (event.eventTime - downAt).coerceAtLeast(0).toULong(), maxPointers.toUInt(),
                )
                core.trackTouch(now.toULong(), touch, null)
            }
            MotionEvent.ACTION_CANCEL -> core.touchEnded(System.currentTimeMillis().toULong())
        }
    }
}
