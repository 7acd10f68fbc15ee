package io.rejourney.sdk

import uniffi.rejourney_core.MaskTag
import java.util.Collections
import java.util.WeakHashMap

/**
 * The app's per-instance privacy choices (`Rejourney.mask(view)` / `unmask(view)`): the one
 * masking fact only the platform can know, because it is about object identity. Everything
 * else (tag strings, listed classes and test ids, kinds, inheritance, which source wins) is
 * decided by the core from what the walk reports. Views are held weakly so registering never
 * leaks an Activity.
 */
class MaskRegistry {
    private val byView = Collections.synchronizedMap(WeakHashMap<Any, MaskTag>())

    fun mask(view: Any) { byView[view] = MaskTag.MASK }
    fun unmask(view: Any) { byView[view] = MaskTag.UNMASK }
    fun clear(view: Any) { byView.remove(view) }

    /** The registration for this view instance, if any. */
    fun tagFor(view: Any): MaskTag = byView[view] ?: MaskTag.NONE

    companion object {
        /** The tag strings the core recognises (in `android:tag` or a Compose test tag). */
        const val MASK_TAG = "rj-mask"
        const val UNMASK_TAG = "rj-unmask"
    }
}
