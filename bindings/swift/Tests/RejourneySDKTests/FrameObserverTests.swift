import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// The debug frame observer through the Swift SDK: a corpus session through the SDK's own
/// capture loop, every captured frame observed, each mask black in the observed JPEG.
final class FrameObserverTests: XCTestCase {
    func testEveryCapturedFrameIsObservedWithItsMasksBlack() throws {
        let env = try TestEnv.load()
        let screens = try Screen.loadAll(env.corpus)
        let clock = Clock(1_710_000_000_000)
        let client = try RejourneyClient(
            options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: false),
            storageDirectory: tempDir("observer"), deviceId: "swift-observer", clockMs: { clock.ms })
        defer { client.shutdown(drain: 0) }
        let lock = NSLock()
        var seen: [ObservedFrame] = []
        var onTestThread = 0
        let testThread = pthread_self()
        XCTAssertTrue(client.setFrameObserver { f in
            lock.lock()
            seen.append(f)
            if pthread_equal(pthread_self(), testThread) != 0 { onTestThread += 1 }
            lock.unlock()
        }, "tests build in debug")
        let start = clock.ms
        let sessionId = try client.start()
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        let loop = CaptureLoop(core: client.core, source: source, scheduler: ManualScheduler(),
                               clockMs: { clock.ms }, uptime: { 0 })
        loop.start()
        for s in screens {
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
            if loop.captures > before { try Manifest.frame(env, session: sessionId, ts: clock.ms, screen: s) }
        }
        loop.stop()
        try client.stop()
        XCTAssertTrue(try client.flush(timeout: 30))
        let t = try client.telemetry()
        try Manifest.session(env, session: sessionId, start: start, captured: t.framesCaptured)
        let deadline = Date().addingTimeInterval(20)
        func count() -> Int { lock.lock(); defer { lock.unlock() }; return seen.count }
        while UInt64(count()) < t.framesCaptured && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        lock.lock()
        let frames = seen
        let hostCalls = onTestThread
        lock.unlock()
        XCTAssertEqual(UInt64(frames.count), t.framesCaptured, "every captured frame observed once")
        XCTAssertEqual(hostCalls, 0, "never on the host's (submitting) thread")
        var checked = 0
        for f in frames {
            XCTAssertEqual(f.sessionId, sessionId)
            let img = try decodeJpeg(jpeg: f.jpeg)
            XCTAssertEqual(img.width, f.width)
            XCTAssertEqual(img.height, f.height)
            for m in f.masks {
                let p = f.pixelsPerPoint
                let x0 = Int(m.x * p) + 2, y0 = Int(m.y * p) + 2
                let x1 = min(Int((m.x + m.width) * p), Int(img.width)) - 2
                let y1 = min(Int((m.y + m.height) * p), Int(img.height)) - 2
                if x1 <= x0 || y1 <= y0 { continue }
                var brightest: UInt8 = 0
                img.rgba.withUnsafeBytes { (px: UnsafeRawBufferPointer) in
                    for y in y0..<y1 {
                        for x in x0..<x1 {
                            let i = (y * Int(img.width) + x) * 4
                            brightest = max(brightest, px[i], px[i + 1], px[i + 2])
                        }
                    }
                }
                XCTAssertLessThanOrEqual(brightest, 40, "frame \(f.timestampMs): \(m)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 10)
        XCTAssertTrue(client.setFrameObserver(nil))
    }
}
