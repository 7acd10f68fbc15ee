package io.rejourney.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import android.view.MotionEvent
import android.view.Window
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner

/** App foreground/background and touches, reported to the core (which pauses capture). */
internal object LifecycleHooks {
    fun install(app: Application, core: uniffi.rejourney_core.Rejourney, capture: WindowCapture) {
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) { core.appForegrounded(System.currentTimeMillis()) }
            override fun onStop(owner: LifecycleOwner) { core.appBackgrounded(System.currentTimeMillis()) }
        })
        app.registerActivityLifecycleCallbacks(object : Application.ActivityLifecycleCallbacks {
            override fun onActivityCreated(a: Activity, b: Bundle?) {
                val window = a.window ?: return
                val inner = window.callback ?: return
                if (inner !is TouchCallback) window.callback = TouchCallback(inner, core)
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

/** Forwards every call, observing touch down/up so the core can hold capture during gestures. */
private class TouchCallback(private val inner: Window.Callback, private val core: uniffi.rejourney_core.Rejourney) :
    Window.Callback by inner {
    override fun dispatchTouchEvent(event: MotionEvent?): Boolean {
        when (event?.actionMasked) {
            MotionEvent.ACTION_DOWN -> runCatching { core.touchBegan() }
            MotionEvent.ACTION_UP, MotionEvent.ACTION_CANCEL -> runCatching { core.touchEnded(System.currentTimeMillis()) }
        }
        return inner.dispatchTouchEvent(event)
    }
}
