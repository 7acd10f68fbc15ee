package io.rejourney

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.rejourney_core.Consent
import uniffi.rejourney_core.MaskRect
import uniffi.rejourney_core.MaskTag
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.NodeTree
import uniffi.rejourney_core.PixelFormat
import uniffi.rejourney_core.Rejourney
import uniffi.rejourney_core.RejourneyException
import uniffi.rejourney_core.TouchPosition
import uniffi.rejourney_core.ViewNode
import uniffi.rejourney_core.consentAtLaunch
import uniffi.rejourney_core.consentDecision
import uniffi.rejourney_core.placeTouch
import io.rejourney.sdk.NodeStringTable
import java.io.File

/**
 * Tracking consent and touch privacy through the Kotlin options and the generated bindings:
 * `tests/conformance/consent.json` and `touch_privacy.json` (the same vectors the Rust and
 * Swift suites run), then consent against the real ingest server.
 */
@Suppress("UNCHECKED_CAST")
class ConsentTest {
    private fun doc(file: String) =
        Json(File(repoRoot, "tests/conformance/$file").readText()).parse() as Map<String, Any?>

    private fun consent(name: Any?): TrackingConsent = when (name) {
        "pending" -> TrackingConsent.PENDING
        "granted" -> TrackingConsent.GRANTED
        "denied" -> TrackingConsent.DENIED
        else -> throw AssertionError("unknown consent $name")
    }

    @Test
    fun consentVectors() {
        val v = doc("consent.json")
        for (case in v["decisions"] as List<Map<String, Any?>>) {
            val d = consentDecision(consent(case["consent"]).toFfi())
            val e = case["expect"] as Map<String, Any?>
            assertEquals("$case", listOf(e["records"], e["uploads"], e["deletes"]), listOf(d.records, d.uploads, d.deletes))
        }
        val launch = v["launch"] as List<Map<String, Any?>>
        assertTrue(launch.size >= 8)
        for (case in launch) {
            val got = consentAtLaunch(case["persisted"] as String?, consent(case["initial"]).toFfi())
            assertEquals(case["name"] as String, consent(case["expect"]), TrackingConsent.of(got))
        }
    }

    /** The option `initialConsent` applies until an answer is kept; a kept answer wins at the next launch. */
    @Test
    fun aConsentIsKeptAcrossLaunchesThroughTheOptions() {
        val dir = tempDir("rj-kt-consent").path
        fun open(initial: TrackingConsent?) =
            Rejourney(RejourneyOptions(apiKey = "pk", apiUrl = NO_SERVER_URL, remoteConfig = false, initialConsent = initial).toFfi("dev", dir))
        val first = open(TrackingConsent.PENDING)
        assertEquals(Consent.PENDING, first.consent())
        first.setConsent(Consent.DENIED, 1uL)
        try {
            first.start(2uL)
            fail("denied: nothing starts")
        } catch (e: RejourneyException.ConsentDenied) {
        }
        first.shutdown(0uL)
        val second = open(TrackingConsent.GRANTED)
        assertEquals("the kept denial wins", Consent.DENIED, second.consent())
        second.setConsent(Consent.GRANTED, 3uL)
        second.shutdown(0uL)
        assertEquals(Consent.GRANTED, open(TrackingConsent.DENIED).consent())
    }

    @Test
    fun pendingSendsNothingThenGrantedDeliversIt() {
        IngestProcess().use { server ->
            val core = Rejourney(
                RejourneyOptions(apiKey = "pk_test", apiUrl = server.url, initialConsent = TrackingConsent.PENDING, remoteConfigHoldMs = 0)
                    .toFfi("device-kt", tempDir("rj-kt-consent-srv").path),
            )
            val session = core.start(1_000uL)
            val strings = NodeStringTable()
            val window = ViewNode(null, strings.intern("Window"), 0f, 0f, 12.8f, 12.8f, NodeKind.CONTAINER, MaskTag.NONE)
            core.tick(1_001uL)
            val update = strings.update().also { strings.committed(it) }
            core.submitFrame(ByteArray(16 * 16 * 4) { 7 }, 16u, 16u, 64u, PixelFormat.RGBA, 1.25f, 1_002uL, NodeTree(listOf(window), update))
            core.logEvent(1_003uL, "while-pending", emptyMap())
            core.stop(2_000uL)
            assertTrue("on the device", core.persist(10_000uL))
            assertFalse("held: not delivered", core.flush(300uL))
            assertTrue("nothing reached the server", server.bundles(session).isEmpty() && !server.sessionEnded(session))
            assertFalse("no session directory at all", File(server.dataDir, session).exists())
            core.setConsent(Consent.GRANTED, 3_000uL)
            assertTrue(core.flush(20_000uL))
            assertEquals(1, server.bundles(session).size)
            assertTrue(server.sessionEnded(session))
            server.synthetic(session)
            core.shutdown(0uL)
        }
    }

    /**
     * `consent.json`'s transitions through the Kotlin options and [TrackingConsent]: step 0 is
     * the launch with `initial`; each later step sets a consent (or restarts over the same
     * storage directory) and then logs a labelled event. Under granted each label is delivered
     * before the next step, so "uploaded" does not depend on upload timing. "Kept" is what a
     * final launch that grants delivers from the phone; "deleted" is neither.
     */
    @Test
    fun consentTransitionVectors() {
        val cases = doc("consent.json")["transitions"] as List<Map<String, Any?>>
        assertTrue(cases.size >= 8)
        IngestProcess().use { server ->
            for ((n, case) in cases.withIndex()) {
                val name = case["name"] as String
                val dir = tempDir("rj-kt-transition").path
                val tag = "v$n-${System.nanoTime()}"
                val options = RejourneyOptions(
                    apiKey = "pk_test", apiUrl = server.url, remoteConfig = false, anrThresholdMs = 0,
                    initialConsent = consent(case["initial"]),
                )
                fun open() = Rejourney(options.toFfi("device-kt-consent", dir))
                fun at(i: Int) = (T0 + i * 10_000L).toULong()
                var core = open()
                fun chunk(i: Int) {
                    runCatching { core.logEvent(at(i) + 1uL, "$tag-chunk-$i", emptyMap()) }
                    if (core.consent() == Consent.GRANTED) {
                        assertTrue("$name: chunk $i delivered", core.flush(WAIT_MS))
                    } else {
                        core.persist(WAIT_MS)
                    }
                }
                fun begin(i: Int) {
                    try {
                        core.start(at(i))
                    } catch (e: RejourneyException.ConsentDenied) {
                    }
                }
                begin(0)
                chunk(0)
                for ((k, step) in (case["steps"] as List<String>).withIndex()) {
                    val i = k + 1
                    if (step == "restart") {
                        core.shutdown(0uL)
                        core = open()
                        begin(i)
                    } else {
                        core.setConsent(consent(step).toFfi(), at(i))
                    }
                    chunk(i)
                }
                core.shutdown(2_000uL)
                val uploaded = server.customEvents(tag)
                // What is still on the phone: a last launch over the same directory grants it.
                val last = open()
                last.setConsent(Consent.GRANTED, at(99))
                assertTrue("$name: the last launch delivered", last.flush(WAIT_MS))
                last.shutdown(0uL)
                val kept = server.customEvents(tag) - uploaded.toSet()
                fun labels(key: String) = ((case["expect"] as Map<String, Any?>)[key] as List<Double>)
                    .map { "$tag-chunk-${it.toInt()}" }
                assertEquals("$name: uploaded (once each)", labels("uploaded"), uploaded.sorted())
                assertEquals("$name: kept on the phone", labels("kept"), kept.sorted())
                for (gone in labels("deleted")) {
                    assertFalse("$name: $gone should be gone", gone in uploaded || gone in kept)
                }
            }
        }
    }

    @Test
    fun touchPrivacyVectors() {
        val cases = doc("touch_privacy.json")["cases"] as List<Map<String, Any?>>
        assertTrue(cases.size >= 8)
        fun nums(v: Any?) = (v as List<Double>).map { it.toFloat() }
        for (case in cases) {
            val name = case["name"] as String
            val privacy = when (case["privacy"]) {
                "mask_masked" -> TouchPrivacy.MASK_MASKED
                "hide_all" -> TouchPrivacy.HIDE_ALL
                "show" -> TouchPrivacy.SHOW
                else -> throw AssertionError("unknown privacy in $name")
            }
            val p = nums(case["point"])
            val masks = (case["masks"] as List<Any?>).map { nums(it).let { r -> MaskRect(r[0], r[1], r[2], r[3]) } }
            // The option as the app sets it, converted by the Kotlin options.
            val option = RejourneyOptions(apiKey = "pk", touchPrivacy = privacy).toFfi("dev", "/tmp/rj-conformance").touchPrivacy!!
            val got = placeTouch(option, p[0], p[1], masks, case["masksKnown"] as Boolean)
            val e = case["expect"]
            val want = when {
                e == "hidden" -> TouchPosition.Hidden
                (e as Map<String, Any?>).containsKey("exact") -> nums(e["exact"]).let { TouchPosition.Exact(it[0], it[1]) }
                else -> nums(e["masked"]).let { TouchPosition.MaskedView(it[0], it[1], it[2], it[3]) }
            }
            assertEquals(name, want, got)
        }
    }

    private companion object {
        /** A loopback port nothing listens on. */
        const val NO_SERVER_URL = "http://127.0.0.1:9"
        const val T0 = 1_700_000_000_000L
        const val WAIT_MS = 20_000uL
    }
}
