package io.rejourney.android

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.os.BatteryManager
import android.os.Build
import android.os.Handler
import android.os.HandlerThread
import android.os.PowerManager
import uniffi.rejourney_core.DeviceState
import uniffi.rejourney_core.NetworkState
import uniffi.rejourney_core.ThermalState

/**
 * Tells the core what the phone's state is (issue 26): thermal status (API 29+), battery
 * saver, battery level and charging, and whether the default network is metered. It only
 * reports: the core's device policy decides what follows (slower or no capture, deferred
 * uploads) and counts it in its telemetry (`device`).
 *
 * Event-driven, never polled: the platform's own change notifications (the thermal listener,
 * the power-save and the sticky battery broadcasts, the default-network callback) arrive on a
 * thread of its own, which reads the state and reports it when it differs from the last
 * report. Nothing here runs on the main thread but the thermal listener's hand-off. A piece
 * the platform refuses (no permission for the network state, an API the release lacks) stays
 * at its "unknown" value, which the core treats as no constraint; anything thrown is caught
 * and counted in [CaptureStats.caughtErrorCount], never thrown into the app.
 */
internal class DeviceStateReporter(
    private val app: Context,
    private val stats: CaptureStats,
    private val core: () -> uniffi.rejourney_core.Rejourney?,
) {
    private val thread = HandlerThread("rejourney-device").apply { start() }
    private val handler = Handler(thread.looper)

    // The state as last read; touched on [thread] only.
    private var thermal = ThermalState.NOMINAL
    private var lowPower = false
    private var batteryLevel: Float? = null
    private var charging = false
    private var network = NetworkState.UNKNOWN
    /** What the core was last told (null: tell it, e.g. a new core after a restart). */
    private var reported: DeviceState? = null
    private var registered = false

    private val power get() = app.getSystemService(Context.POWER_SERVICE) as? PowerManager
    private val connectivity get() = app.getSystemService(Context.CONNECTIVITY_SERVICE) as? ConnectivityManager

    private val receiver = object : BroadcastReceiver() {
        override fun onReceive(context: Context, intent: Intent) = guarded {
            when (intent.action) {
                Intent.ACTION_BATTERY_CHANGED -> readBattery(intent)
                PowerManager.ACTION_POWER_SAVE_MODE_CHANGED -> lowPower = power?.isPowerSaveMode == true
                @Suppress("DEPRECATION") ConnectivityManager.CONNECTIVITY_ACTION -> readActiveNetwork()
            }
            report()
        }
    }

    /** Called on the main thread by the platform: hands the new status to [thread]. */
    private val thermalListener: Any? = if (Build.VERSION.SDK_INT >= 29) {
        PowerManager.OnThermalStatusChangedListener { status -> handler.post { guarded { thermal = thermalOf(status); report() } } }
    } else {
        null
    }

    private val networkCallback: ConnectivityManager.NetworkCallback? = if (Build.VERSION.SDK_INT >= 24) {
        object : ConnectivityManager.NetworkCallback() {
            override fun onCapabilitiesChanged(n: Network, caps: NetworkCapabilities) = guarded {
                network = networkOf(caps)
                report()
            }

            override fun onLost(n: Network) = guarded {
                network = NetworkState.OFFLINE
                report()
            }
        }
    } else {
        null
    }

    /** Any thread: registers (once) and reports the current state to the current core. */
    fun start() {
        handler.post {
            guarded {
                if (!registered) register()
                reported = null
                report()
            }
        }
    }

    /** Any thread: stops listening (a later [start] listens again). */
    fun stop() {
        handler.post { guarded { if (registered) unregister() } }
    }

    /** [thread]: every listener, each on its own (one the platform refuses leaves the rest). */
    private fun register() {
        registered = true
        guarded {
            val filter = IntentFilter().apply {
                addAction(Intent.ACTION_BATTERY_CHANGED)
                addAction(PowerManager.ACTION_POWER_SAVE_MODE_CHANGED)
                @Suppress("DEPRECATION") if (Build.VERSION.SDK_INT < 24) addAction(ConnectivityManager.CONNECTIVITY_ACTION)
            }
            // The battery broadcast is sticky: registering returns the current one.
            val sticky = if (Build.VERSION.SDK_INT >= 33) {
                app.registerReceiver(receiver, filter, null, handler, Context.RECEIVER_NOT_EXPORTED)
            } else {
                app.registerReceiver(receiver, filter, null, handler)
            }
            sticky?.let { if (it.action == Intent.ACTION_BATTERY_CHANGED) readBattery(it) }
        }
        guarded { lowPower = power?.isPowerSaveMode == true }
        if (Build.VERSION.SDK_INT >= 29) {
            guarded {
                val pm = power ?: return@guarded
                thermal = thermalOf(pm.currentThermalStatus)
                pm.addThermalStatusListener(thermalListener as PowerManager.OnThermalStatusChangedListener)
            }
        }
        guarded {
            readActiveNetwork()
            val cb = networkCallback ?: return@guarded
            val cm = connectivity ?: return@guarded
            if (Build.VERSION.SDK_INT >= 26) cm.registerDefaultNetworkCallback(cb, handler) else cm.registerDefaultNetworkCallback(cb)
        }
    }

    private fun unregister() {
        registered = false
        guarded { app.unregisterReceiver(receiver) }
        if (Build.VERSION.SDK_INT >= 29) guarded { power?.removeThermalStatusListener(thermalListener as PowerManager.OnThermalStatusChangedListener) }
        guarded { networkCallback?.let { connectivity?.unregisterNetworkCallback(it) } }
    }

    /** Tells the core the state when it changed since the last report. */
    private fun report() {
        val state = DeviceState(thermal, lowPower, batteryLevel, charging, network)
        if (state == reported) return
        val c = core() ?: return
        // A state the core refuses is counted in its telemetry (`device.invalidReports`).
        c.deviceState(state)
        reported = state
    }

    private fun readBattery(intent: Intent) {
        val level = intent.getIntExtra(BatteryManager.EXTRA_LEVEL, -1)
        val scale = intent.getIntExtra(BatteryManager.EXTRA_SCALE, -1)
        batteryLevel = if (level >= 0 && scale > 0) (level.toFloat() / scale).coerceIn(0f, 1f) else null
        val status = intent.getIntExtra(BatteryManager.EXTRA_STATUS, -1)
        charging = status == BatteryManager.BATTERY_STATUS_CHARGING || status == BatteryManager.BATTERY_STATUS_FULL ||
            intent.getIntExtra(BatteryManager.EXTRA_PLUGGED, 0) != 0
    }

    /** The default network now (no default network: offline); unknown when it cannot be read. */
    private fun readActiveNetwork() {
        val cm = connectivity ?: return
        network = if (Build.VERSION.SDK_INT >= 23) {
            val active = cm.activeNetwork
            if (active == null) NetworkState.OFFLINE else cm.getNetworkCapabilities(active)?.let(::networkOf) ?: NetworkState.UNKNOWN
        } else {
            @Suppress("DEPRECATION")
            val info = cm.activeNetworkInfo
            when {
                info == null || !info.isConnected -> NetworkState.OFFLINE
                cm.isActiveNetworkMetered -> NetworkState.METERED
                else -> NetworkState.UNMETERED
            }
        }
    }

    /** Nothing the platform or the core throws leaves this class. */
    private inline fun guarded(block: () -> Unit) {
        try {
            block()
        } catch (e: Throwable) {
            stats.caught(e)
        }
    }

    companion object {
        /**
         * Android's seven thermal statuses as the core's four (the iOS scale): light and
         * moderate throttling do not affect the user (fair), severe does (serious), critical
         * and beyond are the platform's last resort (critical).
         */
        fun thermalOf(status: Int): ThermalState = when {
            status >= PowerManager.THERMAL_STATUS_CRITICAL -> ThermalState.CRITICAL
            status >= PowerManager.THERMAL_STATUS_SEVERE -> ThermalState.SERIOUS
            status >= PowerManager.THERMAL_STATUS_LIGHT -> ThermalState.FAIR
            else -> ThermalState.NOMINAL
        }

        /** Unmetered when the network says so, for now included (an unlimited 5G plan). */
        fun networkOf(caps: NetworkCapabilities): NetworkState {
            val unmetered = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED) ||
                (Build.VERSION.SDK_INT >= 30 && caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_TEMPORARILY_NOT_METERED))
            return if (unmetered) NetworkState.UNMETERED else NetworkState.METERED
        }
    }
}
