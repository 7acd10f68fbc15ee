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
) {
    /** The FFI record, for a device id and a storage directory the SDK owns. */
    fun toFfi(deviceId: String, storageDir: String): uniffi.rejourney_core.RejourneyOptions {
        require(captureIntervalMs > 0) { "captureIntervalMs must be positive" }
        require(spoolQuotaBytes > 0) { "spoolQuotaBytes must be positive" }
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
        )
    }
}
