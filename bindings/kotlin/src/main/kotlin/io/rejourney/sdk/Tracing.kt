package io.rejourney.sdk

import java.net.HttpURLConnection

/**
 * Tracing headers on the app's own requests, without OkHttp: the core decides which
 * request gets what (`tracingHeaders`: the `x-rejourney-session-id` header for the hosts in
 * `RejourneyOptions.traceHosts` only); this only copies the answer onto the request. Never
 * throws into the app: no core, a bad URL or an error from the core add nothing.
 */
object Tracing {
    /** The headers for a request to [url]. */
    fun headers(core: uniffi.rejourney_core.Rejourney?, url: String): Map<String, String> =
        runCatching { core?.tracingHeaders(url) ?: emptyMap() }.getOrDefault(emptyMap())

    /** Adds them to [connection] (before it connects). Returns the headers it added. */
    fun apply(core: uniffi.rejourney_core.Rejourney?, connection: HttpURLConnection): Map<String, String> {
        val h = headers(core, connection.url.toString())
        for ((k, v) in h) runCatching { connection.setRequestProperty(k, v) }
        return h
    }
}
