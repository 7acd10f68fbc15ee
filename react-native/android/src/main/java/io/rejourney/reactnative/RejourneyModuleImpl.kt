package io.rejourney.reactnative

import io.rejourney.RejourneyOptions
import io.rejourney.TouchPrivacy
import io.rejourney.TrackingConsent
import io.rejourney.sdk.SessionCallbacks
import uniffi.rejourney_core.EventValue
import uniffi.rejourney_core.NetworkRequestInfo
import uniffi.rejourney_core.Rejourney
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

/**
 * What the React Native module does, in plain Kotlin (no React Native types) so the JVM tests
 * run it against the real core: converts what JS sends (maps, lists, numbers as doubles) into
 * the Kotlin SDK's types and forwards. It adds no capture logic. The new- and old-architecture
 * module classes only unwrap `ReadableMap`s and promises and call this.
 */
class RejourneyModuleImpl(
    private val host: Host,
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
    }

    private val sessions = SessionEvents(emit) { id ->
        // The URL only while the core would give it for this session (uploaded: not sampled
        // out, consent granted); the core decides, this only asks.
        host.core()?.let { c -> c.sessionUrl()?.takeIf { it == c.replayUrl(id) } }
    }

    fun start(options: Map<String, Any?>): String? = host.start(options(options), sessions.callbacks)

    /** RN's emitter convention: JS subscribed once more (any event name: one count). */
    fun addListener(@Suppress("UNUSED_PARAMETER") eventName: String) = sessions.addListener()

    /** RN's emitter convention: JS dropped [count] subscriptions. */
    fun removeListeners(count: Double) = sessions.removeListeners(count)

    fun stop() = host.stop()

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
