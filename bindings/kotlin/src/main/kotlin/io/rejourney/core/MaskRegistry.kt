package io.rejourney.core

import uniffi.rejourney_core.MaskTag
import java.util.Collections
import java.util.WeakHashMap

/**
 * Explicit privacy choices the app makes: by view instance, by tag (`rj-mask` / `rj-unmask`,
 * e.g. in `android:tag` or a Compose test tag) and by class. The Rust core applies the rules
 * (inheritance, secure fields always masked); this only answers "what tag does this view carry".
 * Views are held weakly so registering never leaks an Activity.
 */
class MaskRegistry {
    private val byView = Collections.synchronizedMap(WeakHashMap<Any, MaskTag>())
    private val classes = Collections.synchronizedSet(mutableSetOf<String>())

    fun mask(view: Any) { byView[view] = MaskTag.MASK }
    fun unmask(view: Any) { byView[view] = MaskTag.UNMASK }
    fun clear(view: Any) { byView.remove(view) }
    fun maskClass(className: String) { classes.add(className) }

    /** The tag for a view: explicit registration, then its tag string, then its class. */
    fun tagFor(view: Any, tag: String?, className: String): MaskTag {
        byView[view]?.let { return it }
        when (tag) {
            MASK_TAG -> return MaskTag.MASK
            UNMASK_TAG -> return MaskTag.UNMASK
        }
        val simple = className.substringAfterLast('.')
        return if (className in classes || simple in classes) MaskTag.MASK else MaskTag.NONE
    }

    companion object {
        const val MASK_TAG = "rj-mask"
        const val UNMASK_TAG = "rj-unmask"
    }
}
