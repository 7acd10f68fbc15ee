import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// `tests/conformance/consent.json`'s transitions through the app-facing API (`Rejourney.start`,
/// `setConsent`, `logEvent`, a restart over the same storage directory) against the ingest
/// server: the vectors the Rust and Kotlin suites replay.
final class ConsentTransitionTests: XCTestCase {
    override func tearDown() {
        Rejourney.stop(drain: 0)
        XCTAssertTrue(Rejourney.lifecycle.waitIdle(timeout: 30))
        super.tearDown()
    }

    /// Step 0 is the launch with `initial`; each later step sets a consent (or restarts) and
    /// then logs a labelled event. Under granted each label is delivered before the next step,
    /// so "uploaded" does not depend on upload timing. "Kept" is what a last launch over the
    /// same directory delivers once it grants; "deleted" is neither.
    func testConsentTransitionVectors() throws {
        let env = try TestEnv.load()
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_CONFORMANCE"], "RJ_CONFORMANCE not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("consent.json"))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(doc["transitions"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        for (n, c) in cases.enumerated() {
            let name = c["name"] as? String ?? "\(n)"
            let tag = "v\(n)-\(UUID().uuidString.prefix(8))"
            let storage = tempDir("transition-\(n)")
            let options = RejourneySDK.RejourneyOptions(
                apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: false,
                initialConsent: ConformanceTests.consent(try XCTUnwrap(c["initial"] as? String)))
            var sessions = Set<String>()
            func launch() throws {
                let opened = expectation(description: "opened")
                try Rejourney.start(options, storageDirectory: storage, drain: 0) { _ in opened.fulfill() }
                wait(for: [opened], timeout: 30)
            }
            func chunk(_ i: Int) throws {
                Rejourney.logEvent("\(tag)-chunk-\(i)")
                let client = try XCTUnwrap(Rejourney.shared, "\(name): open")
                if let s = client.sessionId { sessions.insert(s) }
                if Rejourney.consent == .granted {
                    XCTAssertTrue(try client.flush(timeout: 20), "\(name): chunk \(i) delivered")
                } else {
                    _ = try client.core.persist(timeoutMs: 20_000)
                }
            }
            try launch()
            try chunk(0)
            for (k, step) in try XCTUnwrap(c["steps"] as? [String]).enumerated() {
                if step == "restart" {
                    try launch()
                } else {
                    Rejourney.setConsent(ConformanceTests.consent(step))
                }
                try chunk(k + 1)
            }
            Rejourney.stop(drain: 2)
            XCTAssertTrue(Rejourney.lifecycle.waitIdle(timeout: 30))
            let uploaded = try customEvents(env, sessions, tag)
            // What is still on the phone: a last launch over the same directory grants it.
            let last = try RejourneyClient(options: options, storageDirectory: storage, deviceId: "swift-consent")
            last.setConsent(.granted)
            XCTAssertTrue(try last.flush(timeout: 20), "\(name): the last launch delivered")
            last.shutdown(drain: 0)
            var kept = try customEvents(env, sessions, tag)
            for u in uploaded { if let i = kept.firstIndex(of: u) { kept.remove(at: i) } }
            func labels(_ key: String) throws -> [String] {
                try XCTUnwrap((c["expect"] as? [String: Any])?[key] as? [NSNumber]).map { "\(tag)-chunk-\($0.intValue)" }
            }
            XCTAssertEqual(uploaded.sorted(), try labels("uploaded"), "\(name): uploaded (once each)")
            XCTAssertEqual(kept.sorted(), try labels("kept"), "\(name): kept on the phone")
            for gone in try labels("deleted") {
                XCTAssertFalse(uploaded.contains(gone) || kept.contains(gone), "\(name): \(gone) should be gone")
            }
        }
    }

    /// Custom event names starting with `prefix` the server stored for these sessions (one per
    /// stored copy: a duplicate upload shows twice).
    private func customEvents(_ env: TestEnv, _ sessions: Set<String>, _ prefix: String) throws -> [String] {
        var names: [String] = []
        for s in sessions.sorted() where FileManager.default.fileExists(atPath: env.data.appendingPathComponent(s).path) {
            for e in try storedSession(env, s)["events"] as? [[String: Any]] ?? [] {
                guard e["type"] as? String == "custom", let n = e["name"] as? String, n.hasPrefix(prefix) else { continue }
                names.append(n)
            }
        }
        return names
    }
}
