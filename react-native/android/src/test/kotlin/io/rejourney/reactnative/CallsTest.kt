package io.rejourney.reactnative

import com.facebook.react.bridge.Promise
import org.junit.Assert.assertEquals
import org.junit.Test
import java.lang.reflect.Proxy

/**
 * `settle` / `quietly` against React Native's real `Promise` interface (compiled against the
 * react-android classes from Maven Central): an `Error` — what a failed native-library load
 * throws — is a rejection or swallowed, never an escape into the app's module call.
 */
class CallsTest {
    /** React Native's Promise, recording what it was told (a proxy: the interface has 11 rejects). */
    private class Recorded {
        val rejected = mutableListOf<String>()
        var resolved: Any? = null
        val promise: Promise = Proxy.newProxyInstance(Promise::class.java.classLoader, arrayOf(Promise::class.java)) { _, m, args ->
            if (m.name == "resolve") resolved = args?.get(0)
            if (m.name == "reject") rejected += args.orEmpty().filter { it is String }.joinToString(": ")
            null
        } as Promise
    }

    @Test fun settleRejectsOnAnError() {
        val p = Recorded()
        settle(p.promise) { throw UnsatisfiedLinkError("librejourney_core.so not found") }
        assertEquals(listOf("rejourney: librejourney_core.so not found"), p.rejected)
        val ok = Recorded()
        settle(ok.promise) { "session_1" }
        assertEquals("session_1", ok.resolved)
    }

    @Test fun quietlySwallowsAnError() {
        var after = false
        quietly { throw NoClassDefFoundError("uniffi/rejourney_core/Rejourney") }
        after = true
        assertEquals(true, after)
    }

    /** A session event as the map React Native's emitter sends (JavaOnlyMap: the same interface, no JNI). */
    @Test fun sessionEventsBecomeAWritableMap() {
        val m = writable(
            mapOf("type" to "ended", "sessionId" to "s1", "replayUrl" to null, "reason" to "opt_out"),
            com.facebook.react.bridge.JavaOnlyMap(),
        )
        assertEquals("ended", m.getString("type"))
        assertEquals("s1", m.getString("sessionId"))
        assertEquals(true, m.isNull("replayUrl"))
        assertEquals("opt_out", m.getString("reason"))
    }
}
