package io.rejourney.reactnative

import io.rejourney.RejourneyOptions
import io.rejourney.TouchPrivacy
import io.rejourney.TrackingConsent
import io.rejourney.sdk.SessionCallbacks
import uniffi.rejourney_core.EventValue
import uniffi.rejourney_core.NetworkRequestInfo
import uniffi.rejourney_core.ObservedFrame
import uniffi.rejourney_core.Rejourney
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong

/**
 * What the React Native module does, in plain Kotlin (no React Native types) so the JVM tests
 * run it against the real core: converts what JS sends (maps, lists, numbers as doubles) into
 * the Kotlin SDK's types and forwards. It adds no capture logic. The new- and old-architecture
 * module classes only unwrap `ReadableMap`s and promises and call this.
 */
class RejourneyModuleImpl(
    private val host: Host,
    /** Sends a frame event ([FrameEvents.EVENT]) to JS (the module classes: `RCTDeviceEventEmitter`). */
    emitFrame: (Map<String, Any?>) -> Unit = {},
    /** Base64 of an observed JPEG (Android: `android.util.Base64`, as `java.util.Base64` needs API 26). */
    base64: (ByteArray) -> String = { java.util.Base64.getEncoder().encodeToString(it) },
    /** Sends a session event to JS (the module classes: `RCTDeviceEventEmitter`). */
    emit: (Map<String, Any?>) -> Unit = {},
) {
    /** The platform SDK behind the module: on Android `io.rejourney.android.Rejourney`. */
    interface Host {
        /** Starts recording with [options]; returns the session id (null when not sampled in). */
        fun start(options: RejourneyOptions): String?
        /**
         * Starts with [onSession] registered on the new core before its session begins, so
         * the start itself is heard (the Android SDK: `Rejourney.start(context, options, onSession)`).
         */
        fun start(options: RejourneyOptions, onSession: SessionCallbacks): String? = start(options)
        /** The running core, if started. */
        fun core(): Rejourney?
        fun stop()
        fun nowMs(): Long = System.currentTimeMillis()
        /** The user's tracking consent; the Android SDK holds one given before [start]. */
        fun setConsent(consent: TrackingConsent) {
            core()?.setConsent(consent.toFfi(), nowMs().coerceAtLeast(0).toULong())
        }
        /**
         * Registers the debug frame observer on the running core (null clears it); false, doing
         * nothing, in a release build or before start (the Android SDK: `Rejourney.setFrameObserver`,
         * which checks `FLAG_DEBUGGABLE`).
         */
        fun setFrameObserver(observer: ((ObservedFrame) -> Unit)?): Boolean = false
    }

    private val frames = FrameEvents(emitFrame, base64)

    private val sessions = SessionEvents(emit) { id ->
        // The URL only while the core would give it for this session (uploaded: not sampled
        // out, consent granted); the core decides, this only asks.
        host.core()?.let { c -> c.sessionUrl()?.takeIf { it == c.replayUrl(id) } }
    }

    fun start(options: Map<String, Any?>): String? {
        val id = host.start(options(options), sessions.callbacks)
        // Each start makes a new core: JS's frame observer, if it holds one, follows it.
        if (frames.wanted) runCatching { host.setFrameObserver(frames.observer) }
        return id
    }

    /**
     * JS's first frame observer (true) or its last one removed (false). Only while one is held
     * is the core's observer registered, so without one no frame is copied or encoded. Returns
     * whether frames will flow: false in a release build (the SDK registers nothing) or before
     * start (then the next start registers it).
     */
    fun setFrameObserver(enabled: Boolean): Boolean {
        frames.wanted = enabled
        frames.reset()
        return runCatching { host.setFrameObserver(if (enabled) frames.observer else null) }.getOrDefault(false)
    }

    /** JS handled one frame event: it no longer counts against [FrameEvents.MAX_IN_FLIGHT]. */
    fun frameObserved() = frames.delivered()

    /** Frames dropped because JS had [FrameEvents.MAX_IN_FLIGHT] unhandled. */
    fun framesDropped(): Long = frames.dropped()

    /** RN's emitter convention: JS subscribed once more (any event name: one count). */
    fun addListener(@Suppress("UNUSED_PARAMETER") eventName: String) = sessions.addListener()

    /** RN's emitter convention: JS dropped [count] subscriptions. */
    fun removeListeners(count: Double) = sessions.removeListeners(count)

    /** Stops; the frame observer is detached first (JS's stays wanted: the next start re-attaches it). */
    fun stop() {
        runCatching { host.setFrameObserver(null) }
        host.stop()
    }

    fun identify(userId: String?) { host.core()?.identify(userId) }

    fun logEvent(name: String, properties: Map<String, Any?>) {
        host.core()?.logEvent(now(), name, properties.mapValues { (_, v) -> eventValue(v) })
    }

    fun screenChanged(name: String) { host.core()?.screenChanged(now(), name) }

    fun networkRequest(request: Map<String, Any?>) {
        val method = request["method"] as? String ?: return
        val url = request["url"] as? String ?: return
        host.core()?.networkRequest(
            now(),
            NetworkRequestInfo(
                method = method,
                url = url,
                statusCode = (request["statusCode"] as? Number)?.toInt()?.takeIf { it in 0..65535 }?.toUShort(),
                durationMs = (request["durationMs"] as? Number)?.toDouble() ?: 0.0,
                requestBytes = (request["requestBytes"] as? Number)?.toLong()?.takeIf { it >= 0 }?.toULong(),
                responseBytes = (request["responseBytes"] as? Number)?.toLong()?.takeIf { it >= 0 }?.toULong(),
                error = request["error"] as? String,
            ),
        )
    }

    fun logMessage(level: String, message: String) { host.core()?.logMessage(now(), level, message) }

    /**
     * A JS error. A fatal one is a crash fault (on disk before this returns, linked to the
     * session); a caught or non-fatal one goes through [captureError] (an error event with its
     * stack, not a crash) and returns true once recorded.
     */
    fun reportError(name: String, message: String, stack: String, fatal: Boolean): Boolean {
        val core = host.core() ?: return false
        return if (fatal) {
            core.recordCrash(now(), name, message, stack, CRASH_WRITE_TIMEOUT_MS)
        } else {
            core.captureError(now(), name, message, stack)
            true
        }
    }

    /**
     * A handled JS error: an error event with its stack; uploads the session's on-error buffer
     * if it is buffering. Returns whether a buffer was uploaded.
     */
    fun captureError(name: String, message: String, stack: String): Boolean =
        host.core()?.captureError(now(), name, message, stack) ?: false

    /** Uploads the session's on-error buffer now; returns whether it was buffering. */
    fun flushBuffer(reason: String): Boolean = host.core()?.flushBuffer(reason) ?: false

    fun optOut() { host.core()?.optOut(now()) }

    /** `pending`, `granted` or `denied` (validated in JS; anything else is refused here too). */
    fun setConsent(consent: String) = host.setConsent(consent(consent))

    fun telemetryJson(): String = host.core()?.telemetry()?.json ?: "{}"

    /** Session links (the core decides; issue 26). */
    fun sessionUrl(): String? = runCatching { host.core()?.sessionUrl() }.getOrNull()
    fun tracingHeadersJson(url: String): String =
        io.rejourney.sdk.Tracing.headers(host.core(), url).entries.joinToString(",", "{", "}") { (k, v) -> "${quote(k)}:${quote(v)}" }
    private fun quote(s: String) = "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

    private fun now(): ULong = host.nowMs().coerceAtLeast(0).toULong()

    companion object {
        const val CRASH_WRITE_TIMEOUT_MS = 1_000uL

        /**
         * The SDK options from what JS sent (already validated there; the core validates
         * again). Absent keys stay null: the core's default.
         */
        @Suppress("UNCHECKED_CAST")
        fun options(m: Map<String, Any?>): RejourneyOptions {
            fun long(k: String) = (m[k] as? Number)?.toLong()
            fun double(k: String) = (m[k] as? Number)?.toDouble()
            fun flag(k: String) = m[k] as? Boolean
            fun list(k: String) = (m[k] as? List<Any?>)?.filterIsInstance<String>() ?: emptyList()
            val apiKey = m["apiKey"] as? String
            require(!apiKey.isNullOrBlank()) { "apiKey is required" }
            return RejourneyOptions(
                apiKey = apiKey,
                apiUrl = m["apiUrl"] as? String ?: "https://api.rejourney.co",
                captureIntervalMs = long("captureIntervalMs"),
                captureScale = double("captureScale")?.toFloat(),
                jpegQuality = double("jpegQuality")?.toFloat(),
                sampleRate = double("sampleRate"),
                sessionSampleRate = double("sessionSampleRate"),
                onErrorSampleRate = double("onErrorSampleRate"),
                bufferWindowMs = long("bufferWindowMs"),
                bufferMaxBytes = long("bufferMaxBytes"),
                bufferCaptureIntervalMs = long("bufferCaptureIntervalMs"),
                remoteConfig = flag("remoteConfig"),
                remoteConfigHoldMs = long("remoteConfigHoldMs"),
                maskTextInputs = flag("maskTextInputs"),
                backgroundTimeoutMs = long("backgroundTimeoutMs"),
                maskAllText = flag("maskAllText"),
                maskAllImages = flag("maskAllImages"),
                maskWebViews = flag("maskWebViews"),
                maskVideo = flag("maskVideo"),
                maskedClasses = list("maskedClasses"),
                maskedTestIds = list("maskedTestIds"),
                anrThresholdMs = long("anrThresholdMs"),
                urlDenyList = list("urlDenyList"),
                captureHierarchy = flag("captureHierarchy"),
                uploadOnlyOnUnmetered = flag("uploadOnlyOnUnmetered"),
                lowBatteryThreshold = double("lowBatteryThreshold")?.toFloat(),
                dashboardUrl = m["dashboardUrl"] as? String,
                traceHosts = list("traceHosts"),
                touchPrivacy = (m["touchPrivacy"] as? String)?.let { touchPrivacy(it) },
                initialConsent = (m["initialConsent"] as? String)?.let { consent(it) },
            )
        }

        fun touchPrivacy(s: String): TouchPrivacy = when (s) {
            "mask_masked" -> TouchPrivacy.MASK_MASKED
            "hide_all" -> TouchPrivacy.HIDE_ALL
            "show" -> TouchPrivacy.SHOW
            else -> throw IllegalArgumentException("touchPrivacy must be mask_masked, hide_all or show")
        }

        fun consent(s: String): TrackingConsent = when (s) {
            "pending" -> TrackingConsent.PENDING
            "granted" -> TrackingConsent.GRANTED
            "denied" -> TrackingConsent.DENIED
            else -> throw IllegalArgumentException("consent must be pending, granted or denied")
        }

        /** A JS property value: strings, finite numbers, booleans, null; anything else as text. */
        fun eventValue(v: Any?): EventValue = when (v) {
            null -> EventValue.Null
            is String -> EventValue.Text(v)
            is Boolean -> EventValue.Flag(v)
            is Number -> v.toDouble().let { if (it.isFinite()) EventValue.Number(it) else EventValue.Null }
            else -> EventValue.Text(v.toString())
        }
    }
}

/**
 * Session changes as the JS event [EVENT]: `{type: "started" | "ended", sessionId, replayUrl,
 * reason}` (reason: the core's end reason, null for a start). Emitted only while JS listens
 * (React Native's convention: `addListener` / `removeListeners` count subscriptions), so an app
 * without a listener pays nothing. Runs on the thread the core reports on; [emit] and [link]
 * errors never reach the core (the SDK's callbacks swallow them too).
 */
internal class SessionEvents(private val emit: (Map<String, Any?>) -> Unit, private val link: (String) -> String?) {
    private val listeners = AtomicInteger(0)
    /** The replay URL each running session was announced with; its end repeats it. */
    private val urls = ConcurrentHashMap<String, String>()

    val callbacks = SessionCallbacks(onStarted = { started(it) }, onEnded = { id, reason -> ended(id, reason) })

    fun addListener() { listeners.incrementAndGet() }

    fun removeListeners(count: Double) {
        val n = if (count.isFinite() && count > 0) count.toInt() else 0
        listeners.updateAndGet { (it - n).coerceAtLeast(0) }
    }

    private fun started(id: String) {
        val url = runCatching { link(id) }.getOrNull()
        // Bounded: one session runs at a time; a start whose end was never heard is dropped.
        if (urls.size >= MAX_LIVE_SESSIONS) urls.clear()
        if (url != null) urls[id] = url
        send(mapOf("type" to "started", "sessionId" to id, "replayUrl" to url, "reason" to null))
    }

    private fun ended(id: String, reason: String) {
        val url = urls.remove(id)
        send(mapOf("type" to "ended", "sessionId" to id, "replayUrl" to url, "reason" to reason))
    }

    private fun send(event: Map<String, Any?>) {
        if (listeners.get() == 0) return
        runCatching { emit(event) }
    }

    companion object {
        /** The event name JS subscribes to (`src/sessionEvents.ts`). */
        const val EVENT = "RejourneySession"
        private const val MAX_LIVE_SESSIONS = 8
    }
}

/**
 * Observed frames as the JS event [EVENT]: `{timestampMs, width, height, pixelsPerPoint,
 * jpegBase64, masks: [{x, y, width, height}] (points), droppedFrames}`. Runs on the core's
 * observer thread. Bounded: at most [MAX_IN_FLIGHT] events wait for JS (it acknowledges each,
 * `frameObserved`); past that a frame is dropped before it is encoded, and counted
 * (`droppedFrames`, carried by the next event). Nothing is encoded unless JS asked for frames.
 */
internal class FrameEvents(private val emit: (Map<String, Any?>) -> Unit, private val base64: (ByteArray) -> String) {
    @Volatile var wanted = false
    private val inFlight = AtomicInteger(0)
    private val dropped = AtomicLong(0)

    val observer: (ObservedFrame) -> Unit = { frame(it) }

    private fun frame(f: ObservedFrame) {
        if (!wanted) return
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet()
            dropped.incrementAndGet()
            return
        }
        val sent = runCatching {
            emit(
                mapOf(
                    "sessionId" to f.sessionId,
                    "timestampMs" to f.timestampMs.toDouble(),
                    "width" to f.width.toDouble(),
                    "height" to f.height.toDouble(),
                    "pixelsPerPoint" to f.pixelsPerPoint.toDouble(),
                    "jpegBase64" to base64(f.jpeg),
                    "masks" to f.masks.map {
                        mapOf("x" to it.x.toDouble(), "y" to it.y.toDouble(), "width" to it.width.toDouble(), "height" to it.height.toDouble())
                    },
                    "droppedFrames" to dropped.get().toDouble(),
                ),
            )
        }
        if (sent.isFailure) inFlight.decrementAndGet()
    }

    fun delivered() { inFlight.updateAndGet { (it - 1).coerceAtLeast(0) } }

    /** A new JS subscription: acknowledgements owed by an earlier one (a reload) are forgotten. */
    fun reset() { inFlight.set(0) }

    fun dropped(): Long = dropped.get()

    companion object {
        /** The event name JS subscribes to (`src/frameEvents.ts`). */
        const val EVENT = "RejourneyFrame"
        /** Frame events waiting for JS; the core's own observer queue (`OBSERVER_QUEUE`) is 8 too. */
        const val MAX_IN_FLIGHT = 8
    }
}
