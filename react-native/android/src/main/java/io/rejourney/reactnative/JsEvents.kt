package io.rejourney.reactnative

import com.facebook.react.bridge.Arguments
import com.facebook.react.bridge.ReactApplicationContext
import com.facebook.react.bridge.WritableArray
import com.facebook.react.bridge.WritableMap
import com.facebook.react.modules.core.DeviceEventManagerModule

/**
 * Sends [event] to JS as the device event [name] (`RCTDeviceEventEmitter`, which the New
 * Architecture's interop layer carries too). Never throws: no active React instance (a reload
 * in progress, the app shutting down) drops the event.
 */
internal fun emitToJs(context: ReactApplicationContext, name: String, event: Map<String, Any?>) = quietly {
    if (!context.hasActiveReactInstance()) return@quietly
    context.getJSModule(DeviceEventManagerModule.RCTDeviceEventEmitter::class.java)
        .emit(name, jsMap(event))
}

/** A map of strings, numbers, booleans, nulls, lists and maps (a frame event's masks) for JS. */
private fun jsMap(m: Map<*, *>): WritableMap {
    val out = Arguments.createMap()
    for ((k, v) in m) {
        val key = k.toString()
        when (v) {
            null -> out.putNull(key)
            is Boolean -> out.putBoolean(key, v)
            is Number -> out.putDouble(key, v.toDouble())
            is Map<*, *> -> out.putMap(key, jsMap(v))
            is List<*> -> out.putArray(key, jsArray(v))
            else -> out.putString(key, v.toString())
        }
    }
    return out
}

private fun jsArray(l: List<*>): WritableArray {
    val out = Arguments.createArray()
    for (v in l) {
        when (v) {
            null -> out.pushNull()
            is Boolean -> out.pushBoolean(v)
            is Number -> out.pushDouble(v.toDouble())
            is Map<*, *> -> out.pushMap(jsMap(v))
            is List<*> -> out.pushArray(jsArray(v))
            else -> out.pushString(v.toString())
        }
    }
    return out
}

/** The module's core-facing half with both events wired to JS. */
internal fun moduleImpl(context: ReactApplicationContext) = RejourneyModuleImpl(
    AndroidHost(context.applicationContext),
    emitFrame = { emitToJs(context, FrameEvents.EVENT, it) },
    base64 = { android.util.Base64.encodeToString(it, android.util.Base64.NO_WRAP) },
    emit = { emitToJs(context, SessionEvents.EVENT, it) },
)
