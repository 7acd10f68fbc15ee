package io.rejourney.android

import android.app.Activity
import android.graphics.Color
import android.os.Bundle
import android.text.InputType
import android.view.Gravity
import android.view.View
import android.view.ViewGroup
import android.widget.EditText
import android.widget.FrameLayout
import android.widget.LinearLayout
import android.widget.TextView
import io.rejourney.IngestProcess
import io.rejourney.RejourneyOptions
import org.junit.Assert.assertTrue
import org.robolectric.Shadows.shadowOf
import android.os.Looper
import java.io.File
import java.time.Duration

/** Real widgets for the suite: light backgrounds, so a missing mask or lost content shows. */
object Widgets {
    fun text(a: Activity, label: String, color: Int = Color.WHITE) = TextView(a).apply {
        text = label
        setTextColor(Color.BLACK)
        setBackgroundColor(color)
        textSize = 18f
    }

    fun input(a: Activity, value: String, type: Int) = EditText(a).apply {
        inputType = type
        setText(value)
        setTextColor(Color.BLACK)
        setBackgroundColor(Color.WHITE)
        // A blinking cursor redraws the window every half second: the capture rightly drops a
        // frame drawn while it was being copied, which would make the frame count depend on
        // timing.
        isCursorVisible = false
        textSize = 18f
    }

    const val PASSWORD = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD
    const val PLAIN = InputType.TYPE_CLASS_TEXT
    const val NUMBER_PASSWORD = InputType.TYPE_CLASS_NUMBER or InputType.TYPE_NUMBER_VARIATION_PASSWORD

    fun column(a: Activity, vararg views: View) = LinearLayout(a).apply {
        orientation = LinearLayout.VERTICAL
        setBackgroundColor(Color.rgb(40, 40, 40))
        for (v in views) addView(v, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 60).apply { setMargins(10, 10, 10, 10) })
    }
}

/** A sign-in form: a label, a user name, a password. */
class FormActivity : Activity() {
    lateinit var label: TextView
    lateinit var user: EditText
    lateinit var password: EditText

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Welcome back")
        user = Widgets.input(this, "alice@example.com", Widgets.PLAIN)
        password = Widgets.input(this, "hunter2", Widgets.PASSWORD)
        setContentView(Widgets.column(this, label, user, password))
    }
}

/** Screen rectangles in dp, as verify_stored reads them. */
data class Box(val x: Float, val y: Float, val w: Float, val h: Float) {
    fun json() = "[$x,$y,$w,$h]"

    companion object {
        /** A view's untransformed rectangle on screen. */
        fun of(v: View): Box {
            val loc = IntArray(2)
            v.getLocationOnScreen(loc)
            val d = v.resources.displayMetrics.density
            return Box(loc[0] / d, loc[1] / d, v.width / d, v.height / d)
        }
    }
}

/** Drives a recording on the paused main looper of Robolectric, with the real core. */
object Recording {
    private val main get() = shadowOf(Looper.getMainLooper())

    fun options(server: IngestProcess) = RejourneyOptions(apiKey = "pk_test", apiUrl = server.url)

    /** Lets main-looper time pass (and real time, for the core's clock and the copy thread). */
    fun idle(ms: Long = 100) {
        main.idleFor(Duration.ofMillis(ms))
        Thread.sleep(10)
    }

    /**
     * Runs the main looper until the capture loop has handed the core [frames] frames (within a
     * deadline: a failure to capture fails the test, never hangs it).
     */
    fun untilCaptured(frames: Long) {
        val deadline = System.nanoTime() + 20_000_000_000L
        while (System.nanoTime() < deadline) {
            val loop = Rejourney.captureLoop()
            if (loop != null && loop.captures >= frames) return
            idle()
        }
        throw AssertionError("captured ${Rejourney.captureLoop()?.captures} of $frames frames; ${Rejourney.stats}; loop errors ${Rejourney.captureLoop()?.errors}, dropped ${Rejourney.captureLoop()?.droppedFrames}")
    }

    /**
     * Stops, waits for delivery, and declares the session's screen to verify_stored: every
     * stored frame black inside [private], content inside [visible], each [colored] box its
     * solid colour.
     */
    fun finish(
        server: IngestProcess, session: String, startMs: Long, private: List<Box>, visible: List<Box>,
        colored: List<Pair<Box, Int>> = emptyList(),
    ) {
        val core = Rejourney.client() ?: throw AssertionError("no core")
        Rejourney.stop()
        idle()
        assertTrue("everything delivered", core.flush(30_000uL))
        val t = core.telemetry()
        val metrics = android.content.res.Resources.getSystem().displayMetrics
        val line = "{\"session\":\"$session\",\"start\":$startMs,\"captured\":${t.framesCaptured}," +
            "\"screen_pt\":[${metrics.widthPixels / metrics.density},${metrics.heightPixels / metrics.density}]," +
            "\"private\":[${private.joinToString(",") { it.json() }}],\"visible\":[${visible.joinToString(",") { it.json() }}]," +
            "\"colored\":[${colored.joinToString(",") { (b, c) -> "[${b.x},${b.y},${b.w},${b.h},${Color.red(c)},${Color.green(c)},${Color.blue(c)}]" }}]}"
        File(server.dataDir, "submitted.jsonl").appendText(line + "\n")
        assertTrue("frames stored for $session: ${t.json}", server.bundles(session).isNotEmpty())
    }
}
