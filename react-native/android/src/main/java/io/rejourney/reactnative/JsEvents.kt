package io.rejourney.reactnative

import com.facebook.react.bridge.Arguments
import com.facebook.react.bridge.ReactApplicationContext
import com.facebook.react.modules.core.DeviceEventManagerModule

/**
 * Sends [event] to JS as the device event [name] (`RCTDeviceEventEmitter`, which the New
 * Architecture's interop layer carries too). Never throws: no active React instance (a reload
 * in progress, the app shutting down) drops the event.
 */
internal fun emitToJs(context: ReactApplicationContext, name: String, event: Map<String, Any?>) = quietly {
    if (!context.hasActiveReactInstance()) return@quietly
    context.getJSModule(DeviceEventManagerModule.RCTDeviceEventEmitter::class.java)
        .emit(name, writable(event, Arguments.createMap()))
}

