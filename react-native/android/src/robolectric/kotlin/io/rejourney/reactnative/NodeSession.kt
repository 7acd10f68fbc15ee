package io.rejourney.reactnative

import org.json.JSONObject
import java.io.File
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * The package's JS running in Node (react-native/test-android/session.js), its native calls
 * arriving as JSON lines (`@rj {...}` on its stdout) and its promises answered on its stdin.
 * Other output is kept for the failure message. Reading happens on a thread of its own so the
 * test's main looper never waits on Node.
 */
class NodeSession(script: File, env: Map<String, String>) : AutoCloseable {
    private val process: Process = ProcessBuilder(System.getProperty("rejourney.node") ?: "node", script.path)
        .directory(script.parentFile)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .also { it.environment().putAll(env) }
        .start()
    private val messages = LinkedBlockingQueue<JSONObject>()
    private val writer = process.outputStream.bufferedWriter()
    val output = StringBuilder()

    private val reader = Thread({
        process.inputStream.bufferedReader().forEachLine { line ->
            if (line.startsWith("@rj ")) {
                messages.add(JSONObject(line.removePrefix("@rj ")))
            } else {
                synchronized(output) { output.appendLine(line) }
            }
        }
        messages.add(JSONObject().put("op", "exited"))
    }, "node-session-reader").apply { isDaemon = true; start() }

    /** The next message from JS, or null after [timeoutMs]. */
    fun next(timeoutMs: Long): JSONObject? = messages.poll(timeoutMs, TimeUnit.MILLISECONDS)

    /** Settles the JS promise of call [id] with [value] (a JSON value: null, text, number, boolean). */
    fun resolve(id: Int, value: Any?) = answer(JSONObject().put("id", id).put("resolve", value ?: JSONObject.NULL))

    fun reject(id: Int, code: String, message: String) =
        answer(JSONObject().put("id", id).put("reject", JSONObject().put("code", code).put("message", message)))

    private fun answer(o: JSONObject) = synchronized(writer) {
        writer.write(o.toString())
        writer.newLine()
        writer.flush()
    }

    fun exitCode(timeoutMs: Long): Int? =
        if (process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) process.exitValue() else null

    override fun close() {
        process.destroy()
        process.waitFor(5, TimeUnit.SECONDS)
        reader.join(1000)
    }
}
