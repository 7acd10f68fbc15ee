package io.rejourney.reactnative

import android.content.Context
import android.graphics.Color
import android.view.View
import android.view.ViewGroup
import android.widget.FrameLayout
import android.widget.TextView
import com.facebook.react.bridge.JavaOnlyMap
import com.facebook.react.uimanager.ReactStylesDiffMap
import com.facebook.react.uimanager.ThemedReactContext
import com.facebook.react.uimanager.ViewManager
import org.json.JSONArray
import org.json.JSONObject

/**
 * Mounts the host tree React rendered in JS (react-test-renderer's `toJSON()`: what the
 * renderer hands Paper's UIManager) as real views: each host component by its real view
 * manager's `createView` (the call `UIManager.createView` makes: the instance, every prop
 * through its `@ReactProp` setters, then the after-update step with its accessibility
 * delegate). Layout is what Yoga would compute for these trees (explicit sizes, a row or a
 * column), applied as React Native applies layout: `view.layout(...)` on each view, since a
 * React view group does not lay out its children itself. `RCTText` is an Android `TextView`
 * (React Native's text view needs its C++ text layout).
 */
class JsSurface(context: Context, private val themed: ThemedReactContext, private val managers: Map<String, ViewManager<*, *>>) :
    FrameLayout(context) {
    private var nextTag = 2
    private val density = resources.displayMetrics.density

    /** The views mounted for each host component type, in mount order. */
    val mounted = LinkedHashMap<String, MutableList<View>>()

    fun mount(tree: JSONObject) {
        val root = create(tree)
        addView(root, LayoutParams(LayoutParams.MATCH_PARENT, px(tree.style().optDouble("height", 60.0))))
        requestLayout()
    }

    private fun create(node: JSONObject): View {
        val type = node.getString("type")
        val view: View = if (type == "RCTText") {
            TextView(context).apply {
                text = node.texts()
                setTextColor(Color.BLACK)
                textSize = 18f
            }
        } else {
            val manager = managers[type] ?: error("no view manager for $type (have ${managers.keys})")
            @Suppress("UNCHECKED_CAST")
            val m = manager as ViewManager<View, *>
            createView.invoke(m, nextTag++, themed, ReactStylesDiffMap(props(node)), null, responder) as View
        }
        mounted.getOrPut(type) { mutableListOf() }.add(view)
        layoutOf[view] = node
        val children = node.optJSONArray("children") ?: JSONArray()
        for (i in 0 until children.length()) {
            val child = children.get(i) as? JSONObject ?: continue
            val v = create(child)
            (view as ViewGroup).addView(v)
        }
        return view
    }

    /** Paper's props: the style flattened into the props, colours as numbers (processColor). */
    private fun props(node: JSONObject): JavaOnlyMap {
        val m = JavaOnlyMap()
        val props = node.optJSONObject("props") ?: JSONObject()
        val flat = JSONObject()
        for (k in props.keys()) if (k != "style") flat.put(k, props.get(k))
        val style = node.style()
        for (k in style.keys()) if (k !in LAYOUT) flat.put(k, style.get(k))
        for (k in flat.keys()) {
            when (val v = flat.get(k)) {
                is Boolean -> m.putBoolean(k, v)
                is Number -> m.putDouble(k, v.toDouble())
                is String -> if (k.endsWith("Color")) m.putDouble(k, Color.parseColor(v).toDouble()) else m.putString(k, v)
            }
        }
        return m
    }

    override fun onLayout(changed: Boolean, left: Int, top: Int, right: Int, bottom: Int) {
        super.onLayout(changed, left, top, right, bottom)
        for (i in 0 until childCount) place(getChildAt(i))
    }

    /** Lays out [view]'s children: a row or a column of explicitly sized boxes; text fills its box. */
    private fun place(view: View) {
        val group = view as? ViewGroup ?: return
        val node = layoutOf[group]
        var offset = 0
        for (i in 0 until group.childCount) {
            val child = group.getChildAt(i)
            val w = layoutOf[child]?.style()?.optDouble("width")?.takeIf { !it.isNaN() }?.let { px(it) } ?: group.width
            val h = layoutOf[child]?.style()?.optDouble("height")?.takeIf { !it.isNaN() }?.let { px(it) } ?: group.height
            val row = node?.style()?.optString("flexDirection") == "row"
            val (x, y) = if (row) offset to 0 else 0 to offset
            child.measure(MeasureSpec.makeMeasureSpec(w, MeasureSpec.EXACTLY), MeasureSpec.makeMeasureSpec(h, MeasureSpec.EXACTLY))
            child.layout(x, y, x + w, y + h)
            offset += if (row) w else h
            place(child)
        }
    }

    private val layoutOf = HashMap<View, JSONObject>()

    private fun px(dp: Double) = (dp * density).toInt()

    private fun JSONObject.style(): JSONObject = optJSONObject("props")?.optJSONObject("style") ?: JSONObject()

    private fun JSONObject.texts(): String {
        val c = optJSONArray("children") ?: return ""
        return (0 until c.length()).mapNotNull { c.get(it) as? String }.joinToString("")
    }

    private companion object {
        val LAYOUT = setOf("width", "height", "flexDirection")

        // `UIManager.createView`'s own call (its JS responder handler's class is Kotlin-internal:
        // by reflection).
        val responderClass: Class<*> = Class.forName("com.facebook.react.touch.JSResponderHandler")
        val responder: Any = responderClass.getDeclaredConstructor().newInstance()
        val createView: java.lang.reflect.Method = ViewManager::class.java.getMethod(
            "createView", Int::class.javaPrimitiveType, ThemedReactContext::class.java, ReactStylesDiffMap::class.java,
            com.facebook.react.uimanager.StateWrapper::class.java, responderClass,
        )
    }
}
