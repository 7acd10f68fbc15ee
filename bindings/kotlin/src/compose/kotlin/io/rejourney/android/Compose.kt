package io.rejourney.android

import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import io.rejourney.sdk.MaskRegistry

/** Masks this composable in recordings (the semantics walk in ComposeWalk.kt reads the `rj-mask` test tag). */
fun Modifier.rejourneyMask(): Modifier = this.testTag(MaskRegistry.MASK_TAG)

/** Lifts kind-based masking below this composable (secure fields stay masked). */
fun Modifier.rejourneyUnmask(): Modifier = this.testTag(MaskRegistry.UNMASK_TAG)
