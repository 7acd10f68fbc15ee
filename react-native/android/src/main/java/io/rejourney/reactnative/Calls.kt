package io.rejourney.reactnative

import com.facebook.react.bridge.Promise

/**
 * Resolves [promise] with [body]'s value or rejects it with the error's message: never throws
 * into JS. `Throwable`, not `Exception`: loading the native library fails with an `Error`
 * (`UnsatisfiedLinkError`), which must not escape a module method into the app.
 */
internal inline fun settle(promise: Promise, body: () -> Any?) {
    try {
        promise.resolve(body())
    } catch (e: Throwable) {
        promise.reject("rejourney", e.message ?: e.toString(), e)
    }
}

/** Fire-and-forget calls: an error (any `Throwable`) is the SDK's to count, never the app's to handle. */
internal inline fun quietly(body: () -> Unit) {
    try {
        body()
    } catch (_: Throwable) {
    }
}

/** [event]'s string and null values into [into] (session events carry nothing else). */
internal fun writable(event: Map<String, Any?>, into: com.facebook.react.bridge.WritableMap): com.facebook.react.bridge.WritableMap {
    for ((k, v) in event) if (v == null) into.putNull(k) else into.putString(k, v.toString())
    return into
}
