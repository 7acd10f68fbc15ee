package io.rejourney.reactnative

import com.facebook.react.bridge.BaseJavaModule
import com.facebook.react.bridge.Callback
import com.facebook.react.bridge.JavaOnlyArray
import com.facebook.react.bridge.JavaOnlyMap
import com.facebook.react.bridge.Promise
import com.facebook.react.bridge.PromiseImpl
import com.facebook.react.bridge.ReactMethod
import com.facebook.react.bridge.ReadableArray
import com.facebook.react.bridge.ReadableMap
import org.json.JSONArray
import org.json.JSONObject
import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Method
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * What the old bridge does with a JS call to a Java module, on react-android's own classes:
 * the module's `@ReactMethod`s are its methods (a trailing [Promise] makes a promise method,
 * as the bridge's method descriptors say), each call runs on one module thread (React
 * Native's `mqt_native_modules`), its arguments become [JavaOnlyMap] / [JavaOnlyArray] /
 * strings / doubles / booleans, and a promise is a real [PromiseImpl] whose callbacks answer
 * JS. (The bridge's own `JavaMethodWrapper` is not used: it builds `WritableNativeArray`s,
 * which need React Native's C++ libraries, absent on a host JVM.)
 */
class BridgeCalls(private val module: BaseJavaModule, private val answer: Answer) : AutoCloseable {
    interface Answer {
        fun resolve(id: Int, value: Any?)
        fun reject(id: Int, code: String, message: String)
    }

    private val methods: Map<String, Method> = module.javaClass.methods
        .filter { it.isAnnotationPresent(ReactMethod::class.java) }
        .associateBy { it.name }
    private val thread = Executors.newSingleThreadExecutor { Thread(it, "mqt_native_modules") }

    /** Errors the module let escape (a module method must never throw into the bridge). */
    val escaped = java.util.concurrent.CopyOnWriteArrayList<Throwable>()


    /** Runs JS's call of [name] with [args] on the module thread; [id] is the promise's, if any. */
    fun call(id: Int?, name: String, args: JSONArray) {
        thread.execute {
            val method = methods[name]
            if (method == null) {
                escaped.add(IllegalStateException("JS called $name, which the module does not have"))
                return@execute
            }
            try {
                method.invoke(module, *arguments(method, args, id))
            } catch (e: InvocationTargetException) {
                escaped.add(e.targetException)
            } catch (e: Throwable) {
                escaped.add(e)
            }
        }
    }

    private fun arguments(method: Method, args: JSONArray, id: Int?): Array<Any?> =
        method.parameterTypes.mapIndexed { i, type ->
            when {
                type == Promise::class.java -> promise(id ?: error("${method.name}: a promise method called without an id"))
                else -> argument(type, if (i < args.length()) args.get(i) else JSONObject.NULL)
            }
        }.toTypedArray()

    private fun promise(id: Int): Promise = PromiseImpl(
        Callback { values -> answer.resolve(id, json(values.firstOrNull())) },
        Callback { values ->
            val error = values.firstOrNull() as? ReadableMap
            answer.reject(id, error?.getString("code") ?: "rejected", error?.getString("message") ?: "rejected")
        },
    )

    private fun argument(type: Class<*>, v: Any?): Any? = when {
        v == JSONObject.NULL -> if (type == Boolean::class.javaPrimitiveType) false else null
        type == ReadableMap::class.java -> map(v as JSONObject)
        type == ReadableArray::class.java -> array(v as JSONArray)
        type == Double::class.javaPrimitiveType || type == java.lang.Double::class.java -> (v as Number).toDouble()
        type == Int::class.javaPrimitiveType || type == java.lang.Integer::class.java -> (v as Number).toInt()
        type == Boolean::class.javaPrimitiveType || type == java.lang.Boolean::class.java -> v as Boolean
        type == String::class.java -> v as String
        else -> error("no bridge conversion to $type")
    }

    private fun map(o: JSONObject): JavaOnlyMap = JavaOnlyMap().also { m ->
        for (k in o.keys()) {
            when (val v = o.get(k)) {
                JSONObject.NULL -> m.putNull(k)
                is JSONObject -> m.putMap(k, map(v))
                is JSONArray -> m.putArray(k, array(v))
                is String -> m.putString(k, v)
                is Boolean -> m.putBoolean(k, v)
                is Number -> m.putDouble(k, v.toDouble())
            }
        }
    }

    private fun array(a: JSONArray): JavaOnlyArray = JavaOnlyArray().also { l ->
        for (i in 0 until a.length()) {
            when (val v = a.get(i)) {
                JSONObject.NULL -> l.pushNull()
                is JSONObject -> l.pushMap(map(v))
                is JSONArray -> l.pushArray(array(v))
                is String -> l.pushString(v)
                is Boolean -> l.pushBoolean(v)
                is Number -> l.pushDouble(v.toDouble())
            }
        }
    }

    /** A resolved value as the bridge hands it to JS: null, text, numbers, booleans. */
    private fun json(v: Any?): Any? = when (v) {
        null, is String, is Boolean, is Number -> v
        else -> v.toString()
    }

    companion object {
        /** A module class's methods as JS sees them: `[{name, kind: "promise" | "async"}]`. */
        fun descriptorsOf(module: Class<*>): JSONArray = JSONArray(
            module.methods.filter { it.isAnnotationPresent(ReactMethod::class.java) }.sortedBy { it.name }.map {
                JSONObject().put("name", it.name).put("kind", if (it.parameterTypes.lastOrNull() == Promise::class.java) "promise" else "async")
            },
        )
    }

    /** Waits (bounded) for the calls already made to finish. */
    override fun close() {
        thread.shutdown()
        thread.awaitTermination(30, TimeUnit.SECONDS)
    }
}
