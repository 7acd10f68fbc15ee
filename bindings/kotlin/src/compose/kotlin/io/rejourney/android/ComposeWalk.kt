package io.rejourney.android

import android.view.View
import androidx.compose.ui.platform.ViewRootForTest
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import io.rejourney.sdk.ViewLike
import uniffi.rejourney_core.NodeKind

/**
 * Compose content as the walk sees it. To the View walk an `AndroidComposeView` is one opaque
 * view, so its text fields would go unmasked; its unmerged semantics tree says what each
 * composable is (editable text, password, image, text, test tag) and where it is.
 * A host whose semantics cannot be read is masked whole by the caller (fail closed).
 */
internal class ComposeNode(private val node: SemanticsNode, private val density: Float) : ViewLike {
    private val bounds = node.boundsInWindow
    private val config = node.config

    override val kind: NodeKind get() = when {
        config.contains(SemanticsProperties.Password) -> NodeKind.SECURE_INPUT
        config.contains(SemanticsProperties.EditableText) -> NodeKind.TEXT_INPUT
        config.getOrNull(SemanticsProperties.Role) == Role.Image -> NodeKind.IMAGE
        config.contains(SemanticsProperties.Text) -> NodeKind.TEXT
        else -> NodeKind.CONTAINER
    }
    override val className: String get() = "compose." + kind.name.lowercase()
    /** Semantics ids are stable for a composable's lifetime (wrappers are not). */
    override val stableId: ULong get() = COMPOSE_ID_BASE + node.id.toULong()
    override val x get() = bounds.left / density
    override val y get() = bounds.top / density
    override val width get() = bounds.width / density
    override val height get() = bounds.height / density
    /** `Modifier.rejourneyMask()` is a test tag, so tags work like `android:tag`. */
    override val tag: String? get() = config.getOrNull(SemanticsProperties.TestTag)
    override val testId: String? get() = tag
    override val visible get() =
        !config.contains(SemanticsProperties.InvisibleToUser) && bounds.width > 0f && bounds.height > 0f
    override val textLength: UInt? get() = config.getOrNull(SemanticsProperties.EditableText)?.text?.length?.toUInt()
    override val children: List<ViewLike> get() = node.children.map { ComposeNode(it, density) }
}

/** Keeps semantics ids apart from view identity hashes (the core rehashes any collision). */
private const val COMPOSE_ID_BASE: ULong = 0x100_0000_0000uL // 1 shl 40 (shl is no constant expression)

/**
 * Loaded by [ComposeSupport] through reflection, and only when Compose is on the app's
 * classpath: nothing outside this source set names a Compose class, so an app without Compose
 * (every React Native app) never meets a `NoClassDefFoundError`.
 */
@Suppress("unused") // found by name
internal object ComposeSemanticsReader : ComposeReader {
    /** The semantics root of a Compose host view; null for any other view. Throws when the
     * view hosts Compose but its semantics cannot be read (the caller then masks the view). */
    override fun root(view: View, density: Float): ViewLike? =
        (view as? ViewRootForTest)?.let { ComposeNode(it.semanticsOwner.unmergedRootSemanticsNode, density) }
}
