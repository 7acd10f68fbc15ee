package io.rejourney

/**
 * What an app configures. Plain Kotlin (no Android types) so it is tested on the JVM; the Rust
 * core validates every value again and is the authority on defaults.
 */
data class RejourneyOptions(
    val apiKey: String,
    val apiUrl: String = "https://api.rejourney.co",
    val captureIntervalMs: Long = 1000,
    val captureScale: Float = 1.25f,
    val jpegQuality: Float = 0.5f,
    val sampleRate: Double = 1.0,
    val backgroundTimeoutMs: Long = 60_000,
    val maskAllText: Boolean = false,
    val maskAllImages: Boolean = false,
    val maskWebViews: Boolean = true,
    val maskVideo: Boolean = false,
    /** Fully qualified or simple class names masked like an `rj-mask` tag. */
    val maskedClasses: List<String> = emptyList(),
    val spoolQuotaBytes: Long = 50L * 1024 * 1024,
    /** Main-thread silence reported as an ANR; 0 disables the watchdog. */
    val anrThresholdMs: Long = 5_000,
    /** Network requests to these hosts (or URL prefixes) are never recorded. */
    val urlDenyList: List<String> = emptyList(),
    val captureHierarchy: Boolean = true,
    /** Views visited per capture before the walk stops (the frame is then dropped). */
    val maxNodesPerCapture: Int = 2_000,
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

    /** The FFI record, for a device id and a storage directory the SDK owns. */
    fun toFfi(deviceId: String, storageDir: String, device: DeviceInfo = DeviceInfo()): uniffi.rejourney_core.RejourneyOptions {
        require(captureIntervalMs > 0) { "captureIntervalMs must be positive" }
        require(spoolQuotaBytes > 0) { "spoolQuotaBytes must be positive" }
        require(anrThresholdMs >= 0) { "anrThresholdMs must not be negative" }
        require(maxNodesPerCapture > 0) { "maxNodesPerCapture must be positive" }
        return uniffi.rejourney_core.RejourneyOptions(
            apiKey = apiKey,
            apiUrl = apiUrl,
            deviceId = deviceId,
            storageDir = storageDir,
            captureIntervalMs = captureIntervalMs.toULong(),
            captureScale = captureScale,
            jpegQuality = jpegQuality,
            batchSize = 3u,
            sampleRate = sampleRate,
            backgroundTimeoutMs = backgroundTimeoutMs.toULong(),
            maskAllText = maskAllText,
            maskAllImages = maskAllImages,
            maskWebViews = maskWebViews,
            maskVideo = maskVideo,
            maskedClasses = maskedClasses,
            spoolQuotaBytes = spoolQuotaBytes.toULong(),
            anrThresholdMs = anrThresholdMs.toULong(),
            urlDenyList = urlDenyList,
            captureHierarchy = captureHierarchy,
            platform = device.platform,
            deviceModel = device.model,
            osVersion = device.osVersion,
            appId = device.appId,
            appVersion = device.appVersion,
            screenWidth = device.screenWidth,
            screenHeight = device.screenHeight,
            screenScale = device.screenScale,
        )
    }
}
