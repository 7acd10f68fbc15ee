package io.rejourney.sdk

/**
 * A handled error as the core takes it (`captureError`, `recordCrash`): its type, message and
 * stack as text. Plain Kotlin, so the conversion is tested on the JVM.
 */
data class ErrorReport(val name: String, val message: String, val stack: String) {
    companion object {
        /** The throwable's qualified class name, its message (empty when none) and its whole stack trace, causes included. */
        fun of(error: Throwable): ErrorReport =
            ErrorReport(error.javaClass.name, error.message ?: "", runCatching { error.stackTraceToString() }.getOrDefault(""))
    }
}
