import Foundation
import RejourneyBindings

/// The UIKit adapter's rules, as plain functions of what UIKit reports: which views the walk
/// enters, what kind each is, what size of bitmap a capture draws. They are here, not in the
/// UIKit file, so they are compiled and tested on Linux; the adapter only reads UIKit values
/// into these structs.

/// What UIKit says about one view's drawing.
public struct ViewDrawFacts: Equatable, Sendable {
    public var isHidden: Bool
    /// The larger of the model's and the presentation layer's opacity (a view fading in or out
    /// is walked, and masked if private, for the whole fade).
    public var opacity: Float
    /// `bounds.size` in points.
    public var width: Float
    public var height: Float
    /// `clipsToBounds` (or `layer.masksToBounds`): subviews outside the bounds are not drawn.
    public var clipsToBounds: Bool

    public init(isHidden: Bool = false, opacity: Float = 1, width: Float, height: Float, clipsToBounds: Bool = false) {
        self.isHidden = isHidden
        self.opacity = opacity
        self.width = width
        self.height = height
        self.clipsToBounds = clipsToBounds
    }

    /// From a layer's model opacity and its presentation layer's (nil when nothing animates):
    /// the larger counts, so a view fading in or out is walked, and masked, for the whole fade.
    public init(isHidden: Bool, modelOpacity: Float, presentationOpacity: Float?, width: Float, height: Float,
                clipsToBounds: Bool) {
        self.init(isHidden: isHidden, opacity: max(modelOpacity, presentationOpacity ?? modelOpacity),
                  width: width, height: height, clipsToBounds: clipsToBounds)
    }
}

public enum ViewVisibility {
    /// Opacity at or below this draws nothing a viewer can see.
    public static let minimumOpacity: Float = 0.01

    /// Whether the walk enters this view (reports it and looks at its subviews). A hidden or
    /// transparent view draws nothing, subviews included. A view with no area draws nothing
    /// itself, but UIKit still draws its subviews unless it clips: a text field inside a
    /// zero-height container is on screen, so the container is walked (an empty node the
    /// core ignores) and the field is reported and masked. Skipping it would leave the field
    /// drawn and unmasked.
    /// A value no real view has (NaN) counts as drawn: privacy fails closed.
    public static func isWalked(_ f: ViewDrawFacts) -> Bool {
        guard !f.isHidden, !(f.opacity <= minimumOpacity) else { return false }
        let noArea = f.width <= 0 || f.height <= 0
        return !noArea || !f.clipsToBounds
    }
}

/// The UIKit classes (and layers) a view's kind is decided from.
public struct ViewClassFacts: Equatable, Sendable {
    public enum Role: Equatable, Sendable {
        case textField(secure: Bool)
        case textView(editable: Bool)
        case label
        case imageView
        case webView
        case other
    }

    public var role: Role
    /// The view's layer or one of its sublayers plays video (`AVPlayerLayer`).
    public var hasPlayerLayer: Bool
    /// ... shows the camera (`AVCaptureVideoPreviewLayer`).
    public var hasCameraPreviewLayer: Bool

    public init(role: Role, hasPlayerLayer: Bool = false, hasCameraPreviewLayer: Bool = false) {
        self.role = role
        self.hasPlayerLayer = hasPlayerLayer
        self.hasCameraPreviewLayer = hasCameraPreviewLayer
    }
}

public enum ViewClassifier {
    /// The node kind the core's mask rules take: what the view is, not whether to mask it.
    public static func kind(_ f: ViewClassFacts) -> NodeKind {
        switch f.role {
        case .textField(let secure): return secure ? .secureInput : .textInput
        case .textView(let editable): return editable ? .textInput : .text
        case .label: return .text
        case .imageView: return .image
        case .webView: return .webView
        case .other:
            if f.hasPlayerLayer { return .video }
            if f.hasCameraPreviewLayer { return .camera }
            return .container
        }
    }

    /// Whether views of this role take text input (their content length is reported).
    public static func isInput(_ role: ViewClassFacts.Role) -> Bool {
        switch role {
        case .textField, .textView(editable: true): return true
        default: return false
        }
    }

    /// An input's content length (never its content): reported for inputs only.
    public static func textLength(_ role: ViewClassFacts.Role, characters: Int) -> UInt32? {
        isInput(role) ? UInt32(clamping: max(0, characters)) : nil
    }
}

/// The bitmap a capture draws: whole pixels, and one pixels-per-point scale for both axes
/// (the one of the buffer actually produced, after rounding the width), which the core places
/// every mask with.
public struct CaptureGeometry: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var scale: Float

    /// Longest side of a bitmap (pixels): past it the window is not a screen (a bug or a
    /// hostile layout), and no buffer is allocated.
    public static let maxSide = 16_384

    /// nil when there is nothing to draw (an empty or not yet laid out window, a scale that is
    /// not a positive finite number, a bitmap too large to allocate).
    public init?(pointWidth: Double, pointHeight: Double, requestedScale: Float) {
        let s = Double(requestedScale)
        guard pointWidth.isFinite, pointHeight.isFinite, s.isFinite,
              pointWidth > 0, pointHeight > 0, s > 0 else { return nil }
        let w = (pointWidth * s).rounded()
        guard w >= 1, w <= Double(Self.maxSide) else { return nil }
        let bufferScale = w / pointWidth
        let h = (pointHeight * bufferScale).rounded()
        guard h >= 1, h <= Double(Self.maxSide) else { return nil }
        self.width = Int(w)
        self.height = Int(h)
        self.scale = Float(bufferScale)
    }

    /// Bytes per row of the RGBA buffer.
    public var stride: Int { width * 4 }
}

/// A platform view as the UIKit adapter reads it: raw values only, each read when the walk asks
/// for it. Every `ViewLike` answer the walk needs is derived from these by the rules above (the
/// extension below), so the adapter holds no rule of its own, and a test object built from the
/// same values (the conformance vectors) walks exactly as a `UIView` does.
public protocol PlatformViewFacts: ViewLike {
    /// Hidden, opacity, size and clipping: whether the walk enters the view.
    var drawFacts: ViewDrawFacts { get }
    /// The view's UIKit role and video / camera layers: its kind.
    var classFacts: ViewClassFacts { get }
    /// `layer.name`: a developer tag string (`rj-mask` / `rj-unmask` are recognised by the core).
    var layerName: String? { get }
    /// The keys of the animations running on the view's layer.
    var animationKeys: [String] { get }
    /// The number of characters in the view's text; read for inputs only (never the text).
    var textCharacters: Int { get }
}

public extension PlatformViewFacts {
    var kind: NodeKind { ViewClassifier.kind(classFacts) }
    var isVisible: Bool { ViewVisibility.isWalked(drawFacts) }
    var isAnimating: Bool {
        let keys = animationKeys
        return !keys.isEmpty && LayerAnimations.moveGeometry(keys)
    }
    var maskHint: String? { layerName }
    var textLength: UInt32? {
        let role = classFacts.role
        guard ViewClassifier.isInput(role) else { return nil }
        return ViewClassifier.textLength(role, characters: textCharacters)
    }
}
