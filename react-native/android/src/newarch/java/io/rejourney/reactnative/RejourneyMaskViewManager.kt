package io.rejourney.reactnative

import com.facebook.react.uimanager.ThemedReactContext
import com.facebook.react.uimanager.ViewManagerDelegate
import com.facebook.react.viewmanagers.RejourneyMaskViewManagerInterface
import com.facebook.react.views.view.ReactViewGroup
import com.facebook.react.views.view.ReactViewManager

/**
 * `<Mask>` / `<Unmask>` on the New Architecture: the Fabric component's view manager, through
 * the codegen'd interface and delegate of the component spec (src/RejourneyMaskViewNativeComponent.ts;
 * React Native's Gradle plugin generates them into this library's build). The spec's own prop
 * goes through the generated delegate; every other prop is a View's (borders, overflow,
 * background...), which the generated delegate does not know, so it goes to ReactViewManager's
 * own setters: a `<Mask>` styles like a `View`.
 */
class RejourneyMaskViewManager : ReactViewManager(), RejourneyMaskViewManagerInterface<ReactViewGroup> {
    private val delegate = MaskViewDelegate(this)

    override fun getName() = MaskViews.NAME

    override fun getDelegate(): ViewManagerDelegate<ReactViewGroup> = delegate

    override fun createViewInstance(context: ThemedReactContext): ReactViewGroup =
        super.createViewInstance(context).also { MaskViews.created(it) }

    override fun setRjMasked(view: ReactViewGroup, value: Boolean) = MaskViews.set(view, value)

    /** Recycled for another mount: masked again until the new props arrive. */
    override fun prepareToRecycleView(context: ThemedReactContext, view: ReactViewGroup): ReactViewGroup? =
        super.prepareToRecycleView(context, view)?.also { MaskViews.created(it) }
}
