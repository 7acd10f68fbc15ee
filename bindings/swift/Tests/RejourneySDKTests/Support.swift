import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
@testable import RejourneySDK

/// Where `scripts/test-swift.sh` put things: the ingest server it started on the host, the
/// server's data directory as seen from here, and the corpus exported as raw RGBA.
struct TestEnv {
    let url: String
    let data: URL
    let corpus: URL

    static func load(file: StaticString = #filePath, line: UInt = #line) throws -> TestEnv {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["RJ_INGEST_URL"], let data = env["RJ_INGEST_DATA"], let corpus = env["RJ_CORPUS"] else {
            XCTFail("run through scripts/test-swift.sh (RJ_INGEST_URL, RJ_INGEST_DATA, RJ_CORPUS)", file: file, line: line)
            throw RejourneySDKError.notStarted
        }
        return TestEnv(url: url, data: URL(fileURLWithPath: data), corpus: URL(fileURLWithPath: corpus))
    }
}

func tempDir(_ name: String) -> URL {
    let u = FileManager.default.temporaryDirectory
        .appendingPathComponent("rj-swift-\(name)-\(UUID().uuidString)", isDirectory: true)
    try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

/// A settable wall clock (ms) shared with the code under test.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64
    init(_ ms: UInt64) { value = ms }
    var ms: UInt64 {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
    func advance(_ d: UInt64) { ms += d }
}

/// Runs ticks by hand; remembers what was asked.
final class ManualScheduler: TickScheduler {
    var pending: (() -> Void)?
    var delays: [Double] = []
    func schedule(after seconds: Double, _ tick: @escaping () -> Void) {
        delays.append(seconds)
        pending = tick
    }
}

/// A corpus view node.
final class FakeView: ViewLike {
    let className: String
    let windowFrame: (x: Float, y: Float, width: Float, height: Float)
    let kind: NodeKind
    var accessibilityIdentifier: String?
    var isVisible = true
    var isAnimating = false
    var maskHint: String?
    var textLength: UInt32?
    var children: [FakeView] = []
    var childViews: [ViewLike] { children }

    init(_ className: String, _ kind: NodeKind, x: Float = 0, y: Float = 0, w: Float = 10, h: Float = 10) {
        self.className = className
        self.kind = kind
        self.windowFrame = (x, y, w, h)
    }

    static func kind(_ s: String) -> NodeKind {
        switch s {
        case "container": return .container
        case "text": return .text
        case "text_input": return .textInput
        case "secure_input": return .secureInput
        case "image": return .image
        case "video": return .video
        case "camera": return .camera
        case "map": return .map
        case "webview", "web_view": return .webView
        default: return .other
        }
    }

    /// Builds the tree from corpus JSON (`{"type", "kind", "x", "y", "width", "height", "children"}`).
    static func from(json: [String: Any]) -> FakeView {
        func f(_ k: String) -> Float { Float((json[k] as? NSNumber)?.doubleValue ?? 0) }
        let v = FakeView(json["type"] as? String ?? "View", kind(json["kind"] as? String ?? ""),
                         x: f("x"), y: f("y"), w: f("width"), h: f("height"))
        if v.kind == .textInput || v.kind == .secureInput { v.textLength = 8 }
        v.children = (json["children"] as? [[String: Any]] ?? []).map(from(json:))
        return v
    }
}

/// One exported corpus screen: raw RGBA at the capture scale and its view tree.
struct Screen {
    let id: String
    let width: UInt32
    let height: UInt32
    let scale: Float
    let rgba: Data
    let root: FakeView
    let privateCount: Int

    static func loadAll(_ dir: URL) throws -> [Screen] {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
        guard let entries = manifest as? [[String: Any]] else { throw RejourneySDKError.invalidOption("manifest") }
        return try entries.map { e in
            let tree = try JSONSerialization.jsonObject(
                with: Data(contentsOf: dir.appendingPathComponent(e["tree"] as? String ?? ""))) as? [String: Any]
            let root = FakeView.from(json: tree?["root"] as? [String: Any] ?? [:])
            var privateCount = 0
            var stack: [FakeView] = [root]
            while let v = stack.popLast() {
                if [.textInput, .secureInput, .camera].contains(v.kind) { privateCount += 1 }
                stack.append(contentsOf: v.children)
            }
            return Screen(
                id: e["id"] as? String ?? "",
                width: (e["width"] as? NSNumber)?.uint32Value ?? 0,
                height: (e["height"] as? NSNumber)?.uint32Value ?? 0,
                scale: (e["scale"] as? NSNumber)?.floatValue ?? 0,
                rgba: try Data(contentsOf: dir.appendingPathComponent(e["rgba"] as? String ?? "")),
                root: root,
                privateCount: privateCount)
        }
    }
}

/// A walk budget no test tree reaches (the core's own comes with each tick's decision).
let unlimitedWalk = CaptureRequest(maxNodes: 1_000_000, maxSeconds: 60)

/// Serves the current screen, flattened through the real `TreeFlattener` within the budget
/// the core handed out for this capture.
final class CorpusSource: FrameSource {
    var screen: Screen?
    let flattener: TreeFlattener
    /// The next capture walks the screen, then fails (as `drawHierarchy` can on iOS): the
    /// walk's strings are interned but never submitted.
    var failAfterWalk = false
    /// The string updates of the frames handed to the loop, in order.
    private(set) var sent: [NodeStrings] = []
    init(flattener: TreeFlattener) { self.flattener = flattener }
    func capture(_ request: CaptureRequest) -> CapturedFrame? {
        guard let s = screen else { return nil }
        let tree = flattener.flatten(s.root, request)
        if failAfterWalk {
            failAfterWalk = false
            return nil
        }
        sent.append(tree.strings)
        return CapturedFrame(pixels: s.rgba, width: s.width, height: s.height, stride: s.width * 4,
                             format: .rgba, scale: s.scale, tree: tree)
    }
}

/// A view tree's pre-order as the hierarchy snapshot shows it: class and test id per node.
func preorder(_ root: FakeView) -> [String] {
    var out: [String] = []
    var stack = [root]
    while let v = stack.popLast() {
        if !v.isVisible { continue }
        out.append(v.className + (v.accessibilityIdentifier.map { " #\($0)" } ?? ""))
        stack.append(contentsOf: v.children.reversed())
    }
    return out
}

/// The same for a stored snapshot's `root` (`{"class", "testId"?, "children"}`).
func preorder(snapshot root: [String: Any]) -> [String] {
    var out: [String] = []
    var stack = [root]
    while let n = stack.popLast() {
        out.append((n["class"] as? String ?? "?") + ((n["testId"] as? String).map { " #\($0)" } ?? ""))
        stack.append(contentsOf: (n["children"] as? [[String: Any]] ?? []).reversed())
    }
    return out
}

/// What the ingest server stored for a session, as its player reads it
/// (`GET /sessions/<id>/data.json`): `hierarchy` holds the snapshots, decoded, in time order.
func storedSession(_ env: TestEnv, _ id: String) throws -> [String: Any] {
    final class Reply: @unchecked Sendable {
        var data: Data?
        var error: Error?
        var status = 0
    }
    let url = try XCTUnwrap(URL(string: "\(env.url)/sessions/\(id)/data.json"))
    let done = DispatchSemaphore(value: 0)
    let reply = Reply()
    URLSession.shared.dataTask(with: url) { data, response, error in
        reply.data = data
        reply.error = error
        reply.status = (response as? HTTPURLResponse)?.statusCode ?? 0
        done.signal()
    }.resume()
    XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the ingest server answered")
    if let error = reply.error { throw error }
    XCTAssertEqual(reply.status, 200, String(decoding: reply.data ?? Data(), as: UTF8.self))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: reply.data ?? Data()) as? [String: Any])
}

/// What a test handed the core, for `examples/verify_stored.rs`: lines of `submitted.jsonl`
/// in the ingest server's data directory (appended: several tests declare sessions).
enum Manifest {
    /// A corpus screen submitted at `ts` (absolute ms): the buffer's size and its px/pt.
    static func frame(_ env: TestEnv, session: String, ts: UInt64, screen: Screen) throws {
        try append(env, "{\"session\":\"\(session)\",\"ts\":\(ts),\"screen\":\"\(screen.id)\","
            + "\"width\":\(screen.width),\"height\":\(screen.height),\"scale\":\(screen.scale)}")
    }

    /// The session's start and the frames the core captured.
    static func session(_ env: TestEnv, session: String, start: UInt64, captured: UInt64) throws {
        try append(env, "{\"session\":\"\(session)\",\"start\":\(start),\"captured\":\(captured)}")
    }

    /// A session whose stored frames are not corpus screens (not checked, only counted).
    static func synthetic(_ env: TestEnv, session: String) throws {
        try append(env, "{\"session\":\"\(session)\",\"synthetic\":true}")
    }

    private static func append(_ env: TestEnv, _ line: String) throws {
        let url = env.data.appendingPathComponent("submitted.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }
}

func files(_ dir: URL, ext: String) -> [URL] {
    ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
        .filter { $0.pathExtension == ext }
}
