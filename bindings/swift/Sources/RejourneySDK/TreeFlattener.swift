import Foundation
import RejourneyBindings

/// A view as the walk sees it; the UIKit adapter implements it over `UIView`, tests over
/// plain objects built from the corpus.
public protocol ViewLike: AnyObject {
    var className: String { get }
    /// Frame in points, window coordinates.
    var windowFrame: (x: Float, y: Float, width: Float, height: Float) { get }
    var kind: NodeKind { get }
    var accessibilityIdentifier: String? { get }
    var isVisible: Bool { get }
    /// A text input's content length (never its content).
    var textLength: UInt32? { get }
    var childViews: [ViewLike] { get }
    /// The object app code registers masks on: the platform view behind a wrapper. Wrappers
    /// are rebuilt every walk, so registrations and ids must key on this, not on the wrapper.
    var identity: AnyObject { get }
    /// The view is being moved or resized by a running animation (UIKit: its layer has an
    /// animation that can change geometry, see `LayerAnimations`).
    var isAnimating: Bool { get }
}

public extension ViewLike {
    var identity: AnyObject { self }
    var isAnimating: Bool { false }
}

/// Which layer animations can move what a view covers on screen. UIKit names the animations
/// it adds after the animated key path ("position", "bounds.size", "transform", "opacity", …).
/// Only keys known to leave geometry alone are ignored; any other key, custom ones included,
/// counts as moving: privacy fails closed.
public enum LayerAnimations {
    static let geometryNeutral: Set<String> = [
        "opacity", "backgroundColor", "borderColor", "borderWidth", "cornerRadius",
        "shadowColor", "shadowOpacity", "shadowRadius", "shadowOffset", "contents",
    ]

    public static func moveGeometry(_ keys: [String]) -> Bool {
        keys.contains { !geometryNeutral.contains($0) }
    }
}

/// Flattens a view tree into the pre-order `ViewNode` list the core expects (each node names
/// its parent's index). Hidden subtrees are skipped, so an invisible root gives no nodes and
/// the capture loop captures no frame. A node budget and a time budget bound the main-thread
/// cost of the walk; when either runs out the result is `truncated` and the capture loop
/// sends it as a partial frame, which the core drops (privacy fails closed: part of the screen
/// was never examined). When a view that may be masked, or one of its ancestors, is moving
/// (`isAnimating`), the result is `animating` and the loop skips the frame: pixels drawn for
/// the last display frame and geometry read now may disagree by what the animation moved.
public struct TreeFlattener {
    public struct Result {
        public var nodes: [ViewNode]
        public var truncated: Bool
        /// A possibly masked view was moving: the frame must not be sent.
        public var animating: Bool = false
    }

    /// The kinds the core masks by default or by option (text and images only by option).
    public static let defaultPrivateKinds: Set<NodeKind> = [.textInput, .secureInput, .camera, .webView, .video]

    let registry: MaskRegistry
    let maxNodes: Int
    let maxSeconds: Double
    let privateKinds: Set<NodeKind>
    let now: () -> Double

    public init(
        registry: MaskRegistry,
        maxNodes: Int = 2_000,
        maxSeconds: Double = 0.008,
        privateKinds: Set<NodeKind> = TreeFlattener.defaultPrivateKinds,
        now: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.registry = registry
        self.maxNodes = max(1, maxNodes)
        self.maxSeconds = maxSeconds
        self.privateKinds = privateKinds
        self.now = now
    }

    public func flatten(_ root: ViewLike) -> Result {
        var out: [ViewNode] = []
        out.reserveCapacity(64)
        // Per node: it or an ancestor is moving.
        var moving: [Bool] = []
        moving.reserveCapacity(64)
        let deadline = now() + maxSeconds
        // Explicit stack: deep hierarchies must not overflow the main thread's stack.
        var stack: [(ViewLike, UInt32?)] = [(root, nil)]
        while let (view, parent) = stack.popLast() {
            guard view.isVisible else { continue }
            // The clock is read every 64 nodes: cheap, and bounds overshoot.
            if out.count >= maxNodes || (out.count % 64 == 63 && now() > deadline) {
                return Result(nodes: out, truncated: true)
            }
            let index = UInt32(out.count)
            let f = view.windowFrame
            let kind = view.kind
            let tag = registry.tag(for: view.identity, identifier: view.accessibilityIdentifier,
                                   className: view.className)
            out.append(ViewNode(
                parent: parent,
                className: view.className,
                x: f.x, y: f.y, width: f.width, height: f.height,
                kind: kind,
                tag: tag,
                viewId: UInt64(UInt(bitPattern: ObjectIdentifier(view.identity).hashValue)),
                testId: view.accessibilityIdentifier,
                textLength: view.textLength
            ))
            let moves = view.isAnimating || parent.map { moving[Int($0)] } == true
            moving.append(moves)
            // A moving masked view: the walk can stop, the frame will not be sent. (Only the
            // view's own animations and its ancestors' count: a text field's blinking cursor
            // is inside the field's mask.)
            if moves && (privateKinds.contains(kind) || tag == .mask) {
                return Result(nodes: out, truncated: false, animating: true)
            }
            // Children in reverse so they pop in order (pre-order, left to right).
            for child in view.childViews.reversed() { stack.append((child, index)) }
        }
        return Result(nodes: out, truncated: false)
    }
}
