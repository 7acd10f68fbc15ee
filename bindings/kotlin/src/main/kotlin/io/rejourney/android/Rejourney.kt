package io.rejourney.android

import android.app.Application
import android.content.Context
import android.os.Handler
import android.os.Looper
import android.provider.Settings
import io.rejourney.RejourneyOptions
import io.rejourney.sdk.CaptureLoop
import io.rejourney.sdk.ErrorReport
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.SessionCallbacks
import uniffi.rejourney_core.EventValue
import java.security.MessageDigest

/**
 * The Android entry point: `Rejourney.start(context, RejourneyOptions(apiKey = "…"))`.
 * This adapter only wires platform pieces (PixelCopy capture, view walk, touch and lifecycle
 * hooks) to the core; every decision (when to capture, what to mask, retries) is in Rust.
 * Needs the Android SDK to compile; the plain-Kotlin parts it uses are tested on the JVM.
 */
object Rejourney {
    private var core: uniffi.rejourney_core.Rejourney? = null
    private var loop: CaptureLoop? = null
    val masks = MaskRegistry()

    @Synchronized
    fun start(context: Context, options: RejourneyOptions, onSession: SessionCallbacks? = null): String? {
        val app = context.applicationContext as Application
        val storage = app.noBackupFilesDir.resolve("rejourney").path
        val client = core ?: uniffi.rejourney_core.Rejourney(options.toFfi(deviceId(app), storage, deviceInfo(app))).also { core = it }
        onSession?.let { client.setListener(it) }
        val main = Handler(Looper.getMainLooper())
        // One loop per core: a second one would tick twice as often and, with its own string
        // table, make the core refuse every other frame's strings.
        loop?.stop()
        val capture = WindowCapture(app, masks)
        val l = CaptureLoop(client, capture, { delay, tick -> main.postDelayed(tick, delay) })
        loop = l
        LifecycleHooks.install(app, client, capture)
        val session = client.start(System.currentTimeMillis().toULong())
        l.start()
        return session
    }

    @Synchronized
    fun stop() {
        loop?.stop()
        core?.stop(System.currentTimeMillis().toULong())
    }

    fun identify(userId: String?) = core?.identify(userId)

    /** Masks this view (and everything inside it) in recordings. */
    fun mask(view: android.view.View) = masks.mask(view)

    /** Lifts kind-based masking for this view's subtree (secure fields stay masked). */
    fun unmask(view: android.view.View) = masks.unmask(view)

    /** Masks every view of this class (qualified or simple name) from the next frame on. */
    fun maskClass(className: String) { runCatching { core?.maskClass(className) } }

    /** Masks views with this id resource name or Compose test tag from the next frame on. */
    fun maskTestId(testId: String) { runCatching { core?.maskTestId(testId) } }

    /** Records a custom event; invalid names are ignored (never thrown into the app). */
    fun logEvent(name: String, properties: Map<String, Any?> = emptyMap()) {
        val props = properties.mapValues { (_, v) ->
            when (v) {
                null -> EventValue.Null
                is String -> EventValue.Text(v)
                is Boolean -> EventValue.Flag(v)
                is Number -> EventValue.Number(v.toDouble())
                else -> EventValue.Text(v.toString())
            }
        }
        runCatching { core?.logEvent(System.currentTimeMillis().toULong(), name, props) }
    }

    /**
     * A handled error (a caught exception): recorded in the session's event stream with its
     * stack and, when this session is buffering for [RejourneyOptions.onErrorSampleRate],
     * uploads the buffer and records the rest of the session. Returns whether a buffer was
     * uploaded. Never throws into the app (not started, bad input: false).
     */
    fun captureError(name: String, message: String, stack: String = ""): Boolean =
        runCatching { core?.captureError(System.currentTimeMillis().toULong(), name, message, stack) ?: false }
            .getOrDefault(false)

    /** [captureError] for a [Throwable]: its class name, message and stack trace. */
    fun captureError(error: Throwable): Boolean =
        runCatching { ErrorReport.of(error) }.getOrNull()?.let { captureError(it.name, it.message, it.stack) } ?: false

    /**
     * Uploads this session's on-error buffer now (a manual trigger, e.g. "support"), after
     * which the session is recorded normally. Returns whether it was buffering; never throws
     * and never waits on the network.
     */
    fun flushBuffer(reason: String = "manual"): Boolean =
        runCatching { core?.flushBuffer(reason) ?: false }.getOrDefault(false)

    private fun deviceInfo(context: Context): RejourneyOptions.DeviceInfo {
        val dm = context.resources.displayMetrics
        val version = runCatching {
            context.packageManager.getPackageInfo(context.packageName, 0).versionName
        }.getOrNull() ?: ""
        return RejourneyOptions.DeviceInfo(
            model = android.os.Build.MODEL ?: "",
            osVersion = android.os.Build.VERSION.RELEASE ?: "",
            appId = context.packageName,
            appVersion = version,
            screenWidth = dm.widthPixels / dm.density,
            screenHeight = dm.heightPixels / dm.density,
            screenScale = dm.density,
        )
    }

    /** Hashed, app-scoped id: the raw ANDROID_ID never leaves the device. */
    private fun deviceId(context: Context): String {
        val raw = Settings.Secure.getString(context.contentResolver, Settings.Secure.ANDROID_ID) ?: "unknown"
        val digest = MessageDigest.getInstance("SHA-256").digest((context.packageName + ":" + raw).toByteArray())
        return digest.joinToString("") { "%02x".format(it) }
    }

    /** The running core (for hybrid frameworks such as the React Native module). */
    fun client(): uniffi.rejourney_core.Rejourney? = core
}
