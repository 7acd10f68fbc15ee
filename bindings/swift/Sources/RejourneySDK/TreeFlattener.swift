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
    /// animation that can change geometry, see `LayerAnimations`). The core decides what
    /// follows.
    var isAnimating: Bool { get }
    /// A developer tag string other than the accessibility identifier, reported as is (none on
    /// UIKit; tests and other hosts may have one).
    var maskHint: String? { get }
}

public extension ViewLike {
    var identity: AnyObject { self }
    var isAnimating: Bool { false }
    var maskHint: String? { nil }
}

/// What the core asks of one capture, from its tick decision: how much of the tree the walk
/// may visit and how many pixels per point to draw.
public struct CaptureRequest: Equatable {
    public var maxNodes: Int
    public var maxSeconds: Double
    public var scale: Float
    /// The walk's string table starts over when it holds this many strings or UTF-8 bytes
    /// (the core's decision; never, by default).
    public var resetStrings: Int
    public var resetBytes: Int

    public init(maxNodes: Int, maxSeconds: Double, scale: Float = 1,
                resetStrings: Int = .max, resetBytes: Int = .max) {
        self.maxNodes = max(1, maxNodes)
        self.maxSeconds = maxSeconds
        self.scale = scale
        self.resetStrings = resetStrings
        self.resetBytes = resetBytes
    }

    public init(_ decision: CaptureDecision) {
        self.init(maxNodes: Int(clamping: decision.walkMaxNodes),
                  maxSeconds: decision.walkBudgetMs / 1000, scale: decision.captureScale,
                  resetStrings: Int(clamping: decision.stringsResetStrings),
                  resetBytes: Int(clamping: decision.stringsResetBytes))
    }
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
/// its parent's index, and its class name, accessibility identifier and developer tag by their
/// index in `strings`), reporting what the platform sees and deciding nothing: hidden subtrees
/// are not walked (they draw nothing), and when the core's budget (`CaptureRequest`) runs out
/// the result is `truncated`, which the capture loop sends as a partial frame that the core
/// drops (privacy fails closed: part of the screen was never examined).
public struct TreeFlattener {
    public struct Result {
        public var nodes: [ViewNode]
        public var truncated: Bool
        /// The strings `nodes` name that the core may not have yet: sent with them.
        public var strings: NodeStrings
        /// The table the indices come from, told by the capture loop what the core did with
        /// `strings`.
        public let table: NodeStringTable

        /// Whether the frame needs its pixels drawn: a walk that saw nothing (an invisible
        /// root) or was cut short is never sent as a full frame, so drawing it would be wasted
        /// main-thread time.
        public var needsPixels: Bool { !truncated && !nodes.isEmpty }
    }

    let registry: MaskRegistry
    /// One table for every walk of this flattener: a client's frames go through one.
    public let strings: NodeStringTable
    let now: () -> Double

    public init(registry: MaskRegistry, strings: NodeStringTable = NodeStringTable(),
                now: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.registry = registry
        self.strings = strings
        self.now = now
    }

    public func flatten(_ root: ViewLike, _ request: CaptureRequest) -> Result {
        strings.resetIfFull(strings: request.resetStrings, bytes: request.resetBytes)
        var out: [ViewNode] = []
        out.reserveCapacity(64)
        let deadline = now() + request.maxSeconds
        func result(truncated: Bool) -> Result {
            Result(nodes: out, truncated: truncated, strings: strings.update(), table: strings)
        }
        // Explicit stack: deep hierarchies must not overflow the main thread's stack.
        var stack: [(ViewLike, UInt32?)] = [(root, nil)]
        while let (view, parent) = stack.popLast() {
            guard view.isVisible else { continue }
            // The clock is read every 64 nodes: cheap, and bounds overshoot.
            if out.count >= request.maxNodes || (out.count % 64 == 63 && now() > deadline) {
                return result(truncated: true)
            }
            let index = UInt32(out.count)
            let f = view.windowFrame
            out.append(ViewNode(
                parent: parent,
                classIndex: strings.intern(view.className),
                x: f.x, y: f.y, width: f.width, height: f.height,
                kind: view.kind,
                tag: registry.tag(for: view.identity),
                viewId: UInt64(UInt(bitPattern: ObjectIdentifier(view.identity).hashValue)),
                testIdIndex: view.accessibilityIdentifier.map(strings.intern),
                textLength: view.textLength,
                maskHintIndex: view.maskHint.map(strings.intern),
                animating: view.isAnimating
            ))
            // Children in reverse so they pop in order (pre-order, left to right).
            for child in view.childViews.reversed() { stack.append((child, index)) }
        }
        return result(truncated: false)
    }
}
