package io.rejourney.reactnative

import com.facebook.react.bridge.Promise

/** Resolves [promise] with [body]'s value or rejects it with the error's message: never throws into JS. */
internal inline fun settle(promise: Promise, body: () -> Any?) {
    try {
        promise.resolve(body())
    } catch (e: Exception) {
        promise.reject("rejourney", e.message ?: e.toString(), e)
    }
}

/** Fire-and-forget calls: an error is the SDK's to count, never the app's to handle. */
internal inline fun quietly(body: () -> Unit) {
    try {
        body()
    } catch (_: Exception) {
    }
}
