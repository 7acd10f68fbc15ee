package io.rejourney

/**
 * What an app configures. Plain Kotlin (no Android types) so it is tested on the JVM. A
 * `null` tunable means the Rust core's default: the core owns every default and validates
 * every value (`uniffi.rejourney_core.effectiveOptions` shows what it will run with).
 */
data class RejourneyOptions(
    val apiKey: String,
    val apiUrl: String = "https://api.rejourney.co",
    val captureIntervalMs: Long? = null,
    /** Pixels per dp of captured frames. */
    val captureScale: Float? = null,
    val jpegQuality: Float? = null,
    /** Frames per uploaded bundle. */
    val batchSize: Int? = null,
    /** The older name of [sessionSampleRate] (both set and different: refused by the core). */
    val sampleRate: Double? = null,
    val backgroundTimeoutMs: Long? = null,
    val maskAllText: Boolean? = null,
    val maskAllImages: Boolean? = null,
    val maskWebViews: Boolean? = null,
    val maskVideo: Boolean? = null,
    /** Fully qualified or simple class names masked like an `rj-mask` tag. */
    val maskedClasses: List<String> = emptyList(),
    /** View id resource names / Compose test tags masked like an `rj-mask` tag. */
    val maskedTestIds: List<String> = emptyList(),
    val spoolQuotaBytes: Long? = null,
    /** Main-thread silence reported as an ANR; 0 disables the watchdog. */
    val anrThresholdMs: Long? = null,
    /** Network requests to these hosts (or URL prefixes) are never recorded. */
    val urlDenyList: List<String> = emptyList(),
    val captureHierarchy: Boolean? = null,
    /** Views visited per capture before the walk stops (the frame is then dropped). */
    val maxNodesPerCapture: Int? = null,
    /** Main-thread time the walk may take per capture, same consequence. */
    val walkBudgetMs: Double? = null,
    /** Fraction of sessions recorded and uploaded (0..1); the remote config can only lower it. */
    val sessionSampleRate: Double? = null,
    /**
     * Fraction of the sessions not recorded that keep their last [bufferWindowMs] on the device
     * and upload it when an error ([io.rejourney.android.Rejourney.captureError]), an ANR or a
     * crash happens (0..1; core default 0: off).
     */
    val onErrorSampleRate: Double? = null,
    /** How much recording the on-error buffer keeps (core default 30 000 ms). */
    val bufferWindowMs: Long? = null,
    /** Most bytes the on-error buffer keeps on disk (core default 8 MiB). */
    val bufferMaxBytes: Long? = null,
    /** Capture interval while buffering (1..60 000 ms; never faster than [captureIntervalMs]). */
    val bufferCaptureIntervalMs: Long? = null,
    /**
     * Ask the server's `GET /api/sdk/config` at start and at each new session (the core's
     * default: on). The server can make recording rarer or more private than these
     * options, never less.
     */
    val remoteConfig: Boolean? = null,
    /** Longest a session's first capture waits for that answer when none is cached (core default 1000 ms, at most 5000). */
    val remoteConfigHoldMs: Long? = null,
    /** Mask every text input (core default true; unset follows the server's `textInputMasking`; secure inputs are always masked). */
    val maskTextInputs: Boolean? = null,
    // --- device policy (issue 26) ---
    /** Uploads wait on a metered network (cellular, metered Wi-Fi) until an unmetered one (core default false). */
    val uploadOnlyOnUnmetered: Boolean? = null,
    /** Uploads wait while the battery is below this level (0..1) and not charging; 0 never waits (core default 0.15). */
    val lowBatteryThreshold: Float? = null,
    // --- session links (issue 26) ---
    /** The dashboard's origin for replay URLs (core default: [apiUrl]'s, without `api.`). */
    val dashboardUrl: String? = null,
    /**
     * Hosts whose requests get the `x-rejourney-session-id` header ([io.rejourney.sdk.Tracing]):
     * exact host names, or `*.example.com` for its subdomains. No other host ever gets it.
     */
    val traceHosts: List<String> = emptyList(),
    /** Where touches are recorded (core default [TouchPrivacy.MASK_MASKED]: a touch inside a masked view keeps only its bounds). */
    val touchPrivacy: TouchPrivacy? = null,
    /**
     * Tracking consent until the user answers (core default [TrackingConsent.GRANTED]). An answer
     * given with `Rejourney.setConsent` is kept on the device and wins at later launches.
     */
    val initialConsent: TrackingConsent? = null,
) {
    /** `deviceInfo` of event batches; the Android adapter fills it from `Build` and the display. */
    data class DeviceInfo(
        val platform: String = "android",
        val model: String = "",
        val osVersion: String = "",
        val appId: String = "",
        val appVersion: String = "",
        val screenWidth: Float = 0f,
        val screenHeight: Float = 0f,
        val screenScale: Float = 0f,
    )

    /**
     * The FFI record, for a device id and a storage directory the SDK owns. Only type
     * conversions happen here: Kotlin has signed numbers where the core has unsigned ones, so
     * a negative value is refused here ([IllegalArgumentException]); the core checks the rest.
     */
    fun toFfi(deviceId: String, storageDir: String, device: DeviceInfo = DeviceInfo()): uniffi.rejourney_core.RejourneyOptions =
        uniffi.rejourney_core.RejourneyOptions(
            apiKey = apiKey,
            apiUrl = apiUrl,
            deviceId = deviceId,
            storageDir = storageDir,
            captureIntervalMs = captureIntervalMs?.let { unsigned(it, "captureIntervalMs") },
            captureScale = captureScale,
            jpegQuality = jpegQuality,
            batchSize = batchSize?.let { unsigned(it.toLong(), "batchSize").toUInt() },
            sampleRate = sampleRate,
            sessionSampleRate = sessionSampleRate,
            onErrorSampleRate = onErrorSampleRate,
            bufferWindowMs = bufferWindowMs?.let { unsigned(it, "bufferWindowMs") },
            bufferMaxBytes = bufferMaxBytes?.let { unsigned(it, "bufferMaxBytes") },
            bufferCaptureIntervalMs = bufferCaptureIntervalMs?.let { unsigned(it, "bufferCaptureIntervalMs") },
            remoteConfig = remoteConfig,
            remoteConfigHoldMs = remoteConfigHoldMs?.let { unsigned(it, "remoteConfigHoldMs") },
            maskTextInputs = maskTextInputs,
            backgroundTimeoutMs = backgroundTimeoutMs?.let { unsigned(it, "backgroundTimeoutMs") },
            maskAllText = maskAllText,
            maskAllImages = maskAllImages,
            maskWebViews = maskWebViews,
            maskVideo = maskVideo,
            maskedClasses = maskedClasses,
            maskedTestIds = maskedTestIds,
            spoolQuotaBytes = spoolQuotaBytes?.let { unsigned(it, "spoolQuotaBytes") },
            anrThresholdMs = anrThresholdMs?.let { unsigned(it, "anrThresholdMs") },
            urlDenyList = urlDenyList,
            captureHierarchy = captureHierarchy,
            walkMaxNodes = maxNodesPerCapture?.let { unsigned(it.toLong(), "maxNodesPerCapture").toUInt() },
            walkBudgetMs = walkBudgetMs,
            platform = device.platform,
            deviceModel = device.model,
            osVersion = device.osVersion,
            appId = device.appId,
            appVersion = device.appVersion,
            screenWidth = device.screenWidth,
            screenHeight = device.screenHeight,
            screenScale = device.screenScale,
            uploadOnlyOnUnmetered = uploadOnlyOnUnmetered,
            lowBatteryThreshold = lowBatteryThreshold,
            dashboardUrl = dashboardUrl,
            traceHosts = traceHosts,
            touchPrivacy = touchPrivacy?.toFfi(),
            initialConsent = initialConsent?.toFfi(),
        )

    private companion object {
        fun unsigned(v: Long, name: String): ULong {
            require(v >= 0) { "$name must not be negative" }
            return v.toULong()
        }
    }
}

/** Where touches are recorded; the core decides each touch (`tests/conformance/touch_privacy.json`). */
enum class TouchPrivacy {
    /** A touch that starts inside a masked view keeps only that view's bounds (the default). */
    MASK_MASKED,
    /** No touch position at all. */
    HIDE_ALL,
    /** Every touch keeps its position. */
    SHOW;

    fun toFfi(): uniffi.rejourney_core.TouchPrivacy = when (this) {
        MASK_MASKED -> uniffi.rejourney_core.TouchPrivacy.MASK_MASKED
        HIDE_ALL -> uniffi.rejourney_core.TouchPrivacy.HIDE_ALL
        SHOW -> uniffi.rejourney_core.TouchPrivacy.SHOW
    }
}

/**
 * The user's tracking consent (`tests/conformance/consent.json`): [PENDING] records on the device
 * and sends nothing, [GRANTED] uploads what pending kept and records on, [DENIED] deletes
 * everything of the user on the device and records nothing. The core decides what each means.
 */
enum class TrackingConsent {
    PENDING,
    GRANTED,
    DENIED;

    fun toFfi(): uniffi.rejourney_core.Consent = when (this) {
        PENDING -> uniffi.rejourney_core.Consent.PENDING
        GRANTED -> uniffi.rejourney_core.Consent.GRANTED
        DENIED -> uniffi.rejourney_core.Consent.DENIED
    }

    companion object {
        fun of(c: uniffi.rejourney_core.Consent): TrackingConsent = when (c) {
            uniffi.rejourney_core.Consent.PENDING -> PENDING
            uniffi.rejourney_core.Consent.GRANTED -> GRANTED
            uniffi.rejourney_core.Consent.DENIED -> DENIED
        }
    }
}
