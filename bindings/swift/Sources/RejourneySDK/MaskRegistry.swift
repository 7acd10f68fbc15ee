import Foundation
import RejourneyBindings

/// Explicit privacy choices the app makes: per view instance (`view.rejourneyMask()`), by
/// accessibility identifier or tag string (`rj-mask` / `rj-unmask`) and by class. The Rust core
/// applies the rules (inheritance, secure fields always masked); this only answers "what tag
/// does this view carry". Views are held weakly: registering never keeps a view alive.
public final class MaskRegistry: @unchecked Sendable {
    public static let maskTag = "rj-mask"
    public static let unmaskTag = "rj-unmask"

    private struct Entry {
        weak var view: AnyObject?
        let tag: MaskTag
    }

    private let lock = NSLock()
    private var byView: [ObjectIdentifier: Entry] = [:]
    private var classes: Set<String> = []
    private var identifiers: Set<String> = []

    public init(classes: [String] = [], accessibilityIdentifiers: [String] = []) {
        self.classes = Set(classes)
        self.identifiers = Set(accessibilityIdentifiers)
    }

    public func mask(_ view: AnyObject) { set(view, .mask) }
    public func unmask(_ view: AnyObject) { set(view, .unmask) }

    public func clear(_ view: AnyObject) {
        lock.lock()
        defer { lock.unlock() }
        byView[ObjectIdentifier(view)] = nil
    }

    public func maskClass(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        classes.insert(name)
    }

    public func maskAccessibilityIdentifier(_ id: String) {
        lock.lock()
        defer { lock.unlock() }
        identifiers.insert(id)
    }

    private func set(_ view: AnyObject, _ tag: MaskTag) {
        lock.lock()
        defer { lock.unlock() }
        // An ObjectIdentifier can be reused after its object dies: drop dead entries as we go.
        if byView.count > 256 { byView = byView.filter { $0.value.view != nil } }
        byView[ObjectIdentifier(view)] = Entry(view: view, tag: tag)
    }

    /// The tag for a view: explicit registration, then its identifier (an `rj-mask` /
    /// `rj-unmask` string or a listed identifier), then its class (exact or simple name).
    public func tag(for view: AnyObject, identifier: String?, className: String) -> MaskTag {
        lock.lock()
        defer { lock.unlock() }
        if let e = byView[ObjectIdentifier(view)], e.view === view { return e.tag }
        switch identifier {
        case Self.maskTag?: return .mask
        case Self.unmaskTag?: return .unmask
        case let id? where identifiers.contains(id): return .mask
        default: break
        }
        let simple = className.split(separator: ".").last.map(String.init) ?? className
        return classes.contains(className) || classes.contains(simple) ? .mask : .none
    }
}
