import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// Session links through the Swift SDK against the local ingest server: the replay URL,
/// the listener, and the tracing header on listed hosts only.
final class SessionLinksTests: XCTestCase {
    func testReplayUrlListenerAndTracingHeaders() throws {
        let env = try TestEnv.load()
        let client = try RejourneyClient(
            options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: false,
                                                   traceHosts: ["api.example.com", "*.shop.example.org"]),
            storageDirectory: tempDir("links"), deviceId: "swift-links")
        defer { client.shutdown(drain: 0) }
        let heard = NSMutableArray()
        try client.setCallbacks(SessionCallbacks(
            onStarted: { heard.add("start \($0)") }, onEnded: { heard.add("end \($0) \($1)") }))
        XCTAssertNil(client.sessionUrl)
        var request = URLRequest(url: URL(string: "https://api.example.com/v1/cart")!)
        request.addRejourneyTracing(client)
        XCTAssertNil(request.value(forHTTPHeaderField: "x-rejourney-session-id"), "no session yet")

        let id = try client.start()
        let base = env.url.hasSuffix("/") ? String(env.url.dropLast()) : env.url
        XCTAssertEqual(client.sessionUrl, "\(base)/dashboard/sessions/\(id)")
        request.addRejourneyTracing(client)
        XCTAssertEqual(request.value(forHTTPHeaderField: "x-rejourney-session-id"), id)
        var sub = URLRequest(url: URL(string: "https://eu.shop.example.org/")!)
        sub.addRejourneyTracing(client)
        XCTAssertEqual(sub.value(forHTTPHeaderField: "x-rejourney-session-id"), id)
        for other in ["https://example.com/", "https://api.example.com.attacker.io/", "https://shop.example.org/", env.url] {
            var r = URLRequest(url: URL(string: other)!)
            r.addRejourneyTracing(client)
            XCTAssertNil(r.value(forHTTPHeaderField: "x-rejourney-session-id"), other)
        }
        try client.core.optOut(nowMs: client.now)
        XCTAssertNil(client.sessionUrl, "opted out: no link")
        XCTAssertTrue(client.tracingHeaders(for: URL(string: "https://api.example.com/")!).isEmpty)
        XCTAssertEqual(heard as? [String], ["start \(id)", "end \(id) opt_out"])
        XCTAssertEqual(client.replayUrl(sessionId: id), "\(base)/dashboard/sessions/\(id)")
    }
}
