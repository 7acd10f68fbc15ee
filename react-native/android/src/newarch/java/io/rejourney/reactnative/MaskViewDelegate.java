package io.rejourney.reactnative;

import com.facebook.react.bridge.JavaOnlyMap;
import com.facebook.react.uimanager.ReactStylesDiffMap;
import com.facebook.react.uimanager.ViewManagerPropertyUpdater;
import com.facebook.react.viewmanagers.RejourneyMaskViewManagerDelegate;
import com.facebook.react.views.view.ReactViewGroup;

/**
 * The mask view's props on the New Architecture: the spec's own (rjMasked) through the codegen'd
 * delegate, a View's (borders, overflow, background...) through ReactViewManager's
 * {@code @ReactProp} setters (ViewManagerPropertyUpdater finds them by reflection and does not
 * come back here), which the generated delegate alone would drop: a {@code <Mask>} styles like a
 * {@code View}. Java, because Kotlin cannot subclass the generated delegate (React Native's
 * Kotlin/Java compatibility bridges clash).
 */
final class MaskViewDelegate extends RejourneyMaskViewManagerDelegate<ReactViewGroup, RejourneyMaskViewManager> {
  private static final String SPEC_PROP = "rjMasked";
  private final RejourneyMaskViewManager manager;

  MaskViewDelegate(RejourneyMaskViewManager manager) {
    super(manager);
    this.manager = manager;
  }

  @Override
  public void setProperty(ReactViewGroup view, String propName, Object value) {
    if (SPEC_PROP.equals(propName)) {
      super.setProperty(view, propName, value);
    } else {
      ViewManagerPropertyUpdater.updateProps(manager, view, new ReactStylesDiffMap(JavaOnlyMap.of(propName, value)));
    }
  }
}
