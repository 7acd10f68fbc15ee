package io.rejourney.android

import android.app.Activity
import android.content.Context
import io.rejourney.RejourneyOptions
import java.io.File
import java.net.URL
import java.net.URLClassLoader

/**
 * Runs `Rejourney.start` in a fresh copy of the adapter and its bindings whose native library
 * cannot load, for real: a child-first class loader over the suite's own classes (the
 * framework, JNA and Kotlin from the sandbox), with the bindings told to load a library name
 * that does not exist (UniFFI's `libraryOverride` property), so JNA throws
 * `UnsatisfiedLinkError` from the bindings' class initialiser, as on a device whose APK lacks
 * the ABI's `.so`. The sandbox's own copy, already loaded, is untouched.
 */
object NativeLoadFailure {
    class Result(
        val session: String?, val thrown: Throwable?, val startFailures: Long,
        val startFailuresAfterRetry: Long, val loadError: String?,
    )

    private const val OVERRIDE = "uniffi.component.rejourney_core.libraryOverride"

    fun run(activity: Activity): Result {
        val classes = System.getProperty("java.class.path").split(File.pathSeparator)
            .first { File(it, "io/rejourney/android/Rejourney.class").exists() }
        val loader = ChildFirst(arrayOf(File(classes).toURI().toURL()), NativeLoadFailure::class.java.classLoader!!)
        System.setProperty(OVERRIDE, "rejourney_core_missing")
        try {
            val probe = loader.loadClass(NativeLoadProbe::class.java.name)
            check(probe.classLoader === loader) { "the probe must be the fresh copy" }
            @Suppress("UNCHECKED_CAST")
            val out = probe.getMethod("start", Context::class.java).invoke(null, activity) as Array<Any?>
            return Result(out[0] as String?, out[1] as Throwable?, out[2] as Long, out[3] as Long, out[4] as String?)
        } finally {
            System.clearProperty(OVERRIDE)
        }
    }

    /** Loads the adapter's and the bindings' classes itself, everything else from [parent]. */
    private class ChildFirst(urls: Array<URL>, parent: ClassLoader) : URLClassLoader(urls, parent) {
        override fun loadClass(name: String, resolve: Boolean): Class<*> = synchronized(getClassLoadingLock(name)) {
            if (!name.startsWith("io.rejourney.") && !name.startsWith("uniffi.")) return super.loadClass(name, resolve)
            val c = findLoadedClass(name) ?: try {
                findClass(name)
            } catch (e: ClassNotFoundException) {
                return super.loadClass(name, resolve)
            }
            if (resolve) resolveClass(c)
            c
        }
    }
}

/** Runs inside [NativeLoadFailure]'s loader: every class it names is that loader's copy. */
object NativeLoadProbe {
    @JvmStatic
    fun start(context: Context): Array<Any?> {
        val options = RejourneyOptions(apiKey = "pk_test", apiUrl = "http://127.0.0.1:9")
        var session: String? = null
        var thrown: Throwable? = null
        try {
            session = Rejourney.start(context, options)
        } catch (t: Throwable) {
            thrown = t
        }
        val failures = Rejourney.stats.startFailureCount
        // What loading the library gave: the bindings refuse every later use.
        val loadError = try {
            uniffi.rejourney_core.Rejourney(options.toFfi("probe", context.cacheDir.path))
            null
        } catch (t: Throwable) {
            t.toString()
        }
        try {
            if (Rejourney.start(context, options) != null) session = "second start succeeded"
        } catch (t: Throwable) {
            thrown = thrown ?: t
        }
        return arrayOf(session, thrown, failures, Rejourney.stats.startFailureCount, loadError)
    }
}
