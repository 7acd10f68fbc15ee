import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// Tracking consent and touch privacy through the Swift options and the generated bindings:
/// `tests/conformance/consent.json` and `touch_privacy.json` (the vectors the Rust and Kotlin
/// suites run), then consent against the real ingest server.
final class ConsentTests: XCTestCase {
    private func doc(_ file: String) throws -> [String: Any] {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_CONFORMANCE"], "RJ_CONFORMANCE not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(file))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testConsentVectors() throws {
        let v = try doc("consent.json")
        for c in try XCTUnwrap(v["decisions"] as? [[String: Any]]) {
            let d = consentDecision(to: ConformanceTests.consent(try XCTUnwrap(c["consent"] as? String)))
            let e = try XCTUnwrap(c["expect"] as? [String: Bool])
            XCTAssertEqual([d.records, d.uploads, d.deletes], [e["records"], e["uploads"], e["deletes"]], "\(c)")
        }
        let launch = try XCTUnwrap(v["launch"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(launch.count, 8)
        for c in launch {
            let got = consentAtLaunch(persisted: c["persisted"] as? String,
                                      initial: ConformanceTests.consent(try XCTUnwrap(c["initial"] as? String)))
            XCTAssertEqual(got, ConformanceTests.consent(try XCTUnwrap(c["expect"] as? String)), "\(c["name"] ?? "")")
        }
    }

    /// `initialConsent` applies until an answer is kept; a kept answer wins at the next launch.
    func testAConsentIsKeptAcrossLaunchesThroughTheOptions() throws {
        let dir = tempDir("consent")
        func open(_ initial: TrackingConsent?) throws -> RejourneyClient {
            try RejourneyClient(options: RejourneyOptions(apiKey: "pk", apiUrl: "http://127.0.0.1:9", anrThreshold: 0,
                                                          remoteConfig: false, initialConsent: initial),
                                storageDirectory: dir, deviceId: "dev")
        }
        let first = try open(.pending)
        XCTAssertEqual(first.consent, .pending)
        first.setConsent(.denied)
        XCTAssertNil(try first.startUnlessDenied(), "denied: nothing starts")
        XCTAssertThrowsError(try first.start()) { e in
            guard case RejourneyError.ConsentDenied = e else { return XCTFail("\(e)") }
        }
        first.shutdown(drain: 0)
        let second = try open(.granted)
        XCTAssertEqual(second.consent, .denied, "the kept denial wins")
        second.setConsent(.granted)
        second.shutdown(drain: 0)
        XCTAssertEqual(try open(.denied).consent, .granted)
    }

    func testPendingSendsNothingThenGrantedDeliversIt() throws {
        let env = try TestEnv.load()
        let screen = try XCTUnwrap(Screen.loadAll(env.corpus).first)
        let clock = Clock(1_700_000_000_000)
        let client = try RejourneyClient(
            options: RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: true,
                                      remoteConfigHold: 0, initialConsent: .pending),
            storageDirectory: tempDir("consent-srv"), deviceId: "swift-test-device", clockMs: { clock.ms })
        let session = try client.start()
        try Manifest.synthetic(env, session: session)
        _ = try client.core.tick(nowMs: clock.ms)
        let tree = TreeFlattener(registry: client.masks).flatten(screen.root, unlimitedWalk)
        try client.core.submitFrame(
            pixels: screen.rgba, width: screen.width, height: screen.height, stride: screen.width * 4,
            format: .rgba, scale: screen.scale, timestampMs: clock.ms, tree: NodeTree(nodes: tree.nodes, strings: tree.strings))
        client.logEvent("while-pending", at: clock.ms)
        clock.advance(1_000)
        try client.stop()
        XCTAssertTrue(try client.core.persist(timeoutMs: 10_000), "on the device")
        XCTAssertFalse(try client.flush(timeout: 0.3), "held: not delivered")
        let stored = env.data.appendingPathComponent(session)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stored.path), "nothing reached the server")
        client.setConsent(.granted)
        XCTAssertTrue(try client.flush(timeout: 20))
        XCTAssertEqual(files(stored.appendingPathComponent("screenshots"), ext: "gz").count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: stored.appendingPathComponent("session-end.json").path))
        client.shutdown(drain: 0)
    }

    func testTouchPrivacyVectors() throws {
        let cases = try XCTUnwrap(try doc("touch_privacy.json")["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        func nums(_ v: Any?) throws -> [Float] { try XCTUnwrap(v as? [NSNumber]).map { $0.floatValue } }
        for c in cases {
            let name = c["name"] as? String ?? ""
            let mode = ConformanceTests.touchPrivacy(try XCTUnwrap(c["privacy"] as? String))
            // The option as the app sets it, converted by the Swift options.
            let option = try XCTUnwrap(try RejourneyOptions(apiKey: "pk", touchPrivacy: mode)
                .toFFI(deviceId: "dev", storageDir: "/tmp/rj-conformance").touchPrivacy)
            let p = try nums(c["point"])
            let masks = try XCTUnwrap(c["masks"] as? [Any]).map { m -> MaskRect in
                let r = try nums(m)
                return MaskRect(x: r[0], y: r[1], width: r[2], height: r[3])
            }
            let got = placeTouch(privacy: option, x: p[0], y: p[1], masks: masks,
                                 masksKnown: try XCTUnwrap(c["masksKnown"] as? Bool))
            let want: TouchPosition
            if c["expect"] as? String == "hidden" {
                want = .hidden
            } else if let e = c["expect"] as? [String: Any], let x = e["exact"] {
                let x = try nums(x)
                want = .exact(x: x[0], y: x[1])
            } else {
                let r = try nums(try XCTUnwrap(c["expect"] as? [String: Any])["masked"])
                want = .maskedView(x: r[0], y: r[1], width: r[2], height: r[3])
            }
            XCTAssertEqual(got, want, name)
        }
    }
}
