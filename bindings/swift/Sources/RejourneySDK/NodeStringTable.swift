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
/// The core keeps its copy of the table and decides whether each update continues it: same
/// `table`, a `base` it holds, and `digest` (the running digest of every string before `base`,
/// see `digest(_:_:)`) equal to its own; an update that does not, or that would pass its
/// limits, is refused with `RejourneyError.StringTable` and the frame with it. So a node never
/// names another table's string, even when two tables (two windows, a restarted loop, a React
/// Native surface) met on one id. The table follows what the core said:
/// - strings interned by a walk stay pending until a submit carrying them returned
///   (`committed`). After any other answer they go again with the next frame, from the same
///   base: the core accepts a resend of strings it already has (it applies them before it looks
///   at the frame, or the answer was lost), so the table never guesses what the core holds;
/// - when the core refused the update, the table starts over (`reset`: a new id from the OS's
///   random source, nothing held), which the core always accepts;
/// - before a walk, a table at the size the core said (`CaptureDecision.stringsReset*`, carried
///   by `CaptureRequest`) starts over too (`resetIfFull`), so a walk of new strings never runs
///   into the limits. The ids of views that come and go (`row-1234`) are what grows it.
///
/// Not locked: it is used on the thread that walks the views (the main thread on iOS), and the
/// capture loop settles it on that thread right after the submit.
public final class NodeStringTable {
    /// The digest of an empty table (`strings::DIGEST_SEED`: the FNV-1a 64 offset basis).
    public static let digestSeed: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The running digest (`strings::digest` in the core): `h` extended by `s`, FNV-1a 64 over
    /// its UTF-8 bytes, then 0xFF (a byte UTF-8 never holds, so string boundaries count).
    public static func digest(_ h: UInt64, _ s: String) -> UInt64 {
        var d = h
        for b in s.utf8 { d = (d ^ UInt64(b)) &* 0x100_0000_01b3 }
        return (d ^ 0xff) &* 0x100_0000_01b3
    }

    private var table: UInt64
    private var index: [String: UInt32] = [:]
    /// Strings the core holds: the index of `pending[0]`.
    private var base: UInt32 = 0
    /// `digest` of the strings before `base`.
    private var digest = NodeStringTable.digestSeed
    /// Interned since the last update the core applied, in index order.
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
        NodeStrings(table: table, base: base, digest: digest, added: pending)
    }

    /// The core applied `sent` (a submit carrying it returned). An update of an earlier table,
    /// or one already committed, changes nothing.
    public func committed(_ sent: NodeStrings) {
        guard sent.table == table, sent.base == base, sent.added.count <= pending.count else { return }
        for s in pending[..<sent.added.count] { digest = Self.digest(digest, s) }
        base += UInt32(sent.added.count)
        pending.removeFirst(sent.added.count)
    }

    /// Starts a new table, after the core refused an update. The next update sends every
    /// string a walk names again, from index 0.
    public func reset() {
        table = Self.newId(not: table)
        index.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        base = 0
        digest = Self.digestSeed
        bytes = 0
    }

    /// Called before a walk: starts over once the table holds `strings` strings or `bytes`
    /// UTF-8 bytes (the core's decision: half its limits, so the walk's new strings fit).
    public func resetIfFull(strings: Int, bytes: Int) {
        if index.count >= strings || self.bytes >= bytes { reset() }
    }

    /// `UInt64.random` draws from `SystemRandomNumberGenerator`, the OS's random source.
    private static func newId(not old: UInt64?) -> UInt64 {
        var id: UInt64
        repeat { id = UInt64.random(in: .min ... .max) } while id == old
        return id
    }
}
