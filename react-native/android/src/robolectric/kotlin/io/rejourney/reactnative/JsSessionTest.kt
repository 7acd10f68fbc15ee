package io.rejourney.reactnative

import android.app.Activity
import android.graphics.Color
import android.os.Bundle
import android.view.ViewGroup
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.TextView
import com.facebook.react.bridge.BridgeReactContext
import com.facebook.react.internal.featureflags.ReactNativeFeatureFlagsForTests
import com.facebook.react.uimanager.ThemedReactContext
import com.facebook.react.views.view.ReactViewManager
import io.rejourney.IngestProcess
import io.rejourney.android.Box
import io.rejourney.android.Recording
import io.rejourney.android.Rejourney
import io.rejourney.android.Widgets
import io.rejourney.repoRoot
import org.json.JSONArray
import org.json.JSONObject
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowPixelCopy
import java.io.File
import java.util.zip.GZIPInputStream

/** A checkout screen: a label, an e-mail, a password, and a slot for what JS renders. */
class CheckoutActivity : Activity() {
    lateinit var label: TextView
    lateinit var user: EditText
    lateinit var password: EditText
    lateinit var slot: LinearLayout

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Checkout")
        user = Widgets.input(this, "alice@example.com", Widgets.PLAIN)
        password = Widgets.input(this, "hunter2", Widgets.PASSWORD)
        slot = Widgets.column(this, label, user, password)
        setContentView(slot)
    }
}

/**
 * A session driven by the package's own JS through the real Android module: Node runs the
 * compiled package (`lib/`) in react-native/test-android/session.js, with a `react-native`
 * that forwards each native call here as a JSON line ([NodeSession]); [BridgeCalls] invokes
 * the real `RejourneyModule`'s `@ReactMethod`s (from the autolinked [RejourneyPackage], on
 * react-android's `BridgeReactContext`, with `JavaOnlyMap`s and `PromiseImpl`s) on a module
 * thread, and the `<Mask>` JS rendered is mounted through the real view managers ([JsSurface]).
 * The Android adapter captures the real widgets (native graphics, PixelCopy) with the real
 * core (the host library through JNA) into the local ingest server; the script then decodes
 * every stored frame with examples/verify_stored.rs.
 *
 * Why Node and not a JS engine on the JVM: the package's JS is what Metro bundles for React
 * Native (CommonJS from tsc, React 19), which Node runs as is with the package's own
 * node_modules (React, react-test-renderer), already installed for the JS suite; GraalJS or
 * Rhino would need a bundle and a module loader of their own and cannot run React 19's
 * scheduler without more stand-ins. The pipe adds nothing the bridge does not: the bridge too
 * serialises every call (JSON on the old bridge's message queue).
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class JsSessionTest {
    @After
    fun stopRecording() {
        Rejourney.stop()
        Recording.idle()
    }

    @Test
    fun aJsDrivenSessionThroughTheRealModuleLandsInTheIngestServerMasked() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(CheckoutActivity::class.java).setup().get()
            // React Native's flags come from its C++ core by default (absent on a host JVM);
            // react-android's own test hook serves its defaults from Kotlin.
            ReactNativeFeatureFlagsForTests.setUp()
            val react = BridgeReactContext(activity.application)
            val pkg = RejourneyPackage()
            val module = pkg.getModule(RejourneyModule.NAME, react) as RejourneyModule
            val managers = (pkg.createViewManagers(react) + ReactViewManager()).associateBy { it.name }
            val surface = JsSurface(activity, ThemedReactContext(react, activity), managers)
            activity.slot.addView(surface, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 60).apply { setMargins(10, 10, 10, 10) })
            Recording.idle()

            var core: uniffi.rejourney_core.Rejourney? = null
            var startMs = 0L
            var done: JSONObject? = null
            val script = File(repoRoot, "react-native/test-android/session.js")
            val env = mapOf(
                "RJ_MODULES" to JSONObject().put(RejourneyModule.NAME, BridgeCalls.descriptorsOf(RejourneyModule::class.java)).toString(),
                "RJ_VIEW_MANAGERS" to JSONArray(managers.keys.toList()).toString(),
                "RJ_INGEST_URL" to server.url,
            )
            val seen = java.util.Collections.synchronizedList(mutableListOf<String>())
            NodeSession(script, env).use { node ->
                val calls = BridgeCalls(module, object : BridgeCalls.Answer {
                    override fun resolve(id: Int, value: Any?) { seen.add("resolved $id: $value"); node.resolve(id, value) }
                    override fun reject(id: Int, code: String, message: String) { seen.add("rejected $id: $message"); node.reject(id, code, message) }
                })
                var waiting: Pair<Int, Long>? = null
                val deadline = System.nanoTime() + 90_000_000_000L
                while (done == null) {
                    assertTrue(
                        "the JS session finished in time; JS sent $seen; waiting for $waiting, captured ${Rejourney.captureLoop()?.captures}; ${Rejourney.stats}; " +
                            "module errors ${calls.escaped}; node printed:\n${node.output}",
                        System.nanoTime() < deadline,
                    )
                    val m = node.next(20)
                    if (m != null) seen.add(m.optString("method", m.optString("op")))
                    when {
                        m == null -> Recording.idle(50)
                        m.has("module") -> {
                            val method = m.getString("method")
                            if (method == "start") startMs = System.currentTimeMillis()
                            calls.call(if (m.has("id")) m.getInt("id") else null, method, m.getJSONArray("args"))
                        }
                        m.optString("op") == "mount" -> {
                            surface.mount(m.getJSONObject("tree"))
                            Recording.idle()
                            node.resolve(m.getInt("id"), null)
                        }
                        m.optString("op") == "untilCaptured" -> waiting = m.getInt("id") to m.getLong("frames")
                        m.optString("op") == "done" -> done = m
                        else -> throw AssertionError("the JS session failed: $m\nnode printed:\n${node.output}")
                    }
                    val w = waiting
                    val captures = Rejourney.captureLoop()?.captures ?: 0
                    if (w != null && captures >= w.second) {
                        core = Rejourney.client()
                        node.resolve(w.first, null)
                        waiting = null
                    }
                }
                // The JS stop runs on the module thread: let it finish (its main-thread part too).
                calls.close()
                Recording.idle()
                assertEquals("node exited cleanly; it printed:\n${node.output}", 0, node.exitCode(10_000))
                assertTrue("no error escaped a module method: ${calls.escaped}", calls.escaped.isEmpty())
            }
            val result = done!!
            assertEquals("the package found the module on the bridge", "bridge", result.getString("availability"))
            val session = result.getString("sessionId")
            val c = core ?: throw AssertionError("no core while the session ran")
            assertFalse("JS's stop stopped the capture", Rejourney.captureLoop()?.running == true)
            assertTrue("everything delivered", c.flush(30_000uL))
            val t = c.telemetry()
            assertTrue("JS read the telemetry through the module: $result", result.getJSONObject("telemetry").length() > 0)

            val masked = surface.mounted[MaskViews.NAME]?.single() ?: throw AssertionError("no <Mask> view mounted: ${surface.mounted}")
            val green = surface.mounted["RCTView"]!!.last()
            val metrics = android.content.res.Resources.getSystem().displayMetrics
            val line = JSONObject()
                .put("session", session).put("start", startMs).put("captured", t.framesCaptured.toLong())
                .put("screen_pt", JSONArray(listOf(metrics.widthPixels / metrics.density, metrics.heightPixels / metrics.density)))
                .put("private", JSONArray(listOf(Box.of(activity.user), Box.of(activity.password), Box.of(masked)).map { it.array() }))
                .put("visible", JSONArray(listOf(Box.of(activity.label)).map { it.array() }))
                .put("colored", JSONArray(listOf(Box.of(green).array().put(0).put(0xAA).put(0))))
            File(server.dataDir, "submitted.jsonl").appendText("$line\n")
            assertTrue("frames stored for $session: ${t.json}", server.bundles(session).isNotEmpty())

            val events = storedEvents(server, session)
            fun has(what: String, p: (JSONObject) -> Boolean) = assertTrue("$what in the stored events: $events", events.any(p))
            has("the screen") { it.optString("type") == "navigation" && it.toString().contains("Checkout") }
            has("identify") { it.optString("type") == "user_identity_changed" && it.optString("userId") == "user-42" }
            has("the custom event") {
                it.optString("type") == "custom" && it.optString("name") == "checkout_opened" &&
                    it.toString().contains("\"items\":3") && it.toString().contains("\"express\":true")
            }
            // Where a lost request went: JS's capture reports it to the module (a `networkRequest`
            // call), the module hands it to the core, which records it unless its URL is denied.
            assertTrue("JS reported the fetch to the module: $seen", "networkRequest" in seen)
            has("the fetch, its secret redacted") {
                it.optString("type") == "network_request" && it.optString("url").startsWith(result.getString("shopUrl") + "/api/cart") &&
                    !it.toString().contains("s3cret") && it.optInt("statusCode") == 200
            }
            c.shutdown(1000uL)
        }
    }

    private fun Box.array() = JSONArray(listOf(x, y, w, h))

    private fun storedEvents(server: IngestProcess, session: String): List<JSONObject> =
        (File(server.dataDir, "$session/events").listFiles() ?: emptyArray())
            .filter { it.name.endsWith(".gz") }
            .flatMap { f ->
                val batch = JSONObject(GZIPInputStream(f.inputStream()).use { it.readBytes() }.decodeToString())
                val list = batch.optJSONArray("events") ?: JSONArray()
                (0 until list.length()).map { list.getJSONObject(it) }
            }
}
