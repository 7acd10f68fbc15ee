package io.rejourney.android

import android.content.Context
import android.content.Intent
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import android.os.BatteryManager
import android.os.PowerManager
import io.rejourney.IngestProcess
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowNetworkCapabilities
import org.robolectric.shadows.ShadowPixelCopy

/**
 * The Android device-state reporter on the real framework: the platform's own notifications
 * (Robolectric's PowerManager, sticky battery broadcast, ConnectivityManager) reach the real
 * core, which decides (`device_policy`); the test reads the core's telemetry, never a
 * decision made in Kotlin. Same configuration as [AndroidCaptureTest]: one sandbox.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidDeviceStateTest {
    private val app: Context get() = RuntimeEnvironment.getApplication()

    @After
    fun stopRecording() {
        Rejourney.stop()
        Recording.idle()
        shadowOf(app.getSystemService(PowerManager::class.java)).setIsPowerSaveMode(false)
        shadowOf(app.getSystemService(PowerManager::class.java)).setCurrentThermalStatus(PowerManager.THERMAL_STATUS_NONE)
        app.removeStickyBroadcast(Intent(Intent.ACTION_BATTERY_CHANGED))
    }

    /** The core's device section (`telemetry().json`), once it satisfies [done]. */
    private fun deviceTelemetry(done: (String) -> Boolean): String {
        val deadline = System.nanoTime() + 10_000_000_000L
        var json = ""
        while (System.nanoTime() < deadline) {
            Recording.idle(20)
            json = Rejourney.client()!!.telemetry().json
            if (done(json)) return json
        }
        throw AssertionError("device state not reported as expected: $json; ${Rejourney.stats}")
    }

    private fun battery(level: Int, plugged: Int) = Intent(Intent.ACTION_BATTERY_CHANGED)
        .putExtra(BatteryManager.EXTRA_LEVEL, level).putExtra(BatteryManager.EXTRA_SCALE, 100)
        .putExtra(BatteryManager.EXTRA_PLUGGED, plugged)
        .putExtra(BatteryManager.EXTRA_STATUS, if (plugged != 0) BatteryManager.BATTERY_STATUS_CHARGING else BatteryManager.BATTERY_STATUS_DISCHARGING)

    @Test
    fun thePhonesStateReachesTheCoreWhichDecides() {
        IngestProcess().use { server ->
            val caughtBefore = Rejourney.stats.caughtErrorCount
            val power = shadowOf(app.getSystemService(PowerManager::class.java))
            val connectivity = shadowOf(app.getSystemService(ConnectivityManager::class.java))
            // Before start: a hot phone in battery saver at 10 % on a metered network.
            power.setCurrentThermalStatus(PowerManager.THERMAL_STATUS_SEVERE)
            power.setIsPowerSaveMode(true)
            app.sendStickyBroadcast(battery(10, 0))
            val cm = app.getSystemService(ConnectivityManager::class.java)
            val metered = ShadowNetworkCapabilities.newInstance().also {
                shadowOf(it).addTransportType(NetworkCapabilities.TRANSPORT_CELLULAR)
                shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
            }
            connectivity.setNetworkCapabilities(cm.activeNetwork, metered)
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            Rejourney.start(activity, Recording.options(server))!!
            server.synthetic(Rejourney.client()!!.sessionId() ?: "")
            // Read at start: every piece, and the core's decision from them.
            var json = deviceTelemetry { it.contains("\"thermal\":\"serious\"") && it.contains("\"network\":\"metered\"") && it.contains("\"batteryLevel\":0.1") }
            assertTrue(json, json.contains("\"lowPower\":true"))
            assertTrue(json, json.contains("\"charging\":false"))
            assertTrue("slowed for heat and battery saver: $json", json.contains("\"intervalFactor\":4"))
            assertTrue("uploads wait for the low battery: $json", json.contains("\"uploadDeferred\":\"low_battery\""))

            // Changes, each from the platform's own notification.
            power.setCurrentThermalStatus(PowerManager.THERMAL_STATUS_CRITICAL)
            json = deviceTelemetry { it.contains("\"thermal\":\"critical\"") }
            assertTrue("capture stopped: $json", json.contains("\"captureStopped\":true"))

            power.setIsPowerSaveMode(false)
            app.sendBroadcast(Intent(PowerManager.ACTION_POWER_SAVE_MODE_CHANGED))
            deviceTelemetry { it.contains("\"lowPower\":false") }

            app.sendStickyBroadcast(battery(80, BatteryManager.BATTERY_PLUGGED_AC))
            deviceTelemetry { it.contains("\"batteryLevel\":0.8") && it.contains("\"charging\":true") }

            val unmetered = ShadowNetworkCapabilities.newInstance().also {
                shadowOf(it).addTransportType(NetworkCapabilities.TRANSPORT_WIFI)
                shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)
            }
            assertTrue("the reporter listens to the default network", connectivity.networkCallbacks.isNotEmpty())
            for (cb in connectivity.networkCallbacks) cb.onCapabilitiesChanged(cm.activeNetwork!!, unmetered)
            power.setCurrentThermalStatus(PowerManager.THERMAL_STATUS_NONE)
            json = deviceTelemetry { it.contains("\"network\":\"unmetered\"") && it.contains("\"thermal\":\"nominal\"") }
            assertTrue("full rate again: $json", json.contains("\"intervalFactor\":1") && json.contains("\"captureStopped\":false"))
            assertTrue("uploads go: $json", json.contains("\"uploadDeferred\":null"))
            // Reported on change only: one report at start and one per change above (the
            // battery broadcast may come twice, as sticky and as sent).
            val reports = Regex("\"reports\":(\\d+)").find(json)!!.groupValues[1].toInt()
            assertTrue("reports $reports: $json", reports in 6..8)
            assertEquals("nothing thrown: ${Rejourney.stats}", caughtBefore, Rejourney.stats.caughtErrorCount)
        }
    }

    @Test
    fun stopStopsListening() {
        IngestProcess().use { server ->
            val connectivity = shadowOf(app.getSystemService(ConnectivityManager::class.java))
            val activity = Robolectric.buildActivity(FormActivity::class.java).setup().get()
            Rejourney.start(activity, Recording.options(server))!!
            server.synthetic(Rejourney.client()!!.sessionId() ?: "")
            deviceTelemetry { it.contains("\"reports\":1") }
            assertTrue(connectivity.networkCallbacks.isNotEmpty())
            Rejourney.stop()
            val deadline = System.nanoTime() + 10_000_000_000L
            while (connectivity.networkCallbacks.isNotEmpty() && System.nanoTime() < deadline) Recording.idle(20)
            assertTrue("unregistered", connectivity.networkCallbacks.isEmpty())
        }
    }
}
