import Foundation
import RejourneyBindings

/// The Swift side of the string table a frame's `ViewNode`s name by index (class names,
/// accessibility identifiers, developer tags).
///
/// Why: a screen's views carry over a thousand such strings, and they hardly change between
/// frames. Sent as one `String` per node per frame, each was encoded by the binding, lifted into
/// a new Rust allocation and freed a frame later. Now each string crosses the FFI once, in the
/// `NodeStrings.added` of the first frame that names it, and nodes name it by index after that.
///
/// The core keeps its copy of the table and checks that every update continues it (same
/// `table`, `base` equal to what it holds); an update that does not, or that would pass its
/// limits (16 384 strings, 2 MiB), is refused with `RejourneyError.StringTable` and the frame
/// with it. The table follows what the core said:
/// - strings interned by a walk stay pending until a submit carrying them reached the core
///   (`committed`); a walk whose frame was never submitted (the capture failed after the walk)
///   leaves them pending, and the next frame sends them, so the two copies cannot drift;
/// - when the core refused the update, or it is unknown whether the core applied it, the
///   table starts over (`reset`: a new random id, nothing held), which the core always accepts;
/// - before a walk, a table at half the core's limits starts over too (`resetIfHalfFull`), so a
///   walk of new strings never runs into them. The ids of views that come and go (lists of
///   identifiers such as `row-1234`) are what grows it.
///
/// Not locked: it is used on the thread that walks the views (the main thread on iOS), and the
/// capture loop settles it on that thread right after the submit.
public final class NodeStringTable {
    /// The core's limits are 16 384 strings and 2 MiB; a table at half of either starts over.
    public static let resetStrings = 8_192
    public static let resetBytes = 1 << 20

    private var table: UInt64
    private var index: [String: UInt32] = [:]
    /// Strings the core holds: the index of `pending[0]`.
    private var base: UInt32 = 0
    /// Interned since the last update the core received, in index order.
    private var pending: [String] = []
    private var bytes = 0

    public init() {
        table = Self.newId(not: nil)
    }

    /// How many strings the table holds (sent or pending).
    public var count: Int { index.count }

    /// The index of `s`, adding it to the pending strings if it is new.
    public func intern(_ s: String) -> UInt32 {
        if let i = index[s] { return i }
        let i = base + UInt32(pending.count)
        index[s] = i
        pending.append(s)
        bytes += s.utf8.count
        return i
    }

    /// What to send with the next frame: the pending strings, which stay pending until
    /// `committed`.
    public func update() -> NodeStrings {
        NodeStrings(table: table, base: base, added: pending)
    }

    /// The core received `sent` (a submit carrying it returned, or threw an error raised after
    /// the core applied it). An update of an earlier table, or one already committed, changes
    /// nothing.
    public func committed(_ sent: NodeStrings) {
        guard sent.table == table, sent.base == base, sent.added.count <= pending.count else { return }
        base += UInt32(sent.added.count)
        pending.removeFirst(sent.added.count)
    }

    /// Starts a new table: after the core refused an update, or when it is unknown whether
    /// it applied one. The next update sends every string a walk names again, from index 0.
    public func reset() {
        table = Self.newId(not: table)
        index.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        base = 0
        bytes = 0
    }

    /// Called before a walk: starts over at half the core's limits, so the walk's new strings
    /// fit (a walk within the default node budget, 2 000 nodes of three strings at most, always
    /// does; a larger one that does not is refused and starts over from an empty table).
    public func resetIfHalfFull() {
        if index.count >= Self.resetStrings || bytes >= Self.resetBytes { reset() }
    }

    private static func newId(not old: UInt64?) -> UInt64 {
        var id: UInt64
        repeat { id = UInt64.random(in: .min ... .max) } while id == old
        return id
    }
}
