package io.rejourney.android

import android.app.Activity
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
 * The Android entry point: `Rejourney.start(context, RejourneyOptions(apiKey = "…"))`, from
 * any thread. This adapter only wires platform pieces (PixelCopy capture of every window,
 * the view walk, touch and lifecycle hooks, the ANR heartbeat, the device state) to the core;
 * every decision (when to capture, what to mask, retries, what the device state allows) is
 * in Rust.
 * Needs only the Android framework at runtime (no androidx; Compose is used when present).
 */
object Rejourney {
    @Volatile private var core: uniffi.rejourney_core.Rejourney? = null
    /** Main thread only: the pieces that live there, replaced by each start. */
    private var loop: CaptureLoop? = null
    private var capture: WindowCapture? = null
    private var tracker: ActivityTracker? = null
    private var heartbeat: MainHeartbeat? = null
    private var device: DeviceStateReporter? = null
    /** Which start the main thread last wired (a start superseded before it ran is skipped). */
    @Volatile private var generation = 0L
    private val main by lazy { Handler(Looper.getMainLooper()) }
    val masks = MaskRegistry()
    /** What the adapter dropped or survived, for tests and diagnostics. */
    val stats = CaptureStats()

    /**
     * Starts recording (or restarts, replacing the running core with one built from these
     * [options]). Callable from any thread: the core is built and its session started on the
     * calling thread (it never waits on disk or network), the main-thread pieces are wired on
     * the main thread (at once when called there, else posted). An Activity already showing
     * is picked up: pass it as [context] or let the window list find it. Returns the session
     * id, or null when recording could not start (the native library did not load, bad
     * options: counted in [stats]) or the user denied consent (see [setConsent]); never
     * thrown into the app.
     */
    fun start(context: Context, options: RejourneyOptions, onSession: SessionCallbacks? = null): String? {
        return try {
            val app = context.applicationContext as? Application ?: (context as? Application) ?: run {
                stats.startFailures.incrementAndGet()
                return null
            }
            val storage = app.noBackupFilesDir.resolve("rejourney").path
            debuggable = (app.applicationInfo.flags and android.content.pm.ApplicationInfo.FLAG_DEBUGGABLE) != 0
            val session: String?
            val mine: Long
            val client: uniffi.rejourney_core.Rejourney
            synchronized(this) {
                // A restart: the old core ends its session first (its end call queued behind
                // its frames), then the new core takes its storage over (the core hands the
                // directory from one to the other: never two over one spool).
                val old = core
                old?.let { runCatching { it.stop(System.currentTimeMillis().toULong()) } }
                client = uniffi.rejourney_core.Rejourney(options.toFfi(deviceId(app), storage, deviceInfo(app)))
                onSession?.let { client.setListener(it) }
                core = client
                mine = ++generation
                old?.let { retire(it) }
                // A consent given before start reaches the core before anything is recorded.
                consentBeforeStart?.let { client.setConsent(it.toFfi(), System.currentTimeMillis().toULong()) }
                consentBeforeStart = null
                session = try {
                    client.start(System.currentTimeMillis().toULong())
                } catch (e: uniffi.rejourney_core.RejourneyException.ConsentDenied) {
                    // Denied: the core records nothing and starts the session itself once
                    // the consent allows it; the capture loop is wired all the same.
                    null
                }
            }
            val activity = context as? Activity
            onMain { wire(app, activity, mine) }
            session
        } catch (e: Throwable) {
            // RejourneyException (bad options), UnsatisfiedLinkError / NoClassDefFoundError from
            // the native library, OutOfMemoryError: recording stays off, the app carries on.
            stats.startFailures.incrementAndGet()
            null
        }
    }

    /**
     * Shuts an old core down off the caller's thread (it may wait on its disk for a moment):
     * its threads stop and it releases the storage directory to the new core.
     */
    private fun retire(old: uniffi.rejourney_core.Rejourney) {
        runCatching {
            Thread({ runCatching { old.shutdown(RETIRE_DRAIN_MS) } }, "rejourney-retire")
                .apply { isDaemon = true }
                .start()
        }.onFailure { runCatching { old.shutdown(0uL) } }
    }

    /** How long a replaced core may keep uploading before it stops (the new core resumes). */
    private const val RETIRE_DRAIN_MS: ULong = 0uL

    /** Main thread: replaces the capture loop and heartbeat, hooks what is showing. */
    private fun wire(app: Application, activity: Activity?, mine: Long) {
        try {
            if (mine != generation) return
            val client = core ?: return
            // One loop per core: a second one would tick twice as often and, with its own
            // string table, make the core refuse every other frame's strings.
            loop?.stop()
            capture?.close()
            val c = WindowCapture(masks, stats)
            val l = CaptureLoop(client, c, { delay, tick -> main.postDelayed(tick, delay) })
            capture = c
            loop = l
            val t = tracker ?: ActivityTracker(stats) { core }.also { tracker = it }
            t.install(app, activity)
            val h = heartbeat ?: MainHeartbeat(main) { core }.also { heartbeat = it }
            h.start()
            l.start()
            // The new core starts from an unknown device state: report the current one.
            val d = device ?: DeviceStateReporter(app, stats) { core }.also { device = it }
            d.start()
        } catch (e: Throwable) {
            stats.startFailures.incrementAndGet()
        }
    }

    @Synchronized
    fun stop() {
        val client = core
        generation++
        onMain {
            loop?.stop()
            heartbeat?.stop()
            device?.stop()
        }
        runCatching { client?.stop(System.currentTimeMillis().toULong()) }
    }

    /** The capture loop's counters (captures, drops, errors), for tests and diagnostics. */
    internal fun captureLoop(): CaptureLoop? = loop

    private fun onMain(block: () -> Unit) {
        if (Looper.myLooper() == Looper.getMainLooper()) block() else main.post(block)
    }

    fun identify(userId: String?) { runCatching { core?.identify(userId) } }

    @Volatile private var consentBeforeStart: io.rejourney.TrackingConsent? = null

    /**
     * The user's tracking consent ([io.rejourney.TrackingConsent]); kept on the device by the
     * core. Before [start] it is held and handed to the core as it opens. Never throws.
     */
    fun setConsent(consent: io.rejourney.TrackingConsent) {
        val client = synchronized(this) { core ?: run { consentBeforeStart = consent; null } } ?: return
        runCatching { client.setConsent(consent.toFfi(), System.currentTimeMillis().toULong()) }
    }

    /** The consent in force (null before [start]: the core keeps it). */
    fun consent(): io.rejourney.TrackingConsent? =
        runCatching { core?.consent()?.let { io.rejourney.TrackingConsent.of(it) } }.getOrNull()

    /** Masks this view (and everything inside it) in recordings. */
    fun mask(view: android.view.View) = masks.mask(view)

    /**
     * Lifts kind-based masking for this view's subtree. Secure fields stay masked, and so does
     * a `SurfaceView` (a `VideoView`, a `GLSurfaceView`): its content is never in its window's
     * copy, so unmasking it would show a hole or stale pixels, not its content.
     */
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

    // --- session links (issue 26) ---
    /** The current session id (null when not recording). */
    fun sessionId(): String? = runCatching { core?.sessionId() }.getOrNull()

    /** Where the current session's replay is on the dashboard (null without one that uploads). */
    fun sessionUrl(): String? = runCatching { core?.sessionUrl() }.getOrNull()

    /** The headers for the app's request to [url]: the session header for `traceHosts` only. */
    fun tracingHeaders(url: String): Map<String, String> = io.rejourney.sdk.Tracing.headers(core, url)

    /** Adds [tracingHeaders] to an `HttpURLConnection` before it connects. */
    fun trace(connection: java.net.HttpURLConnection) { io.rejourney.sdk.Tracing.apply(core, connection) }

    /** Replaces the session listener (null clears it); also settable at [start]. */
    fun setSessionListener(callbacks: SessionCallbacks?) { runCatching { core?.setListener(callbacks) } }

    /** Whether the app is a debuggable build (the frame observer is registered only then). */
    @Volatile private var debuggable = false

    /**
     * Debug builds only: [observer] receives every frame exactly as it is stored (JPEG, masks
     * in dp, pixels per dp) on the SDK's observer thread, for the app's own privacy tests.
     * Returns false, registering nothing, in a release build or before [start].
     */
    fun setFrameObserver(observer: ((uniffi.rejourney_core.ObservedFrame) -> Unit)?): Boolean =
        io.rejourney.sdk.FrameObservers.register(core, debuggable, observer)

    /** The running core (for hybrid frameworks such as the React Native module). */
    fun client(): uniffi.rejourney_core.Rejourney? = core
}
