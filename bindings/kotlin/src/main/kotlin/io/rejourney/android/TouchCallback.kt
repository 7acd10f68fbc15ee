package io.rejourney.android

import android.view.MotionEvent
import android.view.Window
import uniffi.rejourney_core.TouchSummary

/**
 * Forwards every call, observing touches: down/up so the core can hold capture during
 * gestures, and the gesture itself (tap, long press, swipe, pinch at its position in screen
 * dp) for the event stream, where the core finds rage taps and dead taps. It reads the core
 * at each touch, so a restart with new options needs no new hook.
 */
internal class TouchCallback(
    val inner: Window.Callback,
    private val core: () -> uniffi.rejourney_core.Rejourney?,
    private val density: Float,
    private val stats: CaptureStats,
) : Window.Callback by inner {
    private var downX = 0f
    private var downY = 0f
    private var downAt = 0L
    private var maxPointers = 1

    override fun dispatchTouchEvent(event: MotionEvent?): Boolean {
        if (event != null) {
            try {
                observe(event)
            } catch (e: Throwable) {
                // Never let the recorder break the app's touch handling: an Error too (the
                // bindings' NoClassDefFoundError when the native library is gone, an OOM).
                stats.caught(e)
            }
        }
        return inner.dispatchTouchEvent(event)
    }

    private fun observe(event: MotionEvent) {
        val core = core() ?: return
        when (event.actionMasked) {
            MotionEvent.ACTION_DOWN -> {
                downX = event.rawX
                downY = event.rawY
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
                    downX / density, downY / density, event.rawX / density, event.rawY / density,
                    (event.eventTime - downAt).coerceAtLeast(0).toULong(), maxPointers.toUInt(),
                )
                core.trackTouch(now.toULong(), touch, null)
            }
            MotionEvent.ACTION_CANCEL -> core.touchEnded(System.currentTimeMillis().toULong())
        }
    }

    companion object {
        /** Wraps [window]'s callback once (a window already hooked is left alone). */
        fun hook(window: Window, density: Float, stats: CaptureStats, core: () -> uniffi.rejourney_core.Rejourney?): Boolean {
            val inner = window.callback ?: return false
            if (inner is TouchCallback) return false
            window.callback = TouchCallback(inner, core, density, stats)
            return true
        }
    }
}
