package io.rejourney.sdk

import uniffi.rejourney_core.FrameObserver
import uniffi.rejourney_core.ObservedFrame

/** A lambda as the core's frame observer. Exceptions thrown by app code stay on its side. */
class FrameCallback(private val block: (ObservedFrame) -> Unit) : FrameObserver {
    override fun onFrame(frame: ObservedFrame) {
        runCatching { block(frame) }
    }
}

/**
 * The debug frame observer's gate: the core cannot know how the app was built, so the
 * wrapper registers an observer only in a debuggable build (the Android adapter passes
 * `ApplicationInfo.FLAG_DEBUGGABLE`). Frames arrive on the SDK's observer thread.
 */
object FrameObservers {
    /** Registers [observer] (null clears it) when [debuggable]; returns whether it did. */
    fun register(core: uniffi.rejourney_core.Rejourney?, debuggable: Boolean, observer: ((ObservedFrame) -> Unit)?): Boolean {
        if (!debuggable || core == null) return false
        return runCatching { core.setFrameObserver(observer?.let { FrameCallback(it) }) }.isSuccess
    }
}
