package io.rejourney.android

import io.rejourney.IngestProcess
import io.rejourney.Json
import io.rejourney.RejourneyOptions
import io.rejourney.TrackingConsent
import io.rejourney.repoRoot
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowPixelCopy
import java.io.File

/**
 * `tests/conformance/consent.json`'s transitions through the Android entry point
 * (`Rejourney.start`, `setConsent`, `logEvent`, `consent`) on the real framework, against the
 * ingest server: the vectors the Rust, JVM and Swift suites replay. A restart is the app's
 * next launch: the running core shut down, then `start` over the same storage directory.
 * Same configuration as the suite's other classes: one sandbox, the native library loads once.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidConsentTest {
    @After
    fun stopRecording() {
        Rejourney.stop()
        Recording.idle()
    }

    private fun consent(name: Any?) = when (name) {
        "pending" -> TrackingConsent.PENDING
        "granted" -> TrackingConsent.GRANTED
        "denied" -> TrackingConsent.DENIED
        else -> throw AssertionError("unknown consent $name")
    }

    /** The process ends: the core's threads stop and its files stay for the next launch. */
    private fun quit() {
        val core = Rejourney.client()
        Rejourney.stop()
        Recording.idle()
        core?.shutdown(0uL)
    }

    @Suppress("UNCHECKED_CAST")
    @Test
    fun consentTransitionVectorsThroughTheAndroidEntryPoint() {
        val app = RuntimeEnvironment.getApplication()
        val storage = app.noBackupFilesDir.resolve("rejourney")
        val doc = Json(File(repoRoot, "tests/conformance/consent.json").readText()).parse() as Map<String, Any?>
        val cases = doc["transitions"] as List<Map<String, Any?>>
        assertTrue(cases.size >= 8)
        IngestProcess().use { server ->
            for ((n, case) in cases.withIndex()) {
                val name = case["name"] as String
                quit()
                storage.deleteRecursively()
                val tag = "a$n-${System.nanoTime()}"
                val options = RejourneyOptions(
                    apiKey = "pk_test", apiUrl = server.url, remoteConfig = false, anrThresholdMs = 0,
                    initialConsent = consent(case["initial"]),
                )
                fun chunk(i: Int) {
                    Rejourney.logEvent("$tag-chunk-$i")
                    val core = Rejourney.client() ?: throw AssertionError("$name: no core: ${Rejourney.stats}")
                    if (Rejourney.consent() == TrackingConsent.GRANTED) {
                        assertTrue("$name: chunk $i delivered", core.flush(20_000uL))
                    } else {
                        core.persist(20_000uL)
                    }
                }
                Rejourney.start(app, options)
                chunk(0)
                for ((k, step) in (case["steps"] as List<String>).withIndex()) {
                    if (step == "restart") {
                        quit()
                        Rejourney.start(app, options)
                    } else {
                        Rejourney.setConsent(consent(step))
                    }
                    chunk(k + 1)
                }
                val core = Rejourney.client()
                Rejourney.stop()
                Recording.idle()
                core?.flush(2_000uL)
                core?.shutdown(0uL)
                val uploaded = server.customEvents(tag)
                // What is still on the phone: the next launch grants it.
                Rejourney.start(app, options)
                Rejourney.setConsent(TrackingConsent.GRANTED)
                assertTrue("$name: the last launch delivered", Rejourney.client()!!.flush(20_000uL))
                val kept = server.customEvents(tag) - uploaded.toSet()
                fun labels(key: String) = ((case["expect"] as Map<String, Any?>)[key] as List<Double>)
                    .map { "$tag-chunk-${it.toInt()}" }
                assertEquals("$name: uploaded (once each)", labels("uploaded"), uploaded.sorted())
                assertEquals("$name: kept on the phone", labels("kept"), kept.sorted())
                for (gone in labels("deleted")) {
                    assertFalse("$name: $gone should be gone", gone in uploaded || gone in kept)
                }
            }
            quit()
        }
    }
}
