import Foundation
import RejourneyBindings

/// The app's per-instance privacy choices (`view.rejourneyMask()` / `rejourneyUnmask()`): the
/// one masking fact only the platform can know, because it is about object identity.
/// Everything else (`rj-mask` / `rj-unmask` identifiers, listed classes and identifiers, kinds,
/// inheritance, which source wins) is decided by the Rust core from what the walk reports.
/// Views are held weakly: registering never keeps a view alive.
///
/// One registry serves the whole process (`MaskRegistry.shared`, also `Rejourney.maskRegistry`):
/// a view is masked from the moment app code says so, whether or not a client is running then,
/// and stays masked across `stop` and re-`start`. A registry that lived with the client would
/// forget every view masked before `start` (a consent screen, a first render racing a cold
/// start) and every view masked before a restart, and record them in clear.
public final class MaskRegistry: @unchecked Sendable {
    /// The process's registry: what `view.rejourneyMask()` writes and every client's walk reads.
    public static let shared = MaskRegistry()

    /// The identifier strings the core recognises (`accessibilityIdentifier`).
    public static let maskTag = "rj-mask"
    public static let unmaskTag = "rj-unmask"

    private struct Entry {
        weak var view: AnyObject?
        let tag: MaskTag
    }

    private let lock = NSLock()
    private var byView: [ObjectIdentifier: Entry] = [:]

    public init() {}

    public func mask(_ view: AnyObject) { set(view, .mask) }
    public func unmask(_ view: AnyObject) { set(view, .unmask) }

    public func clear(_ view: AnyObject) {
        lock.lock()
        defer { lock.unlock() }
        byView[ObjectIdentifier(view)] = nil
    }

    private func set(_ view: AnyObject, _ tag: MaskTag) {
        lock.lock()
        defer { lock.unlock() }
        // An ObjectIdentifier can be reused after its object dies: drop dead entries as we go.
        if byView.count > 256 { byView = byView.filter { $0.value.view != nil } }
        byView[ObjectIdentifier(view)] = Entry(view: view, tag: tag)
    }

    /// The registration for this view instance, if any.
    public func tag(for view: AnyObject) -> MaskTag {
        lock.lock()
        defer { lock.unlock() }
        if let e = byView[ObjectIdentifier(view)], e.view === view { return e.tag }
        return .none
    }
}
