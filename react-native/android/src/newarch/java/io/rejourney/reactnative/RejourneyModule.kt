package io.rejourney.reactnative

import com.facebook.react.bridge.Promise
import com.facebook.react.bridge.ReactApplicationContext
import com.facebook.react.bridge.ReadableMap

/** New Architecture: implements the codegen'd spec; every call forwards to [RejourneyModuleImpl]. */
class RejourneyModule(context: ReactApplicationContext) : NativeRejourneySpec(context) {
    private val impl = moduleImpl(context)

    override fun getName() = NAME
    override fun start(options: ReadableMap, promise: Promise) = settle(promise) { impl.start(options.toHashMap()) }
    override fun stop(promise: Promise) = settle(promise) { impl.stop(); null }
    override fun identify(userId: String?, promise: Promise) = settle(promise) { impl.identify(userId); null }
    override fun logEvent(name: String, properties: ReadableMap) = quietly { impl.logEvent(name, properties.toHashMap()) }
    override fun screenChanged(name: String) = quietly { impl.screenChanged(name) }
    override fun networkRequest(request: ReadableMap) = quietly { impl.networkRequest(request.toHashMap()) }
    override fun logMessage(level: String, message: String) = quietly { impl.logMessage(level, message) }
    override fun reportError(name: String, message: String, stack: String, fatal: Boolean, promise: Promise) =
        settle(promise) { impl.reportError(name, message, stack, fatal) }
    override fun captureError(name: String, message: String, stack: String, promise: Promise) =
        settle(promise) { impl.captureError(name, message, stack) }
    override fun flushBuffer(reason: String, promise: Promise) = settle(promise) { impl.flushBuffer(reason) }
    override fun optOut(promise: Promise) = settle(promise) { impl.optOut(); null }
    override fun setConsent(consent: String, promise: Promise) = settle(promise) { impl.setConsent(consent); null }
    override fun telemetryJson(promise: Promise) = settle(promise) { impl.telemetryJson() }
    override fun sessionUrl(promise: Promise) = settle(promise) { impl.sessionUrl() }
    override fun tracingHeadersJson(url: String, promise: Promise) = settle(promise) { impl.tracingHeadersJson(url) }
    /** RN's event-emitter convention (`NativeEventEmitter` calls them): session events flow only while counted. */
    override fun addListener(eventName: String) = quietly { impl.addListener(eventName) }
    override fun removeListeners(count: Double) = quietly { impl.removeListeners(count) }
    /** Debug builds only: JS's frame observers (the Android SDK checks `FLAG_DEBUGGABLE`); resolves whether frames will flow. */
    override fun setFrameObserver(enabled: Boolean, promise: Promise) = settle(promise) { impl.setFrameObserver(enabled) }
    override fun frameObserved() = quietly { impl.frameObserved() }

    companion object { const val NAME = "Rejourney" }
}
