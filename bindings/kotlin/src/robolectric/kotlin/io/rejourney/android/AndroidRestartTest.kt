package io.rejourney.android

import io.rejourney.IngestProcess
import io.rejourney.RejourneyOptions
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowPixelCopy

/**
 * `Rejourney.start` while running (an app calling start twice, React Native's reload) on
 * the real framework, against the ingest server: the old core ends its session and hands its
 * storage directory over (never two cores over one spool), so everything recorded before
 * and after the restart is stored exactly once and the old core answers nothing more.
 * Same configuration as the suite's other classes: one sandbox, the native library loads once.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidRestartTest {
    @After
    fun stopRecording() {
        val core = Rejourney.client()
        Rejourney.stop()
        Recording.idle()
        core?.shutdown(0uL)
    }

    @Test
    fun aSecondStartHandsTheStorageOverAndDeliversEachArtifactOnce() {
        val app = RuntimeEnvironment.getApplication()
        IngestProcess().use { server ->
            val tag = "restart-${System.nanoTime()}"
            val options = RejourneyOptions(apiKey = "pk_test", apiUrl = server.url, remoteConfig = false, anrThresholdMs = 0)
            val first = Rejourney.start(app, options)
            assertNotNull("first start: ${Rejourney.stats}", first)
            val old = Rejourney.client()!!
            Rejourney.logEvent("$tag-0")
            // Spooled, not yet delivered: the restart must neither lose nor repeat it.
            assertTrue(old.persist(20_000uL))
            val second = Rejourney.start(app, options)
            assertNotNull("second start: ${Rejourney.stats}", second)
            assertNotEquals(first, second)
            val core = Rejourney.client()!!
            assertTrue("a new core", core !== old)
            Rejourney.logEvent("$tag-1")
            // The old core was handed over: its calls are answered with a typed error.
            val oldAnswered = runCatching { old.logEvent(System.currentTimeMillis().toULong(), "$tag-late", emptyMap()) }
            assertTrue("the old core refuses: $oldAnswered", oldAnswered.isFailure)
            Rejourney.stop()
            Recording.idle()
            assertTrue("delivered", core.flush(20_000uL))
            assertEquals("each event stored once", listOf("$tag-0", "$tag-1"), server.customEvents(tag).sorted())
            assertTrue("the first session ended", server.sessionEnded(first!!))
            assertTrue("the second session ended", server.sessionEnded(second!!))
        }
    }
}
