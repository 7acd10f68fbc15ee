package io.rejourney.android

import android.graphics.Bitmap
import android.graphics.Color
import uniffi.rejourney_core.PixelFormat
import java.nio.ByteBuffer

/**
 * The byte order of an `ARGB_8888` bitmap's pixels as `copyPixelsToBuffer` writes them. It is
 * Skia's native 32-bit order, not a fixed one: RGBA on Android devices, BGRA where Skia runs
 * on an x86 desktop (Robolectric's native graphics). Read once from a one-pixel bitmap of a
 * known colour, so the core is told the order the bytes really have (a wrong guess swaps red
 * and blue in every frame). Null when neither order matches: the frame is then dropped.
 */
internal object PixelOrder {
    val format: PixelFormat? by lazy(LazyThreadSafetyMode.PUBLICATION) { probe() }

    private fun probe(): PixelFormat? = runCatching {
        val bitmap = Bitmap.createBitmap(1, 1, Bitmap.Config.ARGB_8888)
        bitmap.setPixel(0, 0, Color.argb(255, 200, 90, 10))
        val bytes = ByteBuffer.allocate(4)
        bitmap.copyPixelsToBuffer(bytes)
        bitmap.recycle()
        val b = bytes.array().map { it.toInt() and 0xff }
        when (b) {
            listOf(200, 90, 10, 255) -> PixelFormat.RGBA
            listOf(10, 90, 200, 255) -> PixelFormat.BGRA
            else -> null
        }
    }.getOrNull()

    /**
     * Copies [bitmap]'s pixels into [buffer] (flipped, ready to read) and returns their order,
     * or null (nothing copied) when the order is unknown.
     */
    fun copy(bitmap: Bitmap, buffer: ByteBuffer): PixelFormat? {
        val f = format ?: return null
        buffer.clear()
        bitmap.copyPixelsToBuffer(buffer)
        buffer.flip()
        return f
    }
}
