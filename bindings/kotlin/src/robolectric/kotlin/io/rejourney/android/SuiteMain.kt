package io.rejourney.android

import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.Request
import org.junit.runner.manipulation.Filter
import org.junit.internal.TextListener
import kotlin.system.exitProcess

/**
 * Runs the suite's classes, or only the test methods whose names contain one of the
 * comma-separated words of `-Drejourney.tests` (for a focused run while working on one test).
 * Prints what JUnitCore prints, so scripts/test-android.sh reads the result the same way.
 */
object SuiteMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val words = System.getProperty("rejourney.tests")?.split(',')?.filter { it.isNotBlank() }.orEmpty()
        val core = JUnitCore()
        core.addListener(TextListener(System.out))
        var failed = false
        var request = Request.classes(*args.map { Class.forName(it) }.toTypedArray())
        if (words.isNotEmpty()) {
            request = request.filterWith(object : Filter() {
                override fun shouldRun(d: Description) =
                    d.methodName == null || words.any { d.methodName.contains(it) }
                override fun describe() = "methods matching $words"
            })
        }
        val result = core.run(request)
        failed = !result.wasSuccessful()
        exitProcess(if (failed) 1 else 0)
    }
}
