package io.rejourney

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.rejourney_core.Rejourney
import uniffi.rejourney_core.RejourneyException
import uniffi.rejourney_core.WrapperDrop
import uniffi.rejourney_core.pendingCallLimit

/**
 * The pending-call bound through the generated bindings: the core holds its default and
 * bound, and drops a wrapper reports reach the core's telemetry. The Kotlin adapter opens its
 * core on the calling thread (there is no opening window to queue calls for), so it keeps no
 * such queue; a host that does (the Swift wrapper, a hybrid module) uses exactly these calls.
 */
class WrapperDropsTest {
    private fun options() = RejourneyOptions(apiKey = "pk", apiUrl = "http://127.0.0.1:9", remoteConfig = false, anrThresholdMs = 0)
        .toFfi("dev", tempDir("rj-kt-drops").path)

    @Test
    fun theLimitIsTheOptionOrTheCoresDefaultAndBounded() {
        assertEquals(1_000u, pendingCallLimit(options()))
        assertEquals(5u, pendingCallLimit(options().copy(pendingCallLimit = 5u)))
        try {
            pendingCallLimit(options().copy(pendingCallLimit = 100_001u))
            fail("over the maximum")
        } catch (e: RejourneyException.InvalidConfig) {
        }
    }

    @Test
    fun reportedDropsAreInTheTelemetry() {
        val core = Rejourney(options())
        assertEquals(0uL, core.telemetry().wrapperCallsDropped)
        core.recordWrapperDrops(WrapperDrop.PENDING_CALLS, 4uL)
        val t = core.telemetry()
        assertEquals(4uL, t.wrapperCallsDropped)
        assertTrue(t.json, t.json.contains("\"pending_calls\":4"))
        core.shutdown(0uL)
    }
}
