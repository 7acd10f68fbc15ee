package io.rejourney

import io.rejourney.sdk.CaptureRequest
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.TreeFlattener
import io.rejourney.sdk.ViewLike
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.rejourney_core.Gesture
import uniffi.rejourney_core.NodeKind
import uniffi.rejourney_core.RejourneyException
import uniffi.rejourney_core.TouchSummary
import uniffi.rejourney_core.classifyTouch
import uniffi.rejourney_core.effectiveOptions
import uniffi.rejourney_core.evaluateMasks
import uniffi.rejourney_core.DeferReason
import uniffi.rejourney_core.DeviceState
import uniffi.rejourney_core.NetworkState
import uniffi.rejourney_core.ThermalState
import uniffi.rejourney_core.evaluateDevicePolicy
import java.io.File

/**
 * The shared conformance vectors (`tests/conformance/`) through the Kotlin SDK: its options,
 * its registry and tree walk, then the core's decisions through the generated bindings. The
 * Rust and Swift suites run the same files; any difference is drift.
 */
@Suppress("UNCHECKED_CAST")
class ConformanceTest {
    private fun cases(file: String): List<Map<String, Any?>> {
        val doc = Json(File(repoRoot, "tests/conformance/$file").readText()).parse() as Map<String, Any?>
        return doc["cases"] as List<Map<String, Any?>>
    }

    /** The app's options from a vector's option set (core names, milliseconds). */
    private fun options(set: Map<String, Any?>): RejourneyOptions {
        fun l(k: String) = (set[k] as Double?)?.toLong()
        fun d(k: String) = set[k] as Double?
        fun b(k: String) = set[k] as Boolean?
        fun list(k: String) = (set[k] as List<String>?) ?: emptyList()
        return RejourneyOptions(
            apiKey = "pk", apiUrl = "http://127.0.0.1:9",
            captureIntervalMs = l("captureIntervalMs"), captureScale = d("captureScale")?.toFloat(),
            jpegQuality = d("jpegQuality")?.toFloat(), batchSize = l("batchSize")?.toInt(),
            sampleRate = d("sampleRate"), backgroundTimeoutMs = l("backgroundTimeoutMs"),
            maskAllText = b("maskAllText"), maskAllImages = b("maskAllImages"),
            maskWebViews = b("maskWebViews"), maskVideo = b("maskVideo"),
            maskedClasses = list("maskedClasses"), maskedTestIds = list("maskedTestIds"),
            spoolQuotaBytes = l("spoolQuotaBytes"), anrThresholdMs = l("anrThresholdMs"),
            urlDenyList = list("urlDenyList"), captureHierarchy = b("captureHierarchy"),
            maxNodesPerCapture = l("walkMaxNodes")?.toInt(), walkBudgetMs = d("walkBudgetMs"),
            sessionSampleRate = d("sessionSampleRate"), onErrorSampleRate = d("onErrorSampleRate"),
            bufferWindowMs = l("bufferWindowMs"), bufferMaxBytes = l("bufferMaxBytes"),
            bufferCaptureIntervalMs = l("bufferCaptureIntervalMs"), remoteConfig = b("remoteConfig"),
            remoteConfigHoldMs = l("remoteConfigHoldMs"), maskTextInputs = b("maskTextInputs"),
            uploadOnlyOnUnmetered = b("uploadOnlyOnUnmetered"), lowBatteryThreshold = d("lowBatteryThreshold")?.toFloat(),
            dashboardUrl = set["dashboardUrl"] as String?, traceHosts = list("traceHosts"),
            touchPrivacy = (set["touchPrivacy"] as String?)?.let { TouchPrivacy.valueOf(it.uppercase()) },
            initialConsent = (set["initialConsent"] as String?)?.let { TrackingConsent.valueOf(it.uppercase()) },
        )
    }

    private fun ffi(o: RejourneyOptions) = o.toFfi("dev", "/tmp/rj-conformance")

    /** A vector node as the walk sees a platform view; its `name` rides in the stable id. */
    private class VectorView(val m: Map<String, Any?>, val names: MutableList<String>) : ViewLike {
        private val frame = (m["frame"] as List<Double>).map { it.toFloat() }
        private val ordinal = names.size.also { names.add(m["name"] as String) }
        override val className get() = m["class"] as String
        override val x get() = frame[0]
        override val y get() = frame[1]
        override val width get() = frame[2]
        override val height get() = frame[3]
        override val kind get() = when (m["kind"]) {
            "container" -> NodeKind.CONTAINER
            "text" -> NodeKind.TEXT
            "text_input" -> NodeKind.TEXT_INPUT
            "secure_input" -> NodeKind.SECURE_INPUT
            "image" -> NodeKind.IMAGE
            "video" -> NodeKind.VIDEO
            "camera" -> NodeKind.CAMERA
            "map" -> NodeKind.MAP
            "web_view" -> NodeKind.WEB_VIEW
            "other" -> NodeKind.OTHER
            else -> error("unknown kind ${m["kind"]}")
        }
        override val tag get() = m["tag"] as String?
        override val testId get() = m["testId"] as String?
        override val textLength get() = (m["textLength"] as Double?)?.toUInt()
        override val visible get() = m["visible"] as Boolean? ?: true
        override val animating get() = m["animating"] as Boolean? ?: false
        override val stableId get() = ordinal.toULong()
        override val children: List<ViewLike> =
            ((m["children"] as List<Map<String, Any?>>?) ?: emptyList()).map { VectorView(it, names) }

        fun all(): List<VectorView> = listOf(this) + children.flatMap { (it as VectorView).all() }
    }

    @Test
    fun maskVectors() {
        val cases = cases("masks.json")
        assertTrue(cases.size >= 10)
        for (case in cases) {
            val name = case["name"] as String
            val opts = ffi(options(case["options"] as Map<String, Any?>))
            val names = mutableListOf<String>()
            val root = VectorView(case["tree"] as Map<String, Any?>, names)
            val registry = MaskRegistry()
            for (v in root.all()) when (v.m["registered"]) {
                "mask" -> registry.mask(v)
                "unmask" -> registry.unmask(v)
            }
            val effective = Json(effectiveOptions(opts)).parse() as Map<String, Any?>
            val budget = CaptureRequest((effective["walkMaxNodes"] as Double).toInt(), 60_000_000_000L)
            val walked = TreeFlattener(registry).flatten(root, budget)
            val expect = case["expect"] as Map<String, Any?>
            assertEquals("$name: truncated", expect["truncated"] as Boolean? ?: false, walked.truncated)
            (expect["visited"] as Double?)?.let { assertEquals("$name: visited", it.toInt(), walked.nodes.size) }
            // A fresh walk's table has sent nothing: its update holds every string, in index order.
            val eval = evaluateMasks(walked.nodes, walked.strings.update().added, opts)
            val masked = walked.nodes.zip(eval.masked).filter { it.second }.map { names[it.first.viewId!!.toInt()] }
            assertEquals("$name: masked nodes", (expect["masked"] as List<String>).sorted(), masked.sorted())
            assertEquals("$name: moving", expect["movingMasked"] as Boolean? ?: false, eval.movingMasked)
            (expect["rects"] as Double?)?.let { assertEquals("$name: rectangles", it.toInt(), eval.rects.size) }
        }
    }

    @Test
    fun gestureVectors() {
        for (case in cases("gestures.json")) {
            val t = case["touch"] as Map<String, Double>
            val touch = TouchSummary(
                t.getValue("startX").toFloat(), t.getValue("startY").toFloat(),
                t.getValue("endX").toFloat(), t.getValue("endY").toFloat(),
                t.getValue("durationMs").toLong().toULong(), t.getValue("maxPointers").toInt().toUInt(),
            )
            val got = when (classifyTouch(touch)) {
                Gesture.TAP -> "tap"
                Gesture.LONG_PRESS -> "long_press"
                Gesture.SWIPE -> "swipe"
                Gesture.PINCH -> "pinch"
            }
            assertEquals(case["name"] as String, case["expect"], got)
        }
    }

    @Test
    fun optionVectors() {
        for (case in cases("options.json")) {
            val name = case["name"] as String
            val opts = ffi(options(case["options"] as Map<String, Any?>))
            if (case["error"] == true) {
                try {
                    effectiveOptions(opts)
                    fail("$name: accepted")
                } catch (e: RejourneyException.InvalidConfig) {
                }
                continue
            }
            val got = Json(effectiveOptions(opts)).parse() as Map<String, Any?>
            val want = case["expect"] as Map<String, Any?>
            assertEquals("$name: every effective option is in the vector", want.keys, got.keys)
            for ((k, v) in want) {
                val g = got[k]
                if (v is Double && g is Double) assertEquals("$name: $k", v, g, 1e-6) else assertEquals("$name: $k", v, g)
            }
        }
    }

    /** `device.json`: the device state as a wrapper reports it → the core's decision. */
    @Test
    fun deviceVectors() {
        val cases = Json(File(repoRoot, "tests/conformance/device.json").readText()).parse() as List<Map<String, Any?>>
        assertTrue(cases.size >= 12)
        for (case in cases) {
            val name = case["name"] as String
            val s = case["state"] as Map<String, Any?>
            val state = DeviceState(
                thermal = ThermalState.valueOf((s["thermal"] as String).uppercase()),
                lowPower = s["lowPower"] as Boolean,
                batteryLevel = (s["batteryLevel"] as Double?)?.toFloat(),
                charging = s["charging"] as Boolean,
                network = NetworkState.valueOf((s["network"] as String).uppercase()),
            )
            val got = evaluateDevicePolicy(state, case["uploadOnlyOnUnmetered"] as Boolean)
            val want = case["expected"] as Map<String, Any?>
            assertEquals("$name: stopped", want["captureStopped"], got.captureStopped)
            assertEquals("$name: factor", (want["intervalFactor"] as Double).toInt(), got.intervalFactor.toInt())
            val deferred = when (got.uploadDeferred) {
                null -> null
                DeferReason.OFFLINE -> "offline"
                DeferReason.LOW_BATTERY -> "low_battery"
                DeferReason.METERED -> "metered"
            }
            assertEquals("$name: deferred", want["uploadDeferred"], deferred)
        }
    }
}
