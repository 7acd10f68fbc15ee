import Foundation
import XCTest
@testable import RejourneySDK

/// The running digest of `strings`, from the empty table's.
private func chain<S: Sequence>(_ strings: S) -> UInt64 where S.Element == String {
    strings.reduce(NodeStringTable.digestSeed, NodeStringTable.digest)
}

/// The string table alone: what stays pending, what a commit or a reset does.
final class NodeStringTableTests: XCTestCase {
    func testStringsStayPendingUntilTheCoreHasThem() {
        let t = NodeStringTable()
        XCTAssertEqual(t.intern("UIView"), 0)
        XCTAssertEqual(t.intern("UILabel"), 1)
        XCTAssertEqual(t.intern("UIView"), 0)
        let first = t.update()
        XCTAssertEqual(first.base, 0)
        XCTAssertEqual(first.added, ["UIView", "UILabel"])
        XCTAssertEqual(t.update(), first, "sent again until the core has them")
        XCTAssertEqual(first.digest, NodeStringTable.digestSeed, "a new table extends the empty one")
        t.committed(first)
        let held = chain(["UIView", "UILabel"])
        XCTAssertEqual(t.update(), NodeStrings(table: first.table, base: 2, digest: held, added: []),
                       "the digest of what the core holds")
        XCTAssertEqual(t.intern("UIButton"), 2)
        t.committed(first)
        XCTAssertEqual(t.update(), NodeStrings(table: first.table, base: 2, digest: held, added: ["UIButton"]),
                       "an update committed twice counts once")

        t.reset()
        let fresh = t.update()
        XCTAssertNotEqual(fresh.table, first.table)
        XCTAssertEqual(fresh.base, 0)
        XCTAssertEqual(fresh.added, [])
        XCTAssertEqual(fresh.digest, NodeStringTable.digestSeed)
        XCTAssertEqual(t.count, 0)
        XCTAssertEqual(t.intern("UIButton"), 0, "every string is sent again from index 0")
        t.committed(NodeStrings(table: first.table, base: 0, digest: NodeStringTable.digestSeed, added: ["UIButton"]))
        XCTAssertEqual(t.update().added, ["UIButton"], "an update of an earlier table commits nothing")
    }

    func testTheDigestIsTheCores() {
        // The vector of `strings::tests::the_digest_is_the_documented_chain` in the core.
        XCTAssertEqual(chain(["Window", "é", "😀"]), 0xc640_3ee8_a5dc_ce4b)
        XCTAssertNotEqual(chain(["ab", "c"]), chain(["a", "bc"]), "string boundaries count")
    }

    func testATableStartsOverAtTheSizeTheCoreSays() {
        let t = NodeStringTable()
        let (strings, bytes) = (8_192, 1 << 20)
        for i in 0..<(strings - 1) { _ = t.intern("row-\(i)") }
        let table = t.update().table
        t.resetIfFull(strings: strings, bytes: bytes)
        XCTAssertEqual(t.update().table, table)
        XCTAssertEqual(t.count, strings - 1)
        _ = t.intern("row-last")
        t.resetIfFull(strings: strings, bytes: bytes)
        XCTAssertNotEqual(t.update().table, table)
        XCTAssertEqual(t.count, 0)

        let long = NodeStringTable()
        _ = long.intern(String(repeating: "é", count: bytes / 2))
        long.resetIfFull(strings: strings, bytes: bytes)
        XCTAssertEqual(long.count, 0, "UTF-8 bytes, as the core counts them")
    }

    func testTheFlattenerNamesEachStringByOneIndex() {
        let root = FakeView("Root", .container, w: 100, h: 100)
        let a = FakeView("Row", .container), b = FakeView("Row", .text)
        a.accessibilityIdentifier = "row-1"
        b.accessibilityIdentifier = "Row"
        b.maskHint = "row-1"
        root.children = [a, b]
        let flattener = TreeFlattener(registry: MaskRegistry())
        let walk = flattener.flatten(root, unlimitedWalk)
        XCTAssertEqual(walk.strings.added, ["Root", "Row", "row-1"])
        XCTAssertEqual(walk.nodes.map(\.classIndex), [0, 1, 1])
        XCTAssertEqual(walk.nodes.map(\.testIdIndex), [nil, 2, 1], "one index per string, whatever names it")
        XCTAssertEqual(walk.nodes.map(\.maskHintIndex), [nil, nil, 2])

        // Not submitted: the next walk sends the same strings with the same indices.
        let again = flattener.flatten(root, unlimitedWalk)
        XCTAssertEqual(again.strings, walk.strings)
        XCTAssertEqual(again.nodes, walk.nodes)
        again.table.committed(again.strings)
        let third = flattener.flatten(root, unlimitedWalk)
        XCTAssertEqual(third.strings, NodeStrings(table: walk.strings.table, base: 3, digest: chain(["Root", "Row", "row-1"]), added: []))
        XCTAssertEqual(third.nodes, walk.nodes)

        // A table at the size the core says starts over before the walk.
        for i in 0..<100 { _ = flattener.strings.intern("id-\(i)") }
        XCTAssertEqual(flattener.flatten(root, CaptureRequest(maxNodes: 1_000, maxSeconds: 60, resetStrings: 104)).strings.table,
                       walk.strings.table)
        _ = flattener.strings.intern("one more")
        let over = flattener.flatten(root, CaptureRequest(maxNodes: 1_000, maxSeconds: 60, resetStrings: 104))
        XCTAssertNotEqual(over.strings.table, walk.strings.table)
        XCTAssertEqual(over.strings.base, 0)
        XCTAssertEqual(over.strings.added, ["Root", "Row", "row-1"])
        XCTAssertEqual(over.nodes, walk.nodes)
    }
}

/// The table against the real core and the ingest server: strings cross once, the snapshots
/// the server stores still name every node right, and the table recovers from what can go
/// wrong (a refused update, a frame lost after its walk, a frame refused for its pixels).
final class StringTableSessionTests: XCTestCase {
    /// A corpus screen by id, with fresh view objects (tests change them).
    private func screen(_ id: String, _ env: TestEnv) throws -> Screen {
        try XCTUnwrap(Screen.loadAll(env.corpus).first { $0.id == id })
    }

    /// The strings a screen's first walk into an empty table sends: each class name and
    /// identifier in pre-order, once.
    private func strings(_ screens: Screen..., after earlier: [Screen] = []) -> [String] {
        var seen = Set(earlier.flatMap { views($0.root) }.flatMap(Self.names))
        return screens.flatMap { views($0.root) }.flatMap(Self.names).filter { seen.insert($0).inserted }
    }

    private static func names(_ v: FakeView) -> [String] {
        [v.className] + [v.accessibilityIdentifier, v.maskHint].compactMap { $0 }
    }

    func testASecondFrameOfAScreenSendsNoStringsAndTheSnapshotsStillNameThem() throws {
        let r = try Recording("strings-once")
        let login = try screen("login-000", r.env)
        let all = views(login.root)
        let inputs = all.filter { $0.className == "input" }
        let button = try XCTUnwrap(all.first { $0.className == "button" })
        XCTAssertGreaterThanOrEqual(inputs.count, 2)
        inputs[0].accessibilityIdentifier = "email"
        inputs[1].accessibilityIdentifier = "password"
        button.accessibilityIdentifier = "sign-in"
        try r.tick(login)
        let shown = preorder(login.root)
        // The same screen again: the core has every string.
        try r.tick(login)
        // Identifiers moved between views, all of them already sent: a changed tree (a new
        // snapshot), still no new string.
        inputs[0].accessibilityIdentifier = "sign-in"
        button.accessibilityIdentifier = "email"
        try r.tick(login)
        let moved = preorder(login.root)
        XCTAssertNotEqual(moved, shown)
        let (t, snapshots) = try r.finish()

        XCTAssertEqual(r.loop.errors, 0)
        XCTAssertEqual(r.loop.captures, 3)
        let sent = r.source.sent
        XCTAssertEqual(sent.count, 3)
        let first = strings(login)
        XCTAssertTrue(first.contains("sign-in") && first.contains("input"), "\(first)")
        XCTAssertEqual(sent[0].added.sorted(), first.sorted(), "each class name and identifier once")
        XCTAssertEqual(sent[1].added, [], "the same screen sends no string")
        XCTAssertEqual(sent[2].added, [])
        XCTAssertEqual(sent.map(\.base), [0, UInt32(first.count), UInt32(first.count)])
        XCTAssertEqual(Set(sent.map(\.table)).count, 1)
        XCTAssertEqual(t.framesCaptured, 1, "the same pixels three times: \(t.json)")
        // A masked node (every input by default) carries no test id in a snapshot.
        let stored = { (names: [String]) in names.map { $0.hasPrefix("input #") ? "input" : $0 } }
        XCTAssertEqual(snapshots, [stored(shown), stored(moved)], "the unchanged tree takes no snapshot")
    }

    /// Another writer moves the core's copy of the loop's table one string ahead (forced
    /// through the raw core object): the loop's next update no longer continues it, the core
    /// refuses it, and the loop starts a new table that records from the next frame on.
    func testARefusedUpdateStartsANewTableAndTheNextFrameRecords() throws {
        let r = try Recording("strings-refused")
        let login = try screen("login-000", r.env), shop = try screen("shop-000", r.env)
        try r.tick(login)
        let table = r.source.flattener.strings
        let before = table.update()
        XCTAssertEqual(before.added, [], "login's strings committed")
        XCTAssertEqual(before.base, UInt32(strings(login).count))
        // Whatever the core makes of this frame (no nodes), it applies its strings first.
        _ = try? r.client.core.submitPartialFrame(
            timestampMs: r.clock.ms, tree: NodeTree(nodes: [], strings: NodeStrings(table: before.table, base: before.base, digest: before.digest, added: ["Intruder"])))
        XCTAssertThrowsError(try r.client.core.submitPartialFrame(
            timestampMs: r.clock.ms, tree: NodeTree(nodes: [], strings: before))) { e in
            guard case RejourneyError.StringTable = e else { return XCTFail("\(e)") }
        }

        try r.tick(shop)
        XCTAssertEqual(r.loop.errors, 1, "refused")
        XCTAssertEqual(r.loop.stringTableResets, 1)
        XCTAssertEqual(r.loop.captures, 1)
        XCTAssertEqual(r.source.sent.last?.base, before.base, "the refused update continued the loop's table")
        let fresh = table.update()
        XCTAssertNotEqual(fresh.table, before.table)
        XCTAssertEqual(fresh.base, 0)
        XCTAssertEqual(table.count, 0)

        try r.tick(shop)
        XCTAssertEqual(r.loop.errors, 1)
        XCTAssertEqual(r.loop.captures, 2)
        let resent = try XCTUnwrap(r.source.sent.last)
        XCTAssertEqual(resent.table, fresh.table)
        XCTAssertEqual(resent.base, 0)
        XCTAssertEqual(resent.added, strings(shop), "the new table sends every string the screen names")
        let (t, snapshots) = try r.finish()
        XCTAssertEqual(t.framesCaptured, 2, t.json)
        XCTAssertEqual(snapshots, [preorder(login.root), preorder(shop.root)])
    }

    /// A walk whose frame never reached the core (the draw failed after it): its new strings
    /// stay pending and go with the next frame, which records.
    func testAFrameLostAfterItsWalkKeepsItsStringsForTheNext() throws {
        let r = try Recording("strings-lost-frame")
        let login = try screen("login-000", r.env), settings = try screen("settings-000", r.env)
        try r.tick(login)
        let base = UInt32(strings(login).count)
        let new = strings(settings, after: [login])
        XCTAssertFalse(new.isEmpty)
        r.source.failAfterWalk = true
        try r.tick(settings)
        XCTAssertEqual(r.loop.captures, 1)
        XCTAssertEqual(r.loop.errors, 0)
        XCTAssertEqual(r.source.flattener.strings.update().added, new, "walked, never sent: pending")

        try r.tick(settings)
        XCTAssertEqual(r.loop.errors, 0)
        XCTAssertEqual(r.loop.captures, 2)
        let sent = try XCTUnwrap(r.source.sent.last)
        XCTAssertEqual(sent.base, base)
        XCTAssertEqual(sent.added, new, "the lost walk's strings went with the next frame")
        XCTAssertEqual(r.source.flattener.strings.update().added, [], "committed")
        let (t, snapshots) = try r.finish()
        XCTAssertEqual(t.framesCaptured, 2, t.json)
        XCTAssertEqual(snapshots, [preorder(login.root), preorder(settings.root)])
    }

    /// A frame refused for what it shows (its tree does not cover its pixels at that scale):
    /// the core applied its strings first, but the table does not guess; they go again with
    /// the next frame, which the core accepts (a resend of what it has) and records.
    func testAFrameRefusedForItsPixelsStillDeliveredItsStrings() throws {
        let r = try Recording("strings-refused-frame")
        let login = try screen("login-000", r.env)
        let misplaced = Screen(id: login.id, width: login.width, height: login.height, scale: login.scale * 2,
                               rgba: login.rgba, root: login.root, privateCount: login.privateCount)
        try r.tick(misplaced)
        XCTAssertEqual(r.loop.errors, 1)
        XCTAssertEqual(r.loop.stringTableResets, 0)
        XCTAssertEqual(r.loop.captures, 0)
        XCTAssertEqual(r.source.flattener.strings.update().added, strings(login), "pending")
        try r.tick(login)
        XCTAssertEqual(r.loop.errors, 1)
        XCTAssertEqual(r.loop.stringTableResets, 0)
        XCTAssertEqual(r.loop.captures, 1)
        XCTAssertEqual(r.source.sent.map(\.added), [strings(login), strings(login)])
        XCTAssertEqual(r.source.flattener.strings.update().added, [], "committed")
        let (t, snapshots) = try r.finish()
        XCTAssertEqual(t.framesCaptured, 1, t.json)
        XCTAssertTrue(t.json.contains("\"tree_mismatch\":1"), t.json)
        XCTAssertEqual(snapshots, [preorder(login.root)])
    }

    /// The core's side through the raw object: a node naming a string the core does not have
    /// refuses the frame (privacy fails closed), the strings that came with it are kept, and
    /// an update that does not continue the table is refused without changing it.
    func testTheCoreResolvesOnlyStringsItHas() throws {
        let env = try TestEnv.load()
        let login = try screen("login-000", env)
        let clock = Clock(1_700_000_000_000)
        // No server: these frames are not corpus submissions of a session the suite checks.
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: "http://127.0.0.1:9", anrThreshold: 0, remoteConfig: false),
            storageDirectory: tempDir("strings-core"), deviceId: "swift-test-device", clockMs: { clock.ms })
        try client.start()
        let walk = TreeFlattener(registry: client.masks).flatten(login.root, unlimitedWalk)
        func submit(_ strings: NodeStrings) throws {
            clock.advance(1_000)
            try client.core.submitFrame(
                pixels: login.rgba, width: login.width, height: login.height, stride: login.width * 4,
                format: .rgba, scale: login.scale, timestampMs: clock.ms, tree: NodeTree(nodes: walk.nodes, strings: strings))
        }
        var short = walk.strings
        let last = short.added.removeLast()
        XCTAssertThrowsError(try submit(short)) { e in
            guard case RejourneyError.InvalidNodes = e else { return XCTFail("\(e)") }
        }
        let held = short.base + UInt32(short.added.count)
        // Another string where the core holds one, or a digest that is not the table's (the
        // same id, other strings): refused, the table unchanged.
        var intruder = walk.strings.added
        intruder[0] = "Intruder"
        XCTAssertThrowsError(try submit(NodeStrings(table: short.table, base: 0, digest: short.digest, added: intruder))) { e in
            guard case RejourneyError.StringTable = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try submit(NodeStrings(table: short.table, base: held, digest: chain(intruder.dropLast()), added: [last]))) { e in
            guard case RejourneyError.StringTable = e else { return XCTFail("\(e)") }
        }
        XCTAssertNoThrow(try submit(NodeStrings(table: short.table, base: held, digest: chain(short.added), added: [last])),
                         "the refused frame's strings were kept; this update continues them")
        XCTAssertNoThrow(try submit(NodeStrings(table: short.table, base: 0, digest: short.digest, added: walk.strings.added)),
                         "a resend of what the core holds is accepted")
        XCTAssertNoThrow(try submit(NodeStrings(table: short.table, base: held + 1, digest: chain(walk.strings.added), added: [])))
        let t = try client.telemetry()
        XCTAssertEqual(t.framesOffered, t.framesDropped + 3, "three frames went on to the encoder: \(t.json)")
        client.shutdown(drain: 0)
    }
}

/// A view tree's views in pre-order.
private func views(_ root: FakeView) -> [FakeView] {
    var out: [FakeView] = []
    var stack = [root]
    while let v = stack.popLast() {
        out.append(v)
        stack.append(contentsOf: v.children.reversed())
    }
    return out
}

/// A session recorded through the capture loop into the ingest server, one tick a second,
/// each captured frame declared for `verify_stored`.
private final class Recording {
    let env: TestEnv
    let clock: Clock
    let client: RejourneyClient
    let source: CorpusSource
    let loop: CaptureLoop
    let sessionId: String
    let start: UInt64

    init(_ name: String) throws {
        env = try TestEnv.load()
        let clock = Clock(1_700_000_000_000)
        self.clock = clock
        client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: true),
            storageDirectory: tempDir(name), deviceId: "swift-test-device", clockMs: { clock.ms })
        start = clock.ms
        sessionId = try client.start()
        XCTAssertTrue(client.waitRemoteConfig(timeout: 5), "remote config answered")
        source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        // A fixed main-thread cost: the core must not back off and skip ticks.
        loop = CaptureLoop(core: client.core, source: source, scheduler: ManualScheduler(),
                           clockMs: { clock.ms }, uptime: { 0 })
        loop.start()
    }

    /// One tick showing `screen`, a second after the last (snapshots are a second apart at
    /// least), once the encoder has the frame before.
    func tick(_ screen: Screen) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let t = try client.telemetry()
            if t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped >= t.framesOffered { break }
            Thread.sleep(forTimeInterval: 0.002)
        }
        source.screen = screen
        clock.advance(1_000)
        let before = loop.captures
        loop.tick()
        if loop.captures > before {
            try Manifest.frame(env, session: sessionId, ts: clock.ms, screen: screen)
        }
    }

    /// Ends the session once everything is delivered: its telemetry and the full snapshots
    /// the server stored, in time order, each as its nodes' class and test id in pre-order.
    func finish() throws -> (Telemetry, [[String]]) {
        loop.stop()
        try client.stop()
        XCTAssertTrue(try client.flush(timeout: 30))
        let t = try client.telemetry()
        try Manifest.session(env, session: sessionId, start: start, captured: t.framesCaptured)
        let stored = try storedSession(env, sessionId)
        let snapshots = (stored["hierarchy"] as? [[String: Any]] ?? []).filter { ($0["partial"] as? Bool) != true }
        client.shutdown()
        return (t, snapshots.map { preorder(snapshot: $0["root"] as? [String: Any] ?? [:]) })
    }
}
