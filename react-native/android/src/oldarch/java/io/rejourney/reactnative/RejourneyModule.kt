package io.rejourney.reactnative

import com.facebook.react.bridge.Promise
import com.facebook.react.bridge.ReactApplicationContext
import com.facebook.react.bridge.ReactContextBaseJavaModule
import com.facebook.react.bridge.ReactMethod
import com.facebook.react.bridge.ReadableMap

/** Old bridge: the same methods as `@ReactMethod`s, forwarding to [RejourneyModuleImpl]. */
class RejourneyModule(context: ReactApplicationContext) : ReactContextBaseJavaModule(context) {
    private val impl = moduleImpl(context)

    override fun getName() = NAME
    @ReactMethod fun start(options: ReadableMap, promise: Promise) = settle(promise) { impl.start(options.toHashMap()) }
    @ReactMethod fun stop(promise: Promise) = settle(promise) { impl.stop(); null }
    @ReactMethod fun identify(userId: String?, promise: Promise) = settle(promise) { impl.identify(userId); null }
    @ReactMethod fun logEvent(name: String, properties: ReadableMap) = quietly { impl.logEvent(name, properties.toHashMap()) }
    @ReactMethod fun screenChanged(name: String) = quietly { impl.screenChanged(name) }
    @ReactMethod fun networkRequest(request: ReadableMap) = quietly { impl.networkRequest(request.toHashMap()) }
    @ReactMethod fun logMessage(level: String, message: String) = quietly { impl.logMessage(level, message) }
    @ReactMethod fun reportError(name: String, message: String, stack: String, fatal: Boolean, promise: Promise) =
        settle(promise) { impl.reportError(name, message, stack, fatal) }
    @ReactMethod fun captureError(name: String, message: String, stack: String, promise: Promise) =
        settle(promise) { impl.captureError(name, message, stack) }
    @ReactMethod fun flushBuffer(reason: String, promise: Promise) = settle(promise) { impl.flushBuffer(reason) }
    @ReactMethod fun setConsent(consent: String, promise: Promise) = settle(promise) { impl.setConsent(consent); null }
    @ReactMethod fun optOut(promise: Promise) = settle(promise) { impl.optOut(); null }
    @ReactMethod fun telemetryJson(promise: Promise) = settle(promise) { impl.telemetryJson() }
    @ReactMethod fun sessionUrl(promise: Promise) = settle(promise) { impl.sessionUrl() }
    @ReactMethod fun tracingHeadersJson(url: String, promise: Promise) = settle(promise) { impl.tracingHeadersJson(url) }
    /** RN's event-emitter convention (`NativeEventEmitter` calls them): session events flow only while counted. */
    @ReactMethod fun addListener(eventName: String) = quietly { impl.addListener(eventName) }
    @ReactMethod fun removeListeners(count: Double) = quietly { impl.removeListeners(count) }
    /** Debug builds only: JS's frame observers (the Android SDK checks `FLAG_DEBUGGABLE`); resolves whether frames will flow. */
    @ReactMethod fun setFrameObserver(enabled: Boolean, promise: Promise) = settle(promise) { impl.setFrameObserver(enabled) }
    @ReactMethod fun frameObserved() = quietly { impl.frameObserved() }

    companion object { const val NAME = "Rejourney" }
}
