package io.rejourney.reactnative

import android.view.View
import io.rejourney.android.Rejourney

/**
 * What `<Mask>` / `<Unmask>`'s native view does on both architectures: register the view
 * instance with the SDK's process-wide mask registry (weakly held), masked from creation so its
 * content is never recorded unmasked while the first props are on their way.
 */
internal object MaskViews {
    const val NAME = "RejourneyMaskView"

    fun created(view: View) = set(view, true)

    fun set(view: View, masked: Boolean) {
        if (masked) Rejourney.mask(view) else Rejourney.unmask(view)
    }
}
