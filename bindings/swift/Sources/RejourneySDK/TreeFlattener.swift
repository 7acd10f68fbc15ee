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
}

public extension ViewLike {
    var identity: AnyObject { self }
}

/// Flattens a view tree into the pre-order `ViewNode` list the core expects (each node names
/// its parent's index). Hidden subtrees are skipped. A node budget and a time budget bound the
/// main-thread cost of the walk; when either runs out the result is `truncated` and the
/// capture loop sends it as a partial frame, which the core drops (privacy fails closed: part
/// of the screen was never examined).
public struct TreeFlattener {
    public struct Result {
        public var nodes: [ViewNode]
        public var truncated: Bool
    }

    let registry: MaskRegistry
    let maxNodes: Int
    let maxSeconds: Double
    let now: () -> Double

    public init(
        registry: MaskRegistry,
        maxNodes: Int = 2_000,
        maxSeconds: Double = 0.008,
        now: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.registry = registry
        self.maxNodes = max(1, maxNodes)
        self.maxSeconds = maxSeconds
        self.now = now
    }

    public func flatten(_ root: ViewLike) -> Result {
        var out: [ViewNode] = []
        out.reserveCapacity(64)
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
            out.append(ViewNode(
                parent: parent,
                className: view.className,
                x: f.x, y: f.y, width: f.width, height: f.height,
                kind: view.kind,
                tag: registry.tag(for: view.identity, identifier: view.accessibilityIdentifier,
                                  className: view.className),
                viewId: UInt64(UInt(bitPattern: ObjectIdentifier(view.identity).hashValue)),
                testId: view.accessibilityIdentifier,
                textLength: view.textLength
            ))
            // Children in reverse so they pop in order (pre-order, left to right).
            for child in view.childViews.reversed() { stack.append((child, index)) }
        }
        return Result(nodes: out, truncated: false)
    }
}
