package io.rejourney.android

import android.app.Activity
import android.content.pm.ApplicationInfo
import android.graphics.Color
import android.os.Bundle
import android.widget.EditText
import android.widget.TextView
import io.rejourney.IngestProcess
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.annotation.LooperMode
import org.robolectric.shadows.ShadowPixelCopy
import uniffi.rejourney_core.ObservedFrame
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.DataInputStream
import java.io.EOFException
import java.io.File
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.zip.GZIPInputStream
import javax.imageio.ImageIO

/** A label, a password, and a card the app masks with `Rejourney.mask`. */
class ObservedActivity : Activity() {
    lateinit var label: TextView
    lateinit var password: EditText
    lateinit var card: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Visible heading")
        password = Widgets.input(this, "hunter2", Widgets.PASSWORD)
        card = Widgets.text(this, "4111 1111 1111 1111", Color.rgb(255, 255, 200))
        setContentView(Widgets.column(this, label, password, card))
    }
}

/**
 * The debug frame observer on the real framework (Robolectric native graphics, PixelCopy, the
 * host-built core, the ingest server): the app's observer receives each frame exactly as the
 * server stores it, and the app can prove its own screen masked from that JPEG alone.
 * Same configuration as the suite's other classes: one sandbox, the native library loads once.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], shadows = [ShadowPixelCopy::class])
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@LooperMode(LooperMode.Mode.PAUSED)
class AndroidFrameObserverTest {
    @After
    fun stopRecording() {
        Rejourney.setFrameObserver(null)
        Rejourney.stop()
        Recording.idle()
    }

    @Test
    fun theFrameObserverReceivesTheStoredJpegWithItsMasksBlack() {
        IngestProcess().use { server ->
            val activity = Robolectric.buildActivity(ObservedActivity::class.java).setup().get()
            // A debug build: the observer is registered only then.
            val info = activity.application.applicationInfo
            info.flags = info.flags or ApplicationInfo.FLAG_DEBUGGABLE
            Rejourney.mask(activity.card)
            val startMs = System.currentTimeMillis()
            val session = Rejourney.start(activity, Recording.options(server))
                ?: throw AssertionError("not started: ${Rejourney.stats}")
            val observed = ConcurrentLinkedQueue<ObservedFrame>()
            assertTrue("registered in a debug build", Rejourney.setFrameObserver { observed.add(it) })
            Recording.untilCaptured(2)
            val private = listOf(Box.of(activity.password), Box.of(activity.card))
            val visible = Box.of(activity.label)
            // Stops, delivers, and declares the screen to verify_stored as well.
            Recording.finish(server, session, startMs, private, listOf(visible))
            val stored = server.bundles(session).flatMap(::jpegs)
            assertTrue("frames stored", stored.isNotEmpty())
            // The observer thread may still be handing over the last frame.
            val deadline = System.nanoTime() + 10_000_000_000L
            while (observed.size < stored.size && System.nanoTime() < deadline) Thread.sleep(10)
            assertEquals("one observed frame per stored frame", stored.size, observed.size)
            for (f in observed) {
                assertEquals(session, f.sessionId)
                assertTrue("the observed JPEG is byte for byte a stored one", stored.any { it.contentEquals(f.jpeg) })
                val img = ImageIO.read(ByteArrayInputStream(f.jpeg)) ?: throw AssertionError("not a JPEG")
                assertEquals(f.width.toInt(), img.width)
                assertEquals(f.height.toInt(), img.height)
                for (box in private) {
                    val (cx, cy) = box.x + box.w / 2 to box.y + box.h / 2
                    assertTrue("$box is in the frame's masks ${f.masks}", f.masks.any { m ->
                        cx >= m.x && cx <= m.x + m.width && cy >= m.y && cy <= m.y + m.height
                    })
                    assertTrue("$box is black in the JPEG", maxChannel(img, box, f.pixelsPerPoint) <= BLACK)
                }
                assertFalse("the heading is not in the masks", f.masks.any { m ->
                    visible.x + visible.w / 2 in m.x..(m.x + m.width) && visible.y + visible.h / 2 in m.y..(m.y + m.height)
                })
                assertTrue("the heading shows in the JPEG", brightShare(img, visible, f.pixelsPerPoint) > 0.3)
            }
        }
    }

    private companion object {
        /** JPEG noise at quality 0.5 stays well under this in a black rectangle. */
        const val BLACK = 48

        /** The JPEGs of a stored bundle (`docs/PROTOCOL.md`: u64 time, u32 length, JPEG). */
        fun jpegs(bundle: File): List<ByteArray> {
            val out = ArrayList<ByteArray>()
            DataInputStream(GZIPInputStream(bundle.inputStream()).buffered()).use { s ->
                while (true) {
                    try {
                        s.readLong()
                    } catch (e: EOFException) {
                        break
                    }
                    val jpeg = ByteArray(s.readInt())
                    s.readFully(jpeg)
                    out.add(jpeg)
                }
            }
            return out
        }

        /** The pixels of [box] (dp) inset by 2 dp, at [ppp] JPEG pixels per dp. */
        inline fun pixels(img: BufferedImage, box: Box, ppp: Float, each: (Int) -> Unit) {
            val x0 = ((box.x + 2) * ppp).toInt().coerceIn(0, img.width)
            val y0 = ((box.y + 2) * ppp).toInt().coerceIn(0, img.height)
            val x1 = ((box.x + box.w - 2) * ppp).toInt().coerceIn(0, img.width)
            val y1 = ((box.y + box.h - 2) * ppp).toInt().coerceIn(0, img.height)
            assertTrue("$box is inside the ${img.width}x${img.height} frame", x1 > x0 && y1 > y0)
            for (y in y0 until y1) for (x in x0 until x1) each(img.getRGB(x, y))
        }

        fun maxChannel(img: BufferedImage, box: Box, ppp: Float): Int {
            var max = 0
            pixels(img, box, ppp) { c -> max = maxOf(max, (c shr 16) and 0xff, (c shr 8) and 0xff, c and 0xff) }
            return max
        }

        /** Share of [box]'s pixels that are near white (the label's background). */
        fun brightShare(img: BufferedImage, box: Box, ppp: Float): Double {
            var bright = 0
            var all = 0
            pixels(img, box, ppp) { c ->
                all++
                if (minOf((c shr 16) and 0xff, (c shr 8) and 0xff, c and 0xff) > 200) bright++
            }
            return bright.toDouble() / all
        }
    }
}
