package io.rejourney.reactnative

import com.facebook.react.uimanager.ThemedReactContext
import com.facebook.react.uimanager.annotations.ReactProp
import com.facebook.react.views.view.ReactViewGroup
import com.facebook.react.views.view.ReactViewManager

/**
 * `<Mask>` / `<Unmask>` on the old architecture (Paper): a React view (styles and all, from
 * ReactViewManager) registered with the mask registry; `rjMasked` set through `@ReactProp`.
 */
class RejourneyMaskViewManager : ReactViewManager() {
    override fun getName() = MaskViews.NAME

    override fun createViewInstance(context: ThemedReactContext): ReactViewGroup =
        super.createViewInstance(context).also { MaskViews.created(it) }

    @ReactProp(name = "rjMasked", defaultBoolean = true)
    fun setRjMasked(view: ReactViewGroup, masked: Boolean) = MaskViews.set(view, masked)
}
