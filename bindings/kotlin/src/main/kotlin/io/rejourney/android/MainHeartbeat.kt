package io.rejourney.android

import android.os.Handler

/**
 * The ANR watchdog's heartbeat, from the main looper's own timer every [PERIOD_MS]: the core
 * reports a silence beyond its threshold as a hang. It beats whatever capture does (a capture
 * interval of seconds, replay off, a paused capture), since only a stalled main thread may
 * stop it. Restartable: a second [start] replaces the first timer.
 */
internal class MainHeartbeat(private val main: Handler, private val core: () -> uniffi.rejourney_core.Rejourney?) {
    private var generation = 0

    /** Main thread. */
    fun start() {
        val mine = ++generation
        val beat = object : Runnable {
            override fun run() {
                if (mine != generation) return
                runCatching { core()?.heartbeat() }
                main.postDelayed(this, PERIOD_MS)
            }
        }
        main.post(beat)
    }

    /** Main thread. */
    fun stop() {
        generation++
    }

    companion object {
        /** Well inside the core's ANR threshold (seconds), cheap on the main thread. */
        const val PERIOD_MS = 500L
    }
}
