import Foundation
import XCTest
@testable import RejourneySDK

final class SessionTests: XCTestCase {
    /// The whole corpus through the Swift API into the real ingest server: the capture loop
    /// asks the core, the flattener walks each screen, frames and snapshots are stored.
    func testFullCorpusSessionIntoTheIngestServer() throws {
        let env = try TestEnv.load()
        let screens = try Screen.loadAll(env.corpus)
        XCTAssertEqual(screens.count, 12)
        let clock = Clock(1_700_000_000_000)
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: true),
            storageDirectory: tempDir("session"), deviceId: "swift-test-device",
            clockMs: { clock.ms })
        let start = clock.ms
        let sessionId = try client.start()
        // The server's project settings apply from the first frame on.
        XCTAssertTrue(client.waitRemoteConfig(timeout: 5), "remote config answered")
        XCTAssertEqual(try client.telemetry().remoteConfigStatus, "fresh")
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        let scheduler = ManualScheduler()
        // A fixed main-thread cost: a slow first walk on a loaded machine must not make the
        // core back off and skip ticks.
        let loop = CaptureLoop(core: client.core, source: source, scheduler: scheduler,
                               clockMs: { clock.ms }, uptime: { 0 })
        loop.start()
        // Paced like a real capture rate: each frame is encoded before the next tick. Back to
        // back, twelve ticks would fill the encoder's queue and the core would rightly skip.
        func settle() throws {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let t = try client.telemetry()
                if t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped >= t.framesOffered { return }
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
        for s in screens {
            try settle()
            source.screen = s
            clock.advance(1_000)
            let before = loop.captures
            loop.tick()
            // What was submitted when, for verify_stored to match stored frames by time.
            if loop.captures > before {
                try Manifest.frame(env, session: sessionId, ts: clock.ms, screen: s)
            }
        }
        client.logEvent("checkout", properties: ["amount": 12.5, "items": 3, "express": true, "coupon": nil])
        client.screenChanged("Receipt")
        loop.stop()
        try client.stop()
        XCTAssertTrue(try client.flush(timeout: 30))
        let t = try client.telemetry()
        try Manifest.session(env, session: sessionId, start: start, captured: t.framesCaptured)

        XCTAssertEqual(loop.errors, 0)
        XCTAssertEqual(loop.captures, 12)
        XCTAssertEqual(scheduler.delays.first, 0, "the first tick runs at once")
        XCTAssertTrue(scheduler.delays.dropFirst().allSatisfy { $0 >= 0.016 && $0 <= 60 }, "\(scheduler.delays)")
        XCTAssertEqual(t.framesCaptured, 11, "chat-120 and chat-240 show the same pixels: \(t.json)")
        XCTAssertEqual(t.framesSkippedUnchanged, 1)
        let privateNodes = screens.map(\.privateCount).reduce(0, +)
        XCTAssertGreaterThanOrEqual(t.maskedRegions, UInt64(privateNodes / 2), "inputs and cameras masked")
        // Every screen is a new set of view objects (new ids), so each gets a snapshot.
        XCTAssertEqual(t.hierarchySnapshots, 12)
        XCTAssertEqual(t.eventsRecorded, 2)
        XCTAssertEqual(client.droppedEvents, 0)

        let session = env.data.appendingPathComponent(sessionId)
        XCTAssertEqual(files(session.appendingPathComponent("screenshots"), ext: "gz").count, 4, "11 frames, 3 per bundle")
        XCTAssertEqual(files(session.appendingPathComponent("hierarchy"), ext: "gz").count, 12)
        XCTAssertEqual(files(session.appendingPathComponent("events"), ext: "gz").count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: session.appendingPathComponent("session-end.json").path))

        // Each class name crossed once, in the first frame showing it, all in one table; every
        // snapshot still names each node's class (the strings resolved by index in the core).
        var seen = Set<String>()
        let firstSeen = screens.map { s in preorder(s.root).filter { seen.insert($0).inserted } }
        XCTAssertEqual(source.sent.map(\.added), firstSeen)
        XCTAssertEqual(source.sent.map(\.base), firstSeen.indices.map { i in UInt32(firstSeen[..<i].reduce(0) { $0 + $1.count }) })
        XCTAssertEqual(Set(source.sent.map(\.table)).count, 1, "one table for the session")
        XCTAssertTrue(source.sent[1].added.isEmpty, "chat-120: the classes of chat-000")
        let stored = try storedSession(env, sessionId)
        let snapshots = try XCTUnwrap(stored["hierarchy"] as? [[String: Any]])
        XCTAssertEqual(snapshots.map { preorder(snapshot: $0["root"] as? [String: Any] ?? [:]) },
                       screens.map { preorder($0.root) })
        client.shutdown()
    }

    /// A walk cut by its budget is never sent as pixels: the core drops it and counts why.
    func testTruncatedWalkFailsClosed() throws {
        let env = try TestEnv.load()
        let screen = try XCTUnwrap(Screen.loadAll(env.corpus).first)
        let clock = Clock(1_700_000_000_000)
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, maxNodesPerCapture: 5,
                                      remoteConfig: true),
            storageDirectory: tempDir("partial"), deviceId: "swift-test-device", clockMs: { clock.ms })
        try client.start()
        XCTAssertTrue(client.waitRemoteConfig(timeout: 5), "remote config answered")
        // The core hands the loop a budget of 5 nodes with its decision.
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        let loop = CaptureLoop(core: client.core, source: source, scheduler: ManualScheduler(),
                               clockMs: { clock.ms })
        loop.start()
        source.screen = screen
        clock.advance(1_000)
        loop.tick()
        XCTAssertEqual(loop.partialFrames, 1)
        XCTAssertEqual(loop.captures, 0)
        try client.stop()
        XCTAssertTrue(try client.flush(timeout: 30))
        let t = try client.telemetry()
        XCTAssertEqual(t.framesCaptured, 0)
        XCTAssertEqual(t.framesDropped, 1)
        XCTAssertTrue(t.json.contains("tree_truncated"), t.json)
        client.shutdown()
    }
}

final class FailClosedTests: XCTestCase {
    func testEmptyTreeIsRefusedAndAnInvisibleRootCapturesNothing() throws {
        let env = try TestEnv.load()
        let screen = try XCTUnwrap(Screen.loadAll(env.corpus).first)
        let clock = Clock(1_700_000_000_000)
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: true),
            storageDirectory: tempDir("empty"), deviceId: "swift-test-device", clockMs: { clock.ms })
        try client.start()
        XCTAssertTrue(client.waitRemoteConfig(timeout: 5), "remote config answered")
        XCTAssertThrowsError(try client.core.submitFrame(
            pixels: screen.rgba, width: screen.width, height: screen.height, stride: screen.width * 4,
            format: .rgba, scale: screen.scale, timestampMs: clock.ms, tree: NodeTree(nodes: [], strings: NodeStrings(table: 1, base: 0, digest: NodeStringTable.digestSeed, added: [])))) { e in
            guard case RejourneyError.InvalidNodes = e else { return XCTFail("\(e)") }
        }
        // The right tree at the wrong scale: every mask would be misplaced, so it is refused.
        let tree = TreeFlattener(registry: client.masks).flatten(screen.root, unlimitedWalk)
        XCTAssertThrowsError(try client.core.submitFrame(
            pixels: screen.rgba, width: screen.width, height: screen.height, stride: screen.width * 4,
            format: .rgba, scale: 1, timestampMs: clock.ms, tree: NodeTree(nodes: tree.nodes, strings: tree.strings))) { e in
            guard case RejourneyError.InvalidNodes = e else { return XCTFail("\(e)") }
        }
        // An invisible root: the walk reports nothing and the loop submits nothing.
        screen.root.isVisible = false
        defer { screen.root.isVisible = true }
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        let loop = CaptureLoop(core: client.core, source: source, scheduler: ManualScheduler(),
                               clockMs: { clock.ms })
        loop.start()
        source.screen = screen
        clock.advance(1_000)
        loop.tick()
        XCTAssertEqual(loop.emptyWalks, 1)
        XCTAssertEqual(loop.captures, 0)
        XCTAssertEqual(loop.errors, 0)
        let t = try client.telemetry()
        XCTAssertEqual(t.framesCaptured, 0)
        XCTAssertTrue(t.json.contains("\"tree_empty\":1"), t.json)
        XCTAssertTrue(t.json.contains("\"tree_mismatch\":1"), t.json)
        client.shutdown()
    }
}

/// Mid-animation, `drawHierarchy` draws the last display frame while the walk reads where
/// views are now: the walk reports each view's own animation and the core skips a frame whose
/// masked views are moving.
final class AnimationTests: XCTestCase {
    func testTheWalkReportsEachViewsOwnAnimation() {
        let root = FakeView("Window", .container, w: 100, h: 100)
        let sheet = FakeView("Sheet", .container, w: 100, h: 50)
        let field = FakeView("UITextField", .textInput, w: 80, h: 20)
        sheet.children = [field]
        root.children = [sheet]
        sheet.isAnimating = true
        let walked = TreeFlattener(registry: MaskRegistry()).flatten(root, unlimitedWalk)
        XCTAssertEqual(walked.nodes.map(\.animating), [false, true, false])
        XCTAssertFalse(walked.truncated)
    }

    func testOnlyGeometryNeutralLayerAnimationsAreIgnored() {
        XCTAssertFalse(LayerAnimations.moveGeometry([]))
        XCTAssertFalse(LayerAnimations.moveGeometry(["opacity", "backgroundColor"]))
        XCTAssertTrue(LayerAnimations.moveGeometry(["position"]))
        XCTAssertTrue(LayerAnimations.moveGeometry(["opacity", "bounds.size"]))
        XCTAssertTrue(LayerAnimations.moveGeometry(["transform"]))
        XCTAssertTrue(LayerAnimations.moveGeometry(["myCustomSlide"]), "unknown keys fail closed")
    }

    func testTheCoreDropsFramesWhileAMaskedViewMoves() throws {
        let env = try TestEnv.load()
        let screen = try XCTUnwrap(Screen.loadAll(env.corpus).first { $0.privateCount > 0 })
        let clock = Clock(1_700_000_000_000)
        // No server: the frame captured once the view settles is not a corpus submission, and
        // there is no remote config to ask for.
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: "http://127.0.0.1:9", anrThreshold: 0, remoteConfig: false),
            storageDirectory: tempDir("animating"), deviceId: "swift-test-device", clockMs: { clock.ms })
        try client.start()
        // The whole document is sliding (e.g. a sheet presented over it).
        let document = try XCTUnwrap(screen.root.children.first)
        document.isAnimating = true
        defer { document.isAnimating = false }
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        let scheduler = ManualScheduler()
        let loop = CaptureLoop(core: client.core, source: source, scheduler: scheduler,
                               clockMs: { clock.ms }, uptime: { 0 })
        loop.start()
        source.screen = screen
        clock.advance(1_000)
        loop.tick()
        XCTAssertEqual(loop.errors, 0)
        var t = try client.telemetry()
        XCTAssertEqual(t.framesDropped, 1, "offered, and dropped by reason")
        XCTAssertTrue(t.json.contains("\"mask_moving\":1"), t.json)
        // Settled: the next due tick's frame goes on to the encoder.
        document.isAnimating = false
        clock.advance(1_000)
        scheduler.pending?()
        t = try client.telemetry()
        XCTAssertEqual(t.framesOffered, 2)
        XCTAssertEqual(t.framesDropped, 1)
        loop.stop()
        client.shutdown(drain: 0)
    }
}

final class ErrorTests: XCTestCase {
    private func client(_ options: RejourneyOptions) throws -> RejourneyClient {
        try RejourneyClient(options: options, storageDirectory: tempDir("errors"), deviceId: "d")
    }

    func testBadOptionsAreSwiftErrors() {
        XCTAssertThrowsError(try client(RejourneyOptions(apiKey: "k", apiUrl: "not a url"))) { e in
            guard case RejourneyError.InvalidUrl = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try client(RejourneyOptions(apiKey: "k", apiUrl: "ftp://x.example"))) { e in
            guard case RejourneyError.InvalidUrl = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try client(RejourneyOptions(apiKey: "k", jpegQuality: 2))) { e in
            guard case RejourneyError.InvalidConfig = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try client(RejourneyOptions(apiKey: "k", captureInterval: .nan))) { e in
            XCTAssertEqual(e as? RejourneySDKError,
                           .invalidOption("captureInterval must be a finite, non-negative number of seconds"))
        }
        XCTAssertThrowsError(try client(RejourneyOptions(apiKey: "k", captureScale: .infinity))) { e in
            guard case RejourneyError.InvalidConfig = e else { return XCTFail("\(e)") }
        }
    }

    func testBadInputIsRejectedWithoutCrashing() throws {
        let env = try TestEnv.load()
        let c = try client(RejourneyOptions(apiKey: "k", apiUrl: env.url, anrThreshold: 0))
        let node = ViewNode(parent: nil, classIndex: 0, x: 0, y: 0, width: 10, height: 10,
                            kind: .container, tag: .none, viewId: nil, testIdIndex: nil, textLength: nil)
        // A new table for each call: the core takes a call's strings before it looks at the frame.
        var table: UInt64 = 0
        func strings() -> NodeStrings {
            table += 1
            return NodeStrings(table: table, base: 0, digest: NodeStringTable.digestSeed, added: ["UIView"])
        }
        XCTAssertThrowsError(try c.core.submitFrame(pixels: Data(count: 16), width: 2, height: 2, stride: 8,
                                                    format: .rgba, scale: 1, timestampMs: 1, tree: NodeTree(nodes: [node], strings: strings()))) { e in
            guard case RejourneyError.NotStarted = e else { return XCTFail("\(e)") }
        }
        try c.start()
        XCTAssertThrowsError(try c.core.submitFrame(pixels: Data(count: 15), width: 2, height: 2, stride: 8,
                                                    format: .rgba, scale: 1, timestampMs: 1, tree: NodeTree(nodes: [node], strings: strings()))) { e in
            guard case RejourneyError.InvalidFrame = e else { return XCTFail("\(e)") }
        }
        // A table the core has not seen must start at index 0.
        XCTAssertThrowsError(try c.core.submitFrame(pixels: Data(count: 16), width: 2, height: 2, stride: 8,
                                                    format: .rgba, scale: 1, timestampMs: 1, tree: NodeTree(nodes: [node], strings: NodeStrings(table: 9_999, base: 3, digest: NodeStringTable.digestSeed, added: ["UIView"])))) { e in
            guard case RejourneyError.StringTable = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try c.core.submitFrame(pixels: Data(), width: 0, height: 0, stride: 0,
                                                    format: .bgra, scale: 1, timestampMs: 1, tree: NodeTree(nodes: [], strings: strings()))) { e in
            guard case RejourneyError.InvalidFrame = e else { return XCTFail("\(e)") }
        }
        let nan = MaskRect(x: .nan, y: 0, width: 5, height: 5)
        XCTAssertThrowsError(try c.core.submitFrameWithMasks(pixels: Data(count: 16), width: 2, height: 2, stride: 8,
                                                             format: .rgba, scale: 1, timestampMs: 1, masks: [nan])) { e in
            guard case RejourneyError.InvalidMask = e else { return XCTFail("\(e)") }
        }
        var orphan = node
        orphan.parent = 7
        XCTAssertThrowsError(try c.core.submitFrame(pixels: Data(count: 16), width: 2, height: 2, stride: 8,
                                                    format: .rgba, scale: 1, timestampMs: 1, tree: NodeTree(nodes: [node, orphan], strings: strings()))) { e in
            guard case RejourneyError.InvalidNodes = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try c.core.reportCaptureCost(ms: -.infinity))
        // Events never throw into the app: refused ones are counted.
        c.logEvent("   ")
        XCTAssertEqual(c.droppedEvents, 1)
        c.shutdown(drain: 0)
        XCTAssertThrowsError(try c.start()) { e in
            guard case RejourneyError.Closed = e else { return XCTFail("\(e)") }
        }
        XCTAssertNoThrow(try c.telemetry(), "telemetry stays readable after shutdown")
    }
}

final class CallbackTests: XCTestCase {
    func testSessionCallbacksSeeStartAndEnd() throws {
        let env = try TestEnv.load()
        let c = try RejourneyClient(options: RejourneyOptions(apiKey: "k", apiUrl: env.url, anrThreshold: 0),
                                    storageDirectory: tempDir("callbacks"), deviceId: "d")
        let started = expectation(description: "started")
        let ended = expectation(description: "ended")
        let lock = NSLock()
        var seen: [String] = []
        try c.setCallbacks(SessionCallbacks(
            onStarted: { id in lock.lock(); seen.append("start \(id)"); lock.unlock(); started.fulfill() },
            onEnded: { id, reason in lock.lock(); seen.append("end \(id) \(reason)"); lock.unlock(); ended.fulfill() }))
        let id = try c.start()
        try c.stop()
        wait(for: [started, ended], timeout: 10)
        lock.lock()
        XCTAssertEqual(seen.first, "start \(id)")
        XCTAssertEqual(seen.count, 2)
        XCTAssertTrue(seen.last?.hasPrefix("end \(id) ") == true, "\(seen)")
        lock.unlock()
        c.shutdown(drain: 0)
    }
}

final class ConcurrencyTests: XCTestCase {
    /// Many threads at once on one client: no crash, no lost or duplicated counts.
    func testConcurrentCallersShareOneClient() throws {
        let env = try TestEnv.load()
        let c = try RejourneyClient(options: RejourneyOptions(apiKey: "k", apiUrl: env.url, anrThreshold: 0),
                                    storageDirectory: tempDir("concurrent"), deviceId: "d")
        let session = try c.start()
        // Its 64 × 64 grey frames reach the ingest server: not corpus screens.
        try Manifest.synthetic(env, session: session)
        let threads = 8, perThread = 50
        let px = Data(repeating: 90, count: 64 * 64 * 4)
        DispatchQueue.concurrentPerform(iterations: threads) { i in
            for j in 0..<perThread {
                c.logEvent("e\(i)", properties: ["j": j])
                _ = try? c.telemetry()
                if j % 10 == 0 {
                    _ = try? c.core.submitFrameWithMasks(pixels: px, width: 64, height: 64, stride: 256, format: .rgba,
                                                         scale: 1, timestampMs: c.now, masks: [])
                }
                try? c.core.heartbeat()
            }
        }
        XCTAssertTrue(try c.flush(timeout: 30))
        let t = try c.telemetry()
        XCTAssertEqual(t.eventsRecorded, UInt64(threads * perThread))
        XCTAssertEqual(t.eventsDropped, 0)
        XCTAssertEqual(c.droppedEvents, 0)
        XCTAssertEqual(t.framesOffered, UInt64(threads * perThread / 10))
        c.shutdown(drain: 0)
    }
}

final class WrapperTests: XCTestCase {
    func testMaskRegistryHoldsInstancesWeakly() {
        let r = MaskRegistry()
        let a = FakeView("UIView", .container), b = FakeView("MyApp.CardView", .container)
        XCTAssertEqual(r.tag(for: a), .none)
        r.mask(a)
        r.unmask(b)
        XCTAssertEqual(r.tag(for: a), .mask)
        XCTAssertEqual(r.tag(for: b), .unmask)
        r.clear(b)
        XCTAssertEqual(r.tag(for: b), .none)
        weak var gone: FakeView?
        do {
            let v = FakeView("UIView", .container)
            gone = v
            r.mask(v)
        }
        XCTAssertNil(gone, "the registry does not keep views alive")
    }

    func testFlattenerIsPreOrderSkipsHiddenAndHonoursBudgets() {
        let root = FakeView("Root", .container)
        let a = FakeView("A", .container), a1 = FakeView("A1", .textInput), b = FakeView("B", .text)
        let hidden = FakeView("Hidden", .container)
        hidden.isVisible = false
        hidden.children = [FakeView("Inside", .text)]
        a.children = [a1]
        root.children = [a, hidden, b]
        let reg = MaskRegistry()
        reg.mask(b)
        let r = TreeFlattener(registry: reg).flatten(root, unlimitedWalk)
        XCTAssertFalse(r.truncated)
        XCTAssertEqual(r.nodes.map { r.strings.added[Int($0.classIndex)] }, ["Root", "A", "A1", "B"])
        XCTAssertEqual(r.nodes.map(\.parent), [nil, 0, 1, 0])
        XCTAssertEqual(r.nodes.map(\.tag), [.none, .none, .none, .mask])
        XCTAssertEqual(Set(r.nodes.compactMap(\.viewId)).count, 4, "stable per-view ids")

        let cut = TreeFlattener(registry: reg).flatten(root, CaptureRequest(maxNodes: 2, maxSeconds: 60))
        XCTAssertTrue(cut.truncated)
        XCTAssertEqual(cut.nodes.count, 2)

        // A clock that jumps past the deadline: the walk stops at its next check.
        var wide = FakeView("Wide", .container)
        wide.children = (0..<500).map { FakeView("C\($0)", .text) }
        var t = 0.0
        let slow = TreeFlattener(registry: reg, now: { t += 0.005; return t })
        let timed = slow.flatten(wide, CaptureRequest(maxNodes: 10_000, maxSeconds: 0.008))
        XCTAssertTrue(timed.truncated)
        XCTAssertLessThan(timed.nodes.count, 500)
        wide = FakeView("Deep", .container)
        var cur = wide
        for i in 0..<20_000 {
            let n = FakeView("D\(i)", .container)
            cur.children = [n]
            cur = n
        }
        XCTAssertEqual(TreeFlattener(registry: reg).flatten(wide, CaptureRequest(maxNodes: 50_000, maxSeconds: 60)).nodes.count, 20_001,
                       "deep trees do not overflow the stack")
    }

    func testOptionsMapToTheCoreRecord() throws {
        let o = RejourneyOptions(apiKey: "pk", apiUrl: "https://api.example", captureInterval: 0.5,
                                 backgroundTimeout: 30, maskAllText: true, maskedClasses: ["X"],
                                 anrThreshold: 2.5, urlDenyList: ["ads.example"])
        var d = DeviceInfo()
        d.model = "iPhone15,2"
        let f = try o.toFFI(deviceId: "dev", storageDir: "/tmp/x", device: d)
        XCTAssertEqual(f.captureIntervalMs, 500)
        XCTAssertEqual(f.backgroundTimeoutMs, 30_000)
        XCTAssertEqual(f.anrThresholdMs, 2_500)
        XCTAssertEqual(f.maskAllText, true)
        XCTAssertNil(f.jpegQuality, "unset: the core's default")
        XCTAssertNil(f.batchSize)
        XCTAssertEqual(f.maskedClasses, ["X"])
        XCTAssertEqual(f.urlDenyList, ["ads.example"])
        XCTAssertEqual(f.deviceModel, "iPhone15,2")
        XCTAssertEqual(f.platform, "ios")
        XCTAssertNil(f.remoteConfig, "unset: the core's default")
        XCTAssertNil(f.onErrorSampleRate)
        let b = try RejourneyOptions(apiKey: "pk", sessionSampleRate: 0.2, onErrorSampleRate: 1, bufferWindow: 15,
                                     bufferMaxBytes: 1_048_576, bufferCaptureInterval: 2, remoteConfig: false,
                                     remoteConfigHold: 0.5, maskTextInputs: false)
            .toFFI(deviceId: "dev", storageDir: "/tmp/x")
        XCTAssertEqual(b.sessionSampleRate, 0.2)
        XCTAssertEqual(b.onErrorSampleRate, 1)
        XCTAssertEqual(b.bufferWindowMs, 15_000)
        XCTAssertEqual(b.bufferMaxBytes, 1_048_576)
        XCTAssertEqual(b.bufferCaptureIntervalMs, 2_000)
        XCTAssertEqual(b.remoteConfig, false)
        XCTAssertEqual(b.remoteConfigHoldMs, 500)
        XCTAssertEqual(b.maskTextInputs, false)
        XCTAssertThrowsError(try RejourneyOptions(apiKey: "k", bufferWindow: -1).toFFI(deviceId: "d", storageDir: "/tmp"))
        XCTAssertThrowsError(try RejourneyOptions(apiKey: "k", bufferCaptureInterval: .nan).toFFI(deviceId: "d", storageDir: "/tmp"))
        XCTAssertThrowsError(try RejourneyOptions(apiKey: "k", remoteConfigHold: .infinity).toFFI(deviceId: "d", storageDir: "/tmp"))
        XCTAssertThrowsError(try RejourneyOptions(apiKey: "k", anrThreshold: -1).toFFI(deviceId: "d", storageDir: "/tmp"))
        XCTAssertThrowsError(try RejourneyOptions(apiKey: "k", maxNodesPerCapture: -1).toFFI(deviceId: "d", storageDir: "/tmp"))
    }

    func testErrorsDescribeThemselves() {
        let swift = RejourneyClient.describe(CheckoutError.cartEmpty(items: 0))
        XCTAssertEqual(swift.name, "RejourneySDKTests.CheckoutError")
        XCTAssertEqual(swift.message, "cartEmpty(items: 0)")
        let ns = RejourneyClient.describe(NSError(domain: "NSURLErrorDomain", code: -1001,
                                                  userInfo: [NSLocalizedDescriptionKey: "The request timed out."]))
        XCTAssertEqual(ns.name, "NSURLErrorDomain -1001")
        XCTAssertEqual(ns.message, "The request timed out.")
    }

    func testEventValuesConvertFromSwiftTypes() {
        XCTAssertEqual(RejourneyClient.eventValue("a"), .text(value: "a"))
        XCTAssertEqual(RejourneyClient.eventValue(true), .flag(value: true))
        XCTAssertEqual(RejourneyClient.eventValue(3), .number(value: 3))
        XCTAssertEqual(RejourneyClient.eventValue(2.5), .number(value: 2.5))
        XCTAssertEqual(RejourneyClient.eventValue(nil), .null)
        XCTAssertEqual(RejourneyClient.eventValue(NSNull()), .null)
        XCTAssertEqual(RejourneyClient.eventValue([1, 2]), .text(value: "[1, 2]"))
    }
}

/// A wrapper rebuilt on every walk, like the UIKit adapter's `UIViewNode`.
private final class Wrapper: ViewLike {
    let target: FakeView
    init(_ target: FakeView) { self.target = target }
    var identity: AnyObject { target }
    var className: String { target.className }
    var windowFrame: (x: Float, y: Float, width: Float, height: Float) { target.windowFrame }
    var kind: NodeKind { target.kind }
    var accessibilityIdentifier: String? { nil }
    var isVisible: Bool { true }
    var textLength: UInt32? { nil }
    var childViews: [ViewLike] { target.children.map(Wrapper.init) }
}

final class IdentityTests: XCTestCase {
    /// `view.rejourneyMask()` registers the platform view; the walk sees fresh wrappers each
    /// time. Tags and ids must follow the view, not the wrapper.
    func testRegistrationsAndIdsFollowTheViewBehindAWrapper() {
        let root = FakeView("Root", .container), card = FakeView("Card", .container)
        root.children = [card]
        let reg = MaskRegistry()
        reg.mask(card)
        let flattener = TreeFlattener(registry: reg)
        let first = flattener.flatten(Wrapper(root), unlimitedWalk).nodes
        let second = flattener.flatten(Wrapper(root), unlimitedWalk).nodes
        XCTAssertEqual(first.map(\.tag), [.none, .mask])
        XCTAssertEqual(first.map(\.viewId), second.map(\.viewId), "ids are stable across walks")
    }
}

/// A Swift error of the app's own.
enum CheckoutError: Error {
    case cartEmpty(items: Int)
}

final class BufferTests: XCTestCase {
    /// Never sampled in, always buffered (`sessionSampleRate` 0, `onErrorSampleRate` 1): the
    /// server sees nothing of the session until an error, then the buffered window and
    /// everything recorded after it. Its frames are corpus screens, checked for masks by
    /// `verify_stored` like the recorded ones.
    func testABufferedSessionUploadsNothingUntilAnErrorThenItsWindowAndTheRest() throws {
        let env = try TestEnv.load()
        let all = try Screen.loadAll(env.corpus)
        let screens = ["login-000", "shop-000", "article-000", "settings-000", "dashboard-000", "chat-000"]
            .compactMap { id in all.first { $0.id == id } }
        XCTAssertEqual(screens.count, 6)
        let clock = Clock(1_700_000_000_000)
        // No ANR watchdog: a slow machine must not trigger the buffer by itself.
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, sessionSampleRate: 0,
                                      onErrorSampleRate: 1, remoteConfig: true),
            storageDirectory: tempDir("buffer"), deviceId: "swift-test-device", clockMs: { clock.ms })
        let start = clock.ms
        let sessionId = try client.start()
        XCTAssertTrue(client.waitRemoteConfig(timeout: 5), "remote config answered")
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        let loop = CaptureLoop(core: client.core, source: source, scheduler: ManualScheduler(),
                               clockMs: { clock.ms }, uptime: { 0 })
        loop.start()
        func capture(_ s: Screen) throws {
            // Paced like a real capture rate: the last frame encoded before the next tick.
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let t = try client.telemetry()
                if t.framesCaptured + t.framesSkippedUnchanged + t.framesDropped >= t.framesOffered { break }
                Thread.sleep(forTimeInterval: 0.002)
            }
            source.screen = s
            clock.advance(1_000)
            let before = loop.captures
            loop.tick()
            if loop.captures > before {
                try Manifest.frame(env, session: sessionId, ts: clock.ms, screen: s)
            }
        }
        for s in screens.prefix(4) { try capture(s) }
        XCTAssertEqual(loop.captures, 4)
        XCTAssertEqual(try client.telemetry().sessionMode, "buffer")
        // Everything sealed, on disk and delivered that may be delivered: the frames wait in the
        // buffer and the server has seen nothing of this session.
        XCTAssertTrue(try client.flush(timeout: 30))
        let buffered = try client.telemetry()
        XCTAssertGreaterThan(buffered.bufferFiles, 0, buffered.json)
        XCTAssertEqual(buffered.bufferTriggers, 0)
        let session = env.data.appendingPathComponent(sessionId)
        XCTAssertFalse(FileManager.default.fileExists(atPath: session.path), "nothing of the session on the server")

        // A handled error: the buffer is uploaded and the session records from now on.
        XCTAssertTrue(client.captureError(CheckoutError.cartEmpty(items: 0)), "the buffer was flushed")
        XCTAssertEqual(try client.telemetry().sessionMode, "record")
        XCTAssertFalse(client.flushBuffer(reason: "again"), "no longer buffering")
        for s in screens.suffix(2) { try capture(s) }
        loop.stop()
        try client.stop()
        XCTAssertTrue(try client.flush(timeout: 30))
        let t = try client.telemetry()
        try Manifest.session(env, session: sessionId, start: start, captured: t.framesCaptured)
        XCTAssertEqual(loop.errors, 0)
        XCTAssertEqual(loop.captures, 6)
        XCTAssertEqual(t.framesCaptured, 6, t.json)
        XCTAssertEqual(t.bufferTriggers, 1)
        XCTAssertEqual(t.bufferFiles, 0)
        XCTAssertEqual(client.droppedEvents, 0)
        XCTAssertEqual(files(session.appendingPathComponent("screenshots"), ext: "gz").count, Int(t.bundles),
                       "the buffered bundles and the later ones stored: \(t.json)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: session.appendingPathComponent("session-end.json").path))
        client.shutdown()
    }

    /// Not started, or recorded: nothing to flush, nothing thrown into the app.
    func testCaptureErrorAndFlushBufferNeverThrow() throws {
        let c = try RejourneyClient(options: RejourneyOptions(apiKey: "k", apiUrl: "http://127.0.0.1:9", remoteConfig: false),
                                    storageDirectory: tempDir("capture-error"), deviceId: "d")
        XCTAssertFalse(c.captureError(name: "E", message: "before start"))
        XCTAssertEqual(c.droppedEvents, 1, "refused: counted")
        XCTAssertFalse(c.flushBuffer())
        try c.start()
        XCTAssertFalse(c.captureError(CheckoutError.cartEmpty(items: 2)), "recorded: no buffer to upload")
        XCTAssertEqual(c.droppedEvents, 1)
        XCTAssertEqual(try c.telemetry().sessionMode, "record")
        XCTAssertNil(try c.telemetry().remoteConfigStatus, "remote config off")
        XCTAssertTrue(c.waitRemoteConfig(timeout: 0), "off: nothing to wait for")
        c.shutdown(drain: 0)
    }
}
