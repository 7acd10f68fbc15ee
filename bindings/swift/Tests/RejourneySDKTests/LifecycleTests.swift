import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// `Rejourney.start` / `stop` through the real core: the mask registry outlives clients, and
/// neither call waits for a drain, with nothing recorded lost across a restart.
final class LifecycleTests: XCTestCase {
    override func tearDown() {
        Rejourney.stop(drain: 0)
        XCTAssertTrue(Rejourney.lifecycle.waitIdle(timeout: 30))
        super.tearDown()
    }

    private func startAndWait(_ options: RejourneySDK.RejourneyOptions, _ dir: URL,
                              file: StaticString = #filePath, line: UInt = #line) throws -> RejourneyClient {
        let opened = expectation(description: "opened")
        final class Box: @unchecked Sendable { var client: RejourneyClient? }
        let box = Box()
        try Rejourney.start(options, storageDirectory: dir) { c in
            box.client = c
            opened.fulfill()
        }
        wait(for: [opened], timeout: 30)
        return try XCTUnwrap(box.client, "the client opened", file: file, line: line)
    }

    /// A view masked before `start` (through the same call `view.rejourneyMask()` makes) is
    /// masked by the first client's walk and by every client after a restart.
    func testMasksSetBeforeStartAndAcrossRestartsApply() throws {
        let env = try TestEnv.load()
        let root = FakeView("UIWindow", .container, w: 390, h: 844)
        let consent = FakeView("MyApp.ConsentCard", .container, y: 100, w: 390, h: 200)
        let name = FakeView("UILabel", .text, y: 120, w: 200, h: 20)
        consent.children = [name]
        root.children = [consent]
        Rejourney.mask(consent)

        let options = RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: false)
        let dir = tempDir("masks-restart")
        func masked(_ c: RejourneyClient) throws -> [String] {
            let walk = TreeFlattener(registry: c.masks).flatten(root, unlimitedWalk)
            let eval = try evaluateMasks(nodes: walk.nodes, strings: walk.strings.added,
                                         options: options.toFFI(deviceId: "d", storageDir: dir.path))
            return zip(walk.nodes, eval.masked).filter(\.1).map { walk.strings.added[Int($0.0.classIndex)] }
        }
        let first = try startAndWait(options, dir)
        XCTAssertTrue(first.masks === Rejourney.maskRegistry)
        XCTAssertEqual(try masked(first), ["MyApp.ConsentCard", "UILabel"], "masked before start")
        Rejourney.stop()
        let second = try startAndWait(options, dir)
        XCTAssertFalse(first === second)
        XCTAssertEqual(try masked(second), ["MyApp.ConsentCard", "UILabel"], "masked across a restart")
        Rejourney.unmask(name)
        XCTAssertEqual(MaskRegistry.shared.tag(for: name), .unmask)
        MaskRegistry.shared.clear(consent)
        MaskRegistry.shared.clear(name)
    }

    /// `stop` and a re-`start` return while the previous client still drains against a
    /// backend that never answers (its drain takes its whole 2 s deadline), and what that
    /// client recorded but could not deliver is delivered by the next one, which also records
    /// what was logged while it opened.
    func testStopAndRestartReturnAtOnceWhileTheDrainRunsAndNothingIsLost() throws {
        let env = try TestEnv.load()
        let stall = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_STALL_URL"], "RJ_STALL_URL not set")
        let dir = tempDir("restart-drain")
        let first = try startAndWait(RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: stall, anrThreshold: 0,
                                                                   remoteConfig: false), dir)
        let firstSession = try XCTUnwrap(first.sessionId)
        Rejourney.logEvent("before_stop")
        Rejourney.screenChanged("Checkout")

        var t0 = Date()
        Rejourney.stop(drain: 2)
        // A bound with a wide margin, not a speed claim: the drain alone lasts 2 s.
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1, "stop returned before the drain")
        XCTAssertEqual(Rejourney.lifecycle.retiring, 1, "the previous client still drains")
        XCTAssertNil(Rejourney.shared)

        t0 = Date()
        let opened = expectation(description: "second client opened")
        final class Box: @unchecked Sendable { var client: RejourneyClient? }
        let box = Box()
        try Rejourney.start(RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0,
                                                          remoteConfig: false), storageDirectory: dir) { c in
            box.client = c
            opened.fulfill()
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1, "start did not wait for the previous drain")
        XCTAssertEqual(Rejourney.lifecycle.retiring, 1, "the previous client is still draining")
        Rejourney.logEvent("while_opening")
        wait(for: [opened], timeout: 30)
        let second = try XCTUnwrap(box.client)
        XCTAssertEqual(Rejourney.lifecycle.retiring, 0)
        Rejourney.logEvent("after_open")
        let secondSession = try XCTUnwrap(second.sessionId)
        try Manifest.synthetic(env, session: firstSession)
        try Manifest.synthetic(env, session: secondSession)
        try second.stop()
        XCTAssertTrue(try second.flush(timeout: 30), "everything, the first client's spool too, delivered")

        func events(_ id: String) throws -> String {
            let s = try storedSession(env, id)
            let data = try JSONSerialization.data(withJSONObject: s["events"] ?? [])
            return String(decoding: data, as: UTF8.self)
        }
        let a = try events(firstSession)
        XCTAssertTrue(a.contains("before_stop"), a)
        XCTAssertTrue(a.contains("Checkout"), a)
        XCTAssertTrue(FileManager.default.fileExists(
            atPath: env.data.appendingPathComponent(firstSession).appendingPathComponent("session-end.json").path),
            "the first session's end, spooled by the drained client, delivered by the next")
        let b = try events(secondSession)
        XCTAssertTrue(b.contains("while_opening"), b)
        XCTAssertTrue(b.contains("after_open"), b)
        XCTAssertEqual(Rejourney.droppedCalls, 0)
    }

    /// Calls made while a client opens are replayed in order before any later call; past the
    /// limit they are dropped and counted; a stop before the open still records them, then
    /// retires the client.
    func testCallsWhileOpeningAreReplayedInOrderBoundedAndKeptByAStop() throws {
        let env = try TestEnv.load()
        let gate = DispatchSemaphore(value: 0)
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var items: [Int] = []
            func add(_ i: Int) { lock.lock(); items.append(i); lock.unlock() }
        }
        let log = Log()
        let lifecycle = ClientLifecycle(pendingLimit: 2)
        let dir = tempDir("opening")
        let started = expectation(description: "started")
        lifecycle.start(drain: 0, open: {
            gate.wait()
            let c = try RejourneyClient(options: RejourneySDK.RejourneyOptions(apiKey: "k", apiUrl: env.url, anrThreshold: 0,
                                                                                 remoteConfig: false),
                                        storageDirectory: dir, deviceId: "d")
            try c.start()
            return c
        }, started: { c in
            XCTAssertNotNil(c)
            started.fulfill()
        })
        lifecycle.perform { c in log.add(1); c.logEvent("one") }
        lifecycle.perform { c in log.add(2); c.logEvent("two") }
        lifecycle.perform { _ in log.add(3) }
        XCTAssertEqual(lifecycle.droppedCalls, 1, "the third call is over the limit")
        XCTAssertNil(lifecycle.current)
        gate.signal()
        wait(for: [started], timeout: 30)
        lifecycle.perform { c in log.add(4); c.logEvent("four") }
        XCTAssertEqual(log.items, [1, 2, 4])
        let c = try XCTUnwrap(lifecycle.current)
        XCTAssertEqual(try c.telemetry().eventsRecorded, 3)
        XCTAssertEqual(try c.telemetry().wrapperCallsDropped, 1, "the drop is in the opened client's telemetry")
        XCTAssertTrue(try c.telemetry().json.contains("\"pending_calls\":1"))

        // Stopped before it opened: the call made meanwhile is recorded, then it is retired.
        let second = tempDir("opening-stopped")
        let done = expectation(description: "stopped before open")
        final class Box: @unchecked Sendable { var client: RejourneyClient? }
        let box = Box()
        lifecycle.start(drain: 0, open: {
            gate.wait()
            let c = try RejourneyClient(options: RejourneySDK.RejourneyOptions(apiKey: "k", apiUrl: env.url, anrThreshold: 0,
                                                                                 remoteConfig: false),
                                        storageDirectory: second, deviceId: "d")
            try c.start()
            box.client = c
            return c
        }, started: { c in
            XCTAssertNil(c, "stopped before it opened: never current")
            done.fulfill()
        })
        lifecycle.perform { c in c.logEvent("kept") }
        lifecycle.stop(drain: 0)
        gate.signal()
        wait(for: [done], timeout: 30)
        XCTAssertNil(lifecycle.current)
        XCTAssertEqual(lifecycle.retiring, 0)
        let retired = try XCTUnwrap(box.client)
        XCTAssertEqual(try retired.telemetry().eventsRecorded, 1, "the call made before stop was recorded")
        lifecycle.perform { _ in XCTFail("no client after stop") }
        XCTAssertEqual(lifecycle.droppedCalls, 1, "calls while stopped are not recorded, not counted as drops")
        XCTAssertTrue(c.masks === MaskRegistry.shared)
    }

    /// `pendingCallLimit` is an option whose default the core holds; `start` applies it to the
    /// calls kept while its client opens, and refuses one past the core's maximum at once.
    func testThePendingCallLimitIsTheOptionsOrTheCoresDefault() throws {
        let env = try TestEnv.load()
        let dir = tempDir("pending-limit")
        func options(_ limit: Int?) -> RejourneySDK.RejourneyOptions {
            RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: false,
                                          pendingCallLimit: limit)
        }
        _ = try startAndWait(options(7), dir)
        XCTAssertEqual(Rejourney.lifecycle.pendingLimit, 7)
        _ = try startAndWait(options(nil), dir)
        XCTAssertEqual(Rejourney.lifecycle.pendingLimit, 1_000, "the core's default")
        XCTAssertThrowsError(try Rejourney.start(options(100_001), storageDirectory: dir))
        XCTAssertThrowsError(try Rejourney.start(options(-1), storageDirectory: dir))
        XCTAssertEqual(Rejourney.lifecycle.pendingLimit, 1_000, "a refused start changes nothing")
    }

    /// Invalid options throw at once, before anything is queued.
    func testInvalidOptionsThrowFromStart() {
        XCTAssertThrowsError(try Rejourney.start(RejourneySDK.RejourneyOptions(apiKey: "pk", sessionSampleRate: 2),
                                                 storageDirectory: tempDir("invalid")))
        XCTAssertThrowsError(try Rejourney.start(RejourneySDK.RejourneyOptions(apiKey: "pk"),
                                                 storageDirectory: tempDir("invalid"), drain: .nan))
        XCTAssertNil(Rejourney.shared)
    }
}

/// The storage directory's place and the one-time move out of `Caches`, on temporary dirs.
final class StorageLocationTests: XCTestCase {
    func testACachesDirectoryMovesOnceToApplicationSupport() throws {
        let base = tempDir("storage")
        let support = base.appendingPathComponent("Library/Application Support")
        let caches = base.appendingPathComponent("Library/Caches")
        let legacy = caches.appendingPathComponent("rejourney")
        try FileManager.default.createDirectory(at: legacy.appendingPathComponent("spool"), withIntermediateDirectories: true)
        try "0a1b2c3d-0000-4000-8000-000000000000".write(to: legacy.appendingPathComponent("device-id"), atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: legacy.appendingPathComponent("spool/1.rjs"))

        let first = try StorageLocation.prepare(applicationSupport: support, caches: caches)
        XCTAssertEqual(first.outcome, .moved)
        XCTAssertEqual(first.directory.standardizedFileURL.path, support.appendingPathComponent("rejourney").standardizedFileURL.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: legacy.path), "moved, not copied")
        XCTAssertEqual(try String(contentsOf: first.directory.appendingPathComponent("device-id"), encoding: .utf8),
                       "0a1b2c3d-0000-4000-8000-000000000000", "the device id survives")
        XCTAssertEqual(try Data(contentsOf: first.directory.appendingPathComponent("spool/1.rjs")), Data([1, 2, 3]))
        XCTAssertEqual(Rejourney.deviceId(in: first.directory), "0a1b2c3d-0000-4000-8000-000000000000")

        let again = try StorageLocation.prepare(applicationSupport: support, caches: caches)
        XCTAssertEqual(again, StorageLocation.Prepared(directory: first.directory, outcome: .fresh), "once")

        // An older SDK ran after the move and made a new Caches directory: left alone.
        try FileManager.default.createDirectory(at: legacy, withIntermediateDirectories: true)
        try Data([9]).write(to: legacy.appendingPathComponent("marker"))
        let both = try StorageLocation.prepare(applicationSupport: support, caches: caches)
        XCTAssertEqual(both.outcome, .legacyLeftInPlace)
        XCTAssertEqual(try Data(contentsOf: legacy.appendingPathComponent("marker")), Data([9]))
        XCTAssertEqual(try Data(contentsOf: both.directory.appendingPathComponent("spool/1.rjs")), Data([1, 2, 3]))
    }

    func testAFreshInstallGetsAnEmptyDirectoryAndAFailedMoveKeepsTheOldOne() throws {
        let base = tempDir("storage-fresh")
        let fresh = try StorageLocation.prepare(applicationSupport: base.appendingPathComponent("support"),
                                                caches: base.appendingPathComponent("caches"))
        XCTAssertEqual(fresh.outcome, .fresh)
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: fresh.directory.path, isDirectory: &isDir) && isDir.boolValue)

        // Application Support cannot be created (a file is in the way): the Caches directory
        // is used as it is, nothing in it lost.
        let blocked = base.appendingPathComponent("blocked")
        try Data().write(to: blocked)
        let caches = base.appendingPathComponent("caches2")
        try FileManager.default.createDirectory(at: caches.appendingPathComponent("rejourney"), withIntermediateDirectories: true)
        let kept = try StorageLocation.prepare(applicationSupport: blocked, caches: caches)
        XCTAssertEqual(kept.outcome, .legacyInUse)
        XCTAssertEqual(kept.directory.standardizedFileURL.path, caches.appendingPathComponent("rejourney").standardizedFileURL.path)
    }

    /// A spool the Caches-era SDK left behind is delivered after the move, by the real core.
    func testASpoolLeftInCachesIsDeliveredAfterTheMove() throws {
        let env = try TestEnv.load()
        let stall = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_STALL_URL"], "RJ_STALL_URL not set")
        let base = tempDir("storage-spool")
        let support = base.appendingPathComponent("support"), caches = base.appendingPathComponent("caches")
        let legacy = caches.appendingPathComponent("rejourney")
        // The old SDK against a backend that never answers: its session stays spooled.
        let old = try RejourneyClient(options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: stall, anrThreshold: 0,
                                                                               remoteConfig: false),
                                      storageDirectory: legacy, deviceId: Rejourney.deviceId(in: legacy))
        let oldSession = try old.start()
        old.logEvent("from_caches")
        try old.stop()
        old.shutdown(drain: 0)
        try Manifest.synthetic(env, session: oldSession)

        let moved = try StorageLocation.prepare(applicationSupport: support, caches: caches)
        XCTAssertEqual(moved.outcome, .moved)
        let new = try RejourneyClient(options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0,
                                                                               remoteConfig: false),
                                      storageDirectory: moved.directory, deviceId: Rejourney.deviceId(in: moved.directory))
        XCTAssertTrue(try new.flush(timeout: 30))
        let stored = try storedSession(env, oldSession)
        let events = String(decoding: try JSONSerialization.data(withJSONObject: stored["events"] ?? []), as: UTF8.self)
        XCTAssertTrue(events.contains("from_caches"), events)
        new.shutdown(drain: 0)
    }
}
