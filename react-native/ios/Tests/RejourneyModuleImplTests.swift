import Foundation
import XCTest
@testable import RejourneyReactNative
import RejourneySDK

/// The React Native module's Swift implementation on Linux, against the Swift SDK, the real
/// core and the local ingest server: what JS sends arrives as the SDK's calls.
final class RejourneyModuleImplTests: XCTestCase {
    func testOptionsFromJsKeepCoreDefaultsAndConvertUnits() throws {
        let o = try RejourneyModuleImpl.options([
            "apiKey": "pk", "apiUrl": "http://127.0.0.1:9", "captureIntervalMs": NSNumber(value: 500),
            "maskAllText": NSNumber(value: true), "maskedClasses": ["RCTParagraphComponentView"],
            "maskedTestIds": ["card"], "anrThresholdMs": NSNumber(value: 0),
            "sessionSampleRate": NSNumber(value: 0.1), "onErrorSampleRate": NSNumber(value: 1),
            "bufferWindowMs": NSNumber(value: 15_000), "bufferMaxBytes": NSNumber(value: 2_097_152),
            "bufferCaptureIntervalMs": NSNumber(value: 2_000), "remoteConfig": NSNumber(value: false),
            "remoteConfigHoldMs": NSNumber(value: 500), "maskTextInputs": NSNumber(value: false),
        ])
        XCTAssertEqual(o.captureInterval, 0.5)
        XCTAssertEqual(o.maskAllText, true)
        XCTAssertNil(o.jpegQuality, "absent: the core's default")
        XCTAssertEqual(o.maskedClasses, ["RCTParagraphComponentView"])
        XCTAssertEqual(o.maskedAccessibilityIdentifiers, ["card"])
        XCTAssertEqual(o.anrThreshold, 0)
        XCTAssertEqual(o.sessionSampleRate, 0.1)
        XCTAssertEqual(o.onErrorSampleRate, 1)
        XCTAssertEqual(o.bufferWindow, 15)
        XCTAssertEqual(o.bufferMaxBytes, 2_097_152)
        XCTAssertEqual(o.bufferCaptureInterval, 2)
        XCTAssertEqual(o.remoteConfig, false)
        XCTAssertEqual(o.remoteConfigHold, 0.5)
        XCTAssertEqual(o.maskTextInputs, false)
        XCTAssertNil(o.sampleRate, "absent: the core's default")
        XCTAssertThrowsError(try RejourneyModuleImpl.options(["apiUrl": "http://x"]))
    }

    func testTouchPrivacyAndConsentFromJs() throws {
        let o = try RejourneyModuleImpl.options(["apiKey": "pk", "touchPrivacy": "hide_all", "initialConsent": "pending"])
        XCTAssertEqual(o.touchPrivacy, .hideAll)
        XCTAssertEqual(o.initialConsent, .pending)
        let plain = try RejourneyModuleImpl.options(["apiKey": "pk"])
        XCTAssertNil(plain.touchPrivacy)
        XCTAssertNil(plain.initialConsent)
        XCTAssertThrowsError(try RejourneyModuleImpl.options(["apiKey": "pk", "touchPrivacy": "mask"]))
        XCTAssertThrowsError(try RejourneyModuleImpl().setConsent("maybe"))
    }

    func testCallsFromJsReachTheCore() throws {
        let env = ProcessInfo.processInfo.environment
        let url = try XCTUnwrap(env["RJ_INGEST_URL"], "RJ_INGEST_URL not set")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rj-rn-\(UUID().uuidString)")
        let impl = RejourneyModuleImpl(storageDirectory: dir)
        Rejourney.stop(drain: 0)
        XCTAssertFalse(impl.reportError(name: "E", message: "before start", stack: "", fatal: true))
        XCTAssertFalse(impl.captureError(name: "E", message: "before start", stack: ""))
        XCTAssertFalse(impl.flushBuffer(reason: "before start"))
        XCTAssertThrowsError(try impl.start(["apiKey": "pk_test", "apiUrl": url, "sessionSampleRate": NSNumber(value: 2)]) { _ in
            XCTFail("invalid options open nothing")
        }, "invalid options are an error at once")
        let opened = expectation(description: "the client opens")
        var session: String?
        try impl.start(["apiKey": "pk_test", "apiUrl": url, "anrThresholdMs": NSNumber(value: 0),
                        "remoteConfig": NSNumber(value: true)]) { id in
            session = id
            opened.fulfill()
        }
        // Made while the client opens: kept and replayed into it.
        impl.identify("user-42")
        wait(for: [opened], timeout: 10)
        let id = try XCTUnwrap(session, "the client could not open")
        XCTAssertTrue(id.hasPrefix("session_"), id)
        impl.screenChanged("Checkout")
        impl.logEvent("purchase", properties: ["amount": NSNumber(value: 12.5), "currency": "EUR", "gift": NSNumber(value: false), "note": NSNull()])
        impl.networkRequest(["method": "POST", "url": "https://api.shop.example/pay?token=secret", "statusCode": NSNumber(value: 201), "durationMs": NSNumber(value: 84)])
        impl.networkRequest(["url": "missing method is ignored"])
        impl.logMessage(level: "warn", message: "slow image")
        XCTAssertTrue(impl.reportError(name: "TypeError", message: "x is undefined", stack: "at App.tsx:12", fatal: false))
        XCTAssertFalse(impl.captureError(name: "RangeError", message: "index 7", stack: "at List.tsx:9"),
                       "recorded: no buffer to upload")
        XCTAssertFalse(impl.flushBuffer(reason: "support"))
        XCTAssertTrue(impl.reportError(name: "Error", message: "fatal render", stack: "at Root.tsx:3\nat index.js:1", fatal: true))
        let t = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(impl.telemetryJson().utf8)) as? [String: Any])
        let events = try XCTUnwrap(t["events"] as? [String: Any], "\(t)")
        XCTAssertGreaterThanOrEqual((events["recorded"] as? NSNumber)?.intValue ?? 0, 5, "\(events)")
        XCTAssertEqual((t["crashes"] as? NSNumber)?.intValue, 1, "one fatal error, one crash")
        XCTAssertNotNil(t["remote_config"] as? [String: Any], "remote config on: \(String(describing: t["remote_config"]))")
        impl.stop()
        XCTAssertEqual(impl.telemetryJson(), "{}", "stopped: no client")
    }

    /// Session events for JS (issue 26) through the real core: the open client's session is
    /// announced with its replay URL, an opt-out ends it with the same URL, and nothing is
    /// sent while JS does not listen.
    func testSessionEventsReachJsOnlyWhileListening() throws {
        let url = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_INGEST_URL"], "RJ_INGEST_URL not set")
        Rejourney.stop(drain: 0)
        let options: [String: Any] = ["apiKey": "pk_test", "apiUrl": url, "remoteConfig": NSNumber(value: false),
                                      "anrThresholdMs": NSNumber(value: 0)]
        let lock = NSLock()
        var heard: [String: [[String: Any]]] = [:]
        /// A module (its own storage: an opt-out is kept) whose events land in `heard[name]`.
        func module(_ name: String) -> RejourneyModuleImpl {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rj-rn-events-\(UUID().uuidString)")
            let impl = RejourneyModuleImpl(storageDirectory: dir)
            impl.sessionEvents.setSink { e in lock.lock(); heard[name, default: []].append(e); lock.unlock() }
            return impl
        }
        func open(_ impl: RejourneyModuleImpl) throws -> String {
            let opened = expectation(description: "the client opens")
            var session: String?
            try impl.start(options) { id in session = id; opened.fulfill() }
            wait(for: [opened], timeout: 10)
            return try XCTUnwrap(session, "the client could not open")
        }
        func events(_ name: String) -> [[String: Any]] { lock.lock(); defer { lock.unlock() }; return heard[name] ?? [] }
        // Not listening: the open client's start (announced before it is handed over) and its
        // opt-out (on this thread) send nothing.
        let quiet = module("quiet")
        _ = try open(quiet)
        try quiet.optOut()
        XCTAssertEqual(events("quiet").count, 0, "no JS listener: nothing sent, \(events("quiet"))")
        let heardOne = module("heard")
        heardOne.sessionEvents.setListening(true)
        let id = try open(heardOne)
        try heardOne.optOut()
        let got = events("heard")
        let replay = "\(url.hasSuffix("/") ? String(url.dropLast()) : url)/dashboard/sessions/\(id)"
        XCTAssertEqual(got.map { $0["type"] as? String }, ["started", "ended"], "\(got)")
        XCTAssertEqual(got.map { $0["sessionId"] as? String }, [id, id])
        XCTAssertEqual(got.map { $0["replayUrl"] as? String }, [replay, replay])
        XCTAssertEqual(got.last?["reason"] as? String, "opt_out")
        heardOne.stop()
    }

    /// The frame relay (issue 26): nothing encoded or sent before JS asks; at most
    /// `maxInFlight` frames wait for JS's acknowledgement, the rest dropped and counted; none
    /// after JS removed its observer. Frames as the core hands them over.
    func testFrameEventsAreBoundedAndOnlyWhileJsObserves() throws {
        let impl = RejourneyModuleImpl()
        Rejourney.stop(drain: 0)
        var sent: [[String: Any]] = []
        impl.frameEvents.setSink { sent.append($0) }
        let frame = ObservedFrame(sessionId: "s1", timestampMs: 1000, jpeg: Data([0xFF, 0xD8, 0xFF]), width: 4, height: 2,
                                  pixelsPerPoint: 2, masks: [MaskRect(x: 0, y: 0, width: 1, height: 1)])
        impl.frameEvents.frame(frame)
        XCTAssertEqual(sent.count, 0, "no JS observer: nothing sent")
        XCTAssertFalse(impl.setFrameObserver(true), "no client open: nothing attached yet")
        XCTAssertTrue(impl.frameEvents.wanted, "it attaches at the next start")
        for _ in 0..<(FrameEventRelay.maxInFlight + 3) { impl.frameEvents.frame(frame) }
        XCTAssertEqual(sent.count, FrameEventRelay.maxInFlight)
        XCTAssertEqual(impl.frameEvents.droppedFrames, 3)
        XCTAssertEqual(sent.first?["jpegBase64"] as? String, "/9j/")
        XCTAssertEqual((sent.first?["masks"] as? [[String: Double]])?.first?["width"], 1)
        impl.frameObserved()
        impl.frameEvents.frame(frame)
        XCTAssertEqual(sent.count, FrameEventRelay.maxInFlight + 1, "an acknowledgement makes room for one")
        XCTAssertEqual(sent.last?["droppedFrames"] as? Double, 3)
        _ = impl.setFrameObserver(false)
        impl.frameEvents.frame(frame)
        XCTAssertEqual(sent.count, FrameEventRelay.maxInFlight + 1, "removed: nothing sent")
    }
}
