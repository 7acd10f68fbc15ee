package io.rejourney

import com.sun.net.httpserver.HttpServer
import io.rejourney.sdk.SessionCallbacks
import io.rejourney.sdk.Tracing
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import uniffi.rejourney_core.Rejourney
import java.net.HttpURLConnection
import java.net.InetSocketAddress
import java.net.URL
import java.util.Collections

/**
 * Session links through the Kotlin SDK: the replay URL, the listener, and the tracing header
 * reaching a real HTTP server on 127.0.0.1 for a listed host only.
 */
class SessionLinksTest {
    private fun core(url: String, traceHosts: List<String>) = Rejourney(
        RejourneyOptions(apiKey = "pk_test", apiUrl = url, remoteConfig = false, anrThresholdMs = 0, traceHosts = traceHosts)
            .toFfi("device-kt", tempDir("rj-kt-links").path),
    )

    @Test
    fun replayUrlAndListenerFollowTheSession() = IngestProcess().use { srv ->
        val core = core(srv.url, emptyList())
        val heard = Collections.synchronizedList(mutableListOf<String>())
        core.setListener(SessionCallbacks({ heard.add("start $it") }, { id, reason -> heard.add("end $id $reason") }))
        assertNull(core.sessionUrl())
        val id = core.start(1_000uL)
        assertEquals("${srv.url}/dashboard/sessions/$id", core.sessionUrl())
        core.optOut(2_000uL)
        assertNull("opted out: no link", core.sessionUrl())
        assertEquals(listOf("start $id", "end $id opt_out"), heard.toList())
        core.shutdown(0uL)
    }

    @Test
    fun theHeaderReachesListedHostsOnly() {
        val seen = Collections.synchronizedList(mutableListOf<String?>())
        val http = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        http.createContext("/") { ex ->
            seen.add(ex.requestHeaders.getFirst("x-rejourney-session-id"))
            ex.sendResponseHeaders(204, -1)
            ex.close()
        }
        http.start()
        try {
            val port = http.address.port
            val core = core("http://127.0.0.1:9", listOf("127.0.0.1"))
            fun get(host: String): Map<String, String> {
                val c = URL("http://$host:$port/api").openConnection() as HttpURLConnection
                val added = Tracing.apply(core, c)
                c.responseCode
                c.disconnect()
                return added
            }
            assertTrue("no session: nothing", get("127.0.0.1").isEmpty())
            val id = core.start(1_000uL)
            assertEquals(mapOf("x-rejourney-session-id" to id), get("127.0.0.1"))
            // A host not listed (not connected: it may resolve to ::1, where nothing listens).
            val other = URL("http://localhost:$port/api").openConnection() as HttpURLConnection
            assertTrue(Tracing.apply(core, other).isEmpty())
            assertNull(other.getRequestProperty("x-rejourney-session-id"))
            assertEquals("the server saw the header once, with the session", listOf(null, id), seen.toList())
            assertTrue(Tracing.headers(core, "not a url").isEmpty())
            assertTrue(Tracing.headers(null, "http://127.0.0.1/").isEmpty())
            core.shutdown(0uL)
        } finally {
            http.stop(0)
        }
    }
}
