// The Android adapter's main-thread cost of one capture, on the real framework under
// Robolectric (native graphics, SDK 34): for a 500- and a 1 000-view Activity, what
// `WindowCapture.capture` costs the main thread (window list, pending-change checks, the walk,
// the bitmaps, the copy requests) and, apart, the walk alone and Robolectric's own software
// draw of the window (ShadowPixelCopy draws the window on the caller's thread inside the copy
// request; on a device PixelCopy only queues the request for the render thread). Run by
// benches/android-main-thread.sh; results in benches/RESULTS.md. Not a test: nothing here
// asserts a time.
package io.rejourney.android

import android.app.Activity
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.os.Bundle
import android.os.Looper
import android.view.View
import android.view.ViewGroup
import android.widget.EditText
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.TextView
import io.rejourney.sdk.CaptureRequest
import io.rejourney.sdk.MaskRegistry
import io.rejourney.sdk.TreeFlattener
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowPixelCopy
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * Rows of four views (a horizontal row holding a label, an input and an image), all on
 * screen (rows share the window's height), inside one vertical column: [views] in total.
 */
class ManyViewsActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val views = intent.getIntExtra("views", 500)
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setBackgroundColor(Color.DKGRAY) }
        // The column itself and the content frame / decor above it count as the rest.
        repeat((views - 1) / 4) { i ->
            val row = LinearLayout(this).apply { orientation = LinearLayout.HORIZONTAL }
            row.addView(TextView(this).apply { text = "row $i"; textSize = 2f; setTextColor(Color.WHITE) }, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.MATCH_PARENT, 1f))
            row.addView(EditText(this).apply { setText("value $i"); textSize = 2f; isCursorVisible = false; background = null }, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.MATCH_PARENT, 1f))
            row.addView(ImageView(this).apply { setBackgroundColor(if (i % 2 == 0) Color.YELLOW else Color.CYAN) }, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.MATCH_PARENT, 1f))
            column.addView(row, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, 0, 1f))
        }
        setContentView(column)
    }
}

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidMainThreadBench {
    private val warmup = Integer.getInteger("bench.warmup", 30)
    private val runs = Integer.getInteger("bench.runs", 100)
    private val rounds = Integer.getInteger("bench.rounds", 3)

    private fun idle() = shadowOf(Looper.getMainLooper()).idleFor(Duration.ofMillis(100))

    private fun count(v: View): Int = 1 + ((v as? ViewGroup)?.let { g -> (0 until g.childCount).sumOf { count(g.getChildAt(it)) } } ?: 0)

    private class Row(val name: String) {
        val samples = ArrayList<Long>()
        fun median() = samples.sorted()[samples.size / 2] / 1_000.0
        fun p95() = samples.sorted()[(samples.size * 95 / 100).coerceAtMost(samples.size - 1)] / 1_000.0
    }

    @Test
    fun mainThreadCostOfOneCapture() {
        val sizes = listOf(500, 1000)
        val rows = LinkedHashMap<String, Row>()
        val viewCounts = HashMap<Int, Int>()
        var delivered = 0
        var dropped = 0
        // Sizes alternate round by round, so a slow spell of the machine hits both.
        repeat(rounds) {
            for (n in sizes) {
                val controller = Robolectric.buildActivity(ManyViewsActivity::class.java, android.content.Intent().putExtra("views", n)).setup()
                val activity = controller.get()
                idle()
                val decor = activity.window.decorView
                viewCounts[n] = count(decor)
                val stats = CaptureStats()
                val capture = WindowCapture(MaskRegistry(), stats)
                // The core's budget never cuts these walks short (the benchmark measures them whole).
                val request = CaptureRequest(maxNodes = 100_000, maxNanos = 10_000_000_000L, scale = 1.25f)
                val flattener = TreeFlattener(MaskRegistry())
                val density = activity.resources.displayMetrics.density
                val loc = IntArray(2).also { decor.getLocationOnScreen(it) }
                val canvasBitmap = Bitmap.createBitmap(decor.width, decor.height, Bitmap.Config.ARGB_8888)
                val canvas = Canvas(canvasBitmap)
                val whole = rows.getOrPut("capture $n") { Row("capture $n") }
                val walk = rows.getOrPut("walk $n") { Row("walk $n") }
                val draw = rows.getOrPut("draw $n") { Row("draw $n") }
                for (i in 0 until warmup + runs) {
                    val done = CountDownLatch(1)
                    val t0 = System.nanoTime()
                    capture.capture(request) { frame -> if (frame != null) delivered++ else dropped++; done.countDown() }
                    val t1 = System.nanoTime()
                    // The capture thread composites meanwhile; the next run starts after it.
                    check(done.await(10, TimeUnit.SECONDS)) { "no delivery" }
                    val t2 = System.nanoTime()
                    flattener.flatten(AndroidView.root(decor, WalkContext(density), loc[0], loc[1]), request)
                    val t3 = System.nanoTime()
                    decor.draw(canvas)
                    val t4 = System.nanoTime()
                    if (i >= warmup) {
                        whole.samples.add(t1 - t0)
                        walk.samples.add(t3 - t2)
                        draw.samples.add(t4 - t3)
                    }
                }
                capture.close()
                controller.pause().stop().destroy()
                idle()
            }
        }
        println("BENCH views: ${sizes.joinToString { "$it requested = ${viewCounts[it]} in the window" }}; frames delivered $delivered, dropped $dropped")
        for (r in rows.values) println("BENCH %-14s median %9.1f us   p95 %9.1f us   (%d runs)".format(r.name, r.median(), r.p95(), r.samples.size))
        for (kind in listOf("capture", "walk", "draw")) {
            val ratio = rows.getValue("$kind 1000").median() / rows.getValue("$kind 500").median()
            println("BENCH ratio %-8s 1000/500 median %.2f".format(kind, ratio))
        }
    }
}
