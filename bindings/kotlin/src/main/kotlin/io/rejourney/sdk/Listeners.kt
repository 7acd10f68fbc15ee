package io.rejourney.sdk

import uniffi.rejourney_core.RejourneyListener

/** Lambdas as a core listener. Exceptions thrown by app code stay on the app's side. */
class SessionCallbacks(
    private val onStarted: (String) -> Unit = {},
    private val onEnded: (sessionId: String, reason: String) -> Unit = { _, _ -> },
) : RejourneyListener {
    override fun onSessionStarted(sessionId: String) {
        runCatching { onStarted(sessionId) }
    }

    override fun onSessionEnded(sessionId: String, reason: String) {
        runCatching { onEnded(sessionId, reason) }
    }
}
