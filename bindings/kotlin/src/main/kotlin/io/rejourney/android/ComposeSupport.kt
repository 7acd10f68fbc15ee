package io.rejourney.android

import android.view.View
import io.rejourney.sdk.ViewLike

/** Reads the Compose semantics under a Compose host view (implemented in the compose source set). */
internal interface ComposeReader {
    fun root(view: View, density: Float): ViewLike?
}

/**
 * Compose is optional at runtime. The host class is looked up once by name: when it is absent
 * no view can host Compose and the walk reads plain views only; when it is present but the
 * reader (the `compose` source set) cannot be loaded, every Compose host is reported as
 * unreadable so the caller masks it whole (privacy fails closed).
 */
internal object ComposeSupport {
    private const val HOST = "androidx.compose.ui.platform.ViewRootForTest"
    private const val READER = "io.rejourney.android.ComposeSemanticsReader"

    /** A view hosts Compose but its content cannot be described. */
    class Unreadable : Exception("compose semantics unavailable")

    private val host: Class<*>? = load(HOST)
    private val reader: ComposeReader? = host?.let {
        runCatching { load(READER)?.getField("INSTANCE")?.get(null) as? ComposeReader }.getOrNull()
    }

    /** Whether Compose is on this app's classpath. */
    val present: Boolean get() = host != null

    /**
     * The semantics root under [view], null when it hosts no Compose. Throws [Unreadable] (or
     * whatever the semantics read throws) when it hosts Compose that cannot be read.
     */
    fun root(view: View, density: Float): ViewLike? {
        val h = host ?: return null
        if (!h.isInstance(view)) return null
        val r = reader ?: throw Unreadable()
        return r.root(view, density)
    }

    /** Class.forName that answers null for any failure to load, linkage errors included. */
    private fun load(name: String): Class<*>? =
        try {
            Class.forName(name, false, ComposeSupport::class.java.classLoader)
        } catch (e: ClassNotFoundException) {
            null
        } catch (e: LinkageError) {
            null
        }
}
