package io.rejourney.reactnative

import io.rejourney.RejourneyOptions
import io.rejourney.TouchPrivacy
import io.rejourney.TrackingConsent
import uniffi.rejourney_core.EventValue
import uniffi.rejourney_core.NetworkRequestInfo
import uniffi.rejourney_core.Rejourney

/**
 * What the React Native module does, in plain Kotlin (no React Native types) so the JVM tests
 * run it against the real core: converts what JS sends (maps, lists, numbers as doubles) into
 * the Kotlin SDK's types and forwards. It adds no capture logic. The new- and old-architecture
 * module classes only unwrap `ReadableMap`s and promises and call this.
 */
class RejourneyModuleImpl(private val host: Host) {
    /** The platform SDK behind the module: on Android `io.rejourney.android.Rejourney`. */
    interface Host {
        /** Starts recording with [options]; returns the session id (null when not sampled in). */
        fun start(options: RejourneyOptions): String?
        /** The running core, if started. */
        fun core(): Rejourney?
        fun stop()
        fun nowMs(): Long = System.currentTimeMillis()
        /** The user's tracking consent; the Android SDK holds one given before [start]. */
        fun setConsent(consent: TrackingConsent) {
            core()?.setConsent(consent.toFfi(), nowMs().coerceAtLeast(0).toULong())
        }
    }

    fun start(options: Map<String, Any?>): String? = host.start(options(options))

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
