package io.rejourney.reactnative

import io.rejourney.RejourneyOptions
import io.rejourney.TouchPrivacy
import io.rejourney.TrackingConsent
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.fail
import org.junit.Test
import uniffi.rejourney_core.Rejourney

/** `touchPrivacy`, `initialConsent` and `setConsent` as JS sends them, converted and forwarded. */
class ConsentOptionsTest {
    @Test
    fun theOptionsConvertJsNamesAndStayUnsetWhenAbsent() {
        val o = RejourneyModuleImpl.options(mapOf("apiKey" to "pk", "touchPrivacy" to "hide_all", "initialConsent" to "pending"))
        assertEquals(TouchPrivacy.HIDE_ALL, o.touchPrivacy)
        assertEquals(TrackingConsent.PENDING, o.initialConsent)
        val plain = RejourneyModuleImpl.options(mapOf("apiKey" to "pk"))
        assertNull(plain.touchPrivacy)
        assertNull(plain.initialConsent)
        for (bad in listOf(mapOf("touchPrivacy" to "mask"), mapOf("initialConsent" to "yes"))) {
            try {
                RejourneyModuleImpl.options(mapOf<String, Any?>("apiKey" to "pk") + bad)
                fail("accepted $bad")
            } catch (e: IllegalArgumentException) {
            }
        }
    }

    @Test
    fun setConsentReachesTheCore() {
        val core = Rejourney(
            RejourneyOptions(apiKey = "pk", apiUrl = "http://127.0.0.1:9", remoteConfig = false)
                .toFfi("dev", io.rejourney.tempDir("rj-rn-consent").path),
        )
        val impl = RejourneyModuleImpl(object : RejourneyModuleImpl.Host {
            override fun start(options: RejourneyOptions): String? = null
            override fun core() = core
            override fun stop() {}
        })
        impl.setConsent("pending")
        assertEquals(uniffi.rejourney_core.Consent.PENDING, core.consent())
        impl.setConsent("denied")
        assertEquals(uniffi.rejourney_core.Consent.DENIED, core.consent())
        try {
            impl.setConsent("maybe")
            fail("accepted")
        } catch (e: IllegalArgumentException) {
        }
        core.shutdown(0uL)
    }
}
