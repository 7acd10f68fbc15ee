import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// The UIKit adapter's rules, platform-free: visibility, classification, bitmap geometry,
/// touch state and the heartbeat, each against the real core where it decides something.
final class ViewRulesTests: XCTestCase {
    /// A node built from the raw values the UIKit adapter reads, through the same rules
    /// (`PlatformViewFacts`) `UIViewNode` uses, walked by the real flattener.
    private final class FactsView: PlatformViewFacts {
        let className: String
        let windowFrame: (x: Float, y: Float, width: Float, height: Float)
        let drawFacts: ViewDrawFacts
        let classFacts: ViewClassFacts
        var accessibilityIdentifier: String?
        var layerName: String?
        var animationKeys: [String] = []
        var textCharacters = 6
        var children: [FactsView] = []
        init(_ name: String, _ classFacts: ViewClassFacts, x: Float = 0, y: Float = 0, w: Float, h: Float,
             hidden: Bool = false, opacity: Float = 1, clips: Bool = false) {
            className = name
            windowFrame = (x, y, w, h)
            drawFacts = ViewDrawFacts(isHidden: hidden, opacity: opacity, width: w, height: h, clipsToBounds: clips)
            self.classFacts = classFacts
        }
        var childViews: [ViewLike] { children }
        var all: [FactsView] { [self] + children.flatMap(\.all) }
    }

    func testVisibilityRules() {
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(width: 10, height: 10)))
        XCTAssertFalse(ViewVisibility.isWalked(ViewDrawFacts(isHidden: true, width: 10, height: 10)))
        XCTAssertFalse(ViewVisibility.isWalked(ViewDrawFacts(opacity: 0.01, width: 10, height: 10)))
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(opacity: 0.02, width: 10, height: 10)))
        // Values no view has: walked (reported, so masks apply) rather than trusted as invisible.
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(opacity: .nan, width: 10, height: 10)))
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(width: .nan, height: 10, clipsToBounds: true)))
        // Zero-size: its subviews still draw unless it clips.
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(width: 390, height: 0)))
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(width: 0, height: 0)))
        XCTAssertFalse(ViewVisibility.isWalked(ViewDrawFacts(width: 390, height: 0, clipsToBounds: true)))
        XCTAssertTrue(ViewVisibility.isWalked(ViewDrawFacts(width: 390, height: 10, clipsToBounds: true)))
    }

    /// A text field inside a zero-height container that does not clip is drawn by UIKit: the
    /// walk reaches it and the core masks it. Inside a clipping one it is not drawn, not walked.
    func testAFieldInsideAZeroHeightContainerIsWalkedAndMasked() throws {
        let window = FactsView("UIWindow", ViewClassFacts(role: .other), w: 390, h: 844)
        let collapsed = FactsView("UIStackView", ViewClassFacts(role: .other), y: 300, w: 390, h: 0)
        let field = FactsView("UITextField", ViewClassFacts(role: .textField(secure: false)), x: 16, y: 300, w: 358, h: 44)
        collapsed.children = [field]
        let clipped = FactsView("UIView", ViewClassFacts(role: .other), y: 400, w: 390, h: 0, clips: true)
        clipped.children = [FactsView("UITextField", ViewClassFacts(role: .textField(secure: true)), y: 400, w: 358, h: 44)]
        window.children = [collapsed, clipped]
        let walk = TreeFlattener(registry: MaskRegistry()).flatten(window, unlimitedWalk)
        XCTAssertEqual(walk.nodes.map { walk.strings.added[Int($0.classIndex)] }, ["UIWindow", "UIStackView", "UITextField"])
        let opts = try RejourneySDK.RejourneyOptions(apiKey: "pk", apiUrl: "http://127.0.0.1:9").toFFI(deviceId: "d", storageDir: "/tmp/rj")
        let eval = try evaluateMasks(nodes: walk.nodes, strings: walk.strings.added, options: opts)
        XCTAssertEqual(eval.masked, [false, false, true], "the field is masked")
        XCTAssertEqual(eval.rects.count, 1)
    }

    func testClassificationOfUIKitRoles() {
        let cases: [(ViewClassFacts, NodeKind)] = [
            (ViewClassFacts(role: .textField(secure: false)), .textInput),
            (ViewClassFacts(role: .textField(secure: true)), .secureInput),
            (ViewClassFacts(role: .textView(editable: true)), .textInput),
            (ViewClassFacts(role: .textView(editable: false)), .text),
            (ViewClassFacts(role: .label), .text),
            (ViewClassFacts(role: .imageView), .image),
            (ViewClassFacts(role: .webView), .webView),
            (ViewClassFacts(role: .other), .container),
            (ViewClassFacts(role: .other, hasPlayerLayer: true), .video),
            (ViewClassFacts(role: .other, hasCameraPreviewLayer: true), .camera),
            (ViewClassFacts(role: .other, hasPlayerLayer: true, hasCameraPreviewLayer: true), .video),
        ]
        for (facts, kind) in cases { XCTAssertEqual(ViewClassifier.kind(facts), kind, "\(facts)") }
        XCTAssertEqual(ViewClassifier.textLength(.textField(secure: true), characters: 8), 8)
        XCTAssertEqual(ViewClassifier.textLength(.textView(editable: true), characters: -1), 0)
        XCTAssertNil(ViewClassifier.textLength(.textView(editable: false), characters: 8), "not an input")
        XCTAssertNil(ViewClassifier.textLength(.label, characters: 8))
    }

    /// What a vector node says, as the values UIKit reports: its kind as a UIKit role and
    /// layers, `visible: false` as `isHidden`, `animating` as a running position animation,
    /// the developer tag as `layer.name`, the test id as the accessibility identifier.
    private static let roles: [String: ViewClassFacts] = [
        "container": ViewClassFacts(role: .other), "other": ViewClassFacts(role: .other), "text": ViewClassFacts(role: .label),
        "text_input": ViewClassFacts(role: .textField(secure: false)),
        "secure_input": ViewClassFacts(role: .textField(secure: true)),
        "image": ViewClassFacts(role: .imageView), "video": ViewClassFacts(role: .other, hasPlayerLayer: true),
        "camera": ViewClassFacts(role: .other, hasCameraPreviewLayer: true), "web_view": ViewClassFacts(role: .webView),
    ]

    private func factsView(_ m: [String: Any]) throws -> FactsView {
        let kind = m["kind"] as? String ?? ""
        let role = try XCTUnwrap(Self.roles[kind], "a vector kind UIKit has no role for: \(kind)")
        let f = (m["frame"] as? [NSNumber] ?? []).map(\.floatValue)
        let visible = (m["visible"] as? NSNumber)?.boolValue ?? true
        let v = FactsView(m["class"] as? String ?? "", role, x: f[0], y: f[1], w: f[2], h: f[3], hidden: !visible)
        v.accessibilityIdentifier = m["testId"] as? String
        v.layerName = m["tag"] as? String
        if (m["animating"] as? NSNumber)?.boolValue == true { v.animationKeys = ["position"] }
        if let n = (m["textLength"] as? NSNumber)?.intValue { v.textCharacters = n }
        v.children = try (m["children"] as? [[String: Any]] ?? []).map(factsView)
        return v
    }

    /// Every shared conformance vector through the UIKit adapter's rules: each node's kind,
    /// visibility, motion, tag and test id come out of `PlatformViewFacts` from UIKit-shaped
    /// values, instance registrations go through a registry, the walk's budget is the core's,
    /// and the core's decisions are the vectors'.
    func testMaskVectorsThroughTheAdaptersRules() throws {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_CONFORMANCE"], "RJ_CONFORMANCE not set")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("masks.json"))) as? [String: Any])
        let all = try XCTUnwrap(doc["cases"] as? [[String: Any]])
        for c in all {
            let name = c["name"] as? String ?? "?"
            let tree = try XCTUnwrap(c["tree"] as? [String: Any])
            let root = try factsView(tree)
            let registry = MaskRegistry()
            func registrations(_ v: FactsView, _ m: [String: Any]) {
                if m["registered"] as? String == "mask" { registry.mask(v) }
                if m["registered"] as? String == "unmask" { registry.unmask(v) }
                for (child, cm) in zip(v.children, m["children"] as? [[String: Any]] ?? []) { registrations(child, cm) }
            }
            registrations(root, tree)
            func names(_ m: [String: Any]) -> [String] {
                [m["name"] as? String ?? ""] + (m["children"] as? [[String: Any]] ?? []).flatMap(names)
            }
            var byId: [UInt64: String] = [:]
            for (v, n) in zip(root.all, names(tree)) { byId[UInt64(UInt(bitPattern: ObjectIdentifier(v).hashValue))] = n }

            let set = c["options"] as? [String: Any] ?? [:]
            func flag(_ k: String) -> Bool? { (set[k] as? NSNumber)?.boolValue }
            let opts = try RejourneySDK.RejourneyOptions(
                apiKey: "pk", apiUrl: "http://127.0.0.1:9", maskAllText: flag("maskAllText"),
                maskAllImages: flag("maskAllImages"), maskWebViews: flag("maskWebViews"), maskVideo: flag("maskVideo"),
                maskedClasses: set["maskedClasses"] as? [String] ?? [],
                maskedAccessibilityIdentifiers: set["maskedTestIds"] as? [String] ?? [],
                maxNodesPerCapture: (set["walkMaxNodes"] as? NSNumber)?.intValue,
                maskTextInputs: flag("maskTextInputs")).toFFI(deviceId: "d", storageDir: "/tmp/rj")
            let effective = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(effectiveOptions(options: opts).utf8)) as? [String: Any])
            let budget = CaptureRequest(maxNodes: (effective["walkMaxNodes"] as? NSNumber)?.intValue ?? 0, maxSeconds: 60)
            let walk = TreeFlattener(registry: registry).flatten(root, budget)
            let expect = c["expect"] as? [String: Any] ?? [:]
            XCTAssertEqual(walk.truncated, (expect["truncated"] as? NSNumber)?.boolValue ?? false, "\(name): truncated")
            XCTAssertEqual(walk.needsPixels, !walk.truncated, "\(name): pixels drawn only for a whole walk")
            if let visited = (expect["visited"] as? NSNumber)?.intValue {
                XCTAssertEqual(walk.nodes.count, visited, "\(name): visited")
            }
            let eval = try evaluateMasks(nodes: walk.nodes, strings: walk.strings.added, options: opts)
            let masked = zip(walk.nodes, eval.masked).filter(\.1).map { byId[$0.0.viewId ?? 0] ?? "?" }
            XCTAssertEqual(masked.sorted(), (expect["masked"] as? [String] ?? []).sorted(), "\(name): masked nodes")
            XCTAssertEqual(eval.movingMasked, (expect["movingMasked"] as? NSNumber)?.boolValue ?? false, "\(name): moving")
            if let rects = (expect["rects"] as? NSNumber)?.intValue {
                XCTAssertEqual(eval.rects.count, rects, "\(name): rectangles")
            }
        }
        XCTAssertGreaterThanOrEqual(all.count, 13, "every vector")
    }

    /// The shared gesture vectors through the touch state the UIKit observer feeds: a touch
    /// down (with as many fingers as the vector's), the lift after its duration, and the core
    /// classifies what `TouchTracker` summarised.
    func testGestureVectorsThroughTheTouchTracker() throws {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_CONFORMANCE"], "RJ_CONFORMANCE not set")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("gestures.json"))) as? [String: Any])
        let all = try XCTUnwrap(doc["cases"] as? [[String: Any]])
        for c in all {
            let name = c["name"] as? String ?? "?"
            let t = c["touch"] as? [String: NSNumber] ?? [:]
            let tracker = TouchTracker()
            let t0 = 1_000.0
            let fingers = t["maxPointers"]?.intValue ?? 1
            XCTAssertEqual(tracker.began(x: t["startX"]?.floatValue ?? 0, y: t["startY"]?.floatValue ?? 0,
                                         time: t0, touchesDown: 1), .began, name)
            for n in stride(from: 2, through: max(2, fingers), by: 1) where fingers >= n {
                XCTAssertNil(tracker.began(x: 0, y: 0, time: t0, touchesDown: n), "\(name): a finger joins")
            }
            let lift = t0 + (t["durationMs"]?.doubleValue ?? 0) / 1000
            guard case .ended(let summary)? = tracker.ended(x: t["endX"]?.floatValue ?? 0, y: t["endY"]?.floatValue ?? 0,
                                                           time: lift) else { return XCTFail("\(name): ended") }
            XCTAssertEqual(summary.durationMs, t["durationMs"]?.uint64Value, name)
            XCTAssertEqual(summary.maxPointers, UInt32(max(1, fingers)), name)
            let got: String
            switch classifyTouch(touch: summary) {
            case .tap: got = "tap"
            case .longPress: got = "long_press"
            case .swipe: got = "swipe"
            case .pinch: got = "pinch"
            }
            XCTAssertEqual(got, c["expect"] as? String, name)
        }
        XCTAssertGreaterThanOrEqual(all.count, 5)
    }

    /// The adapter's derived answers from raw UIKit values: a fading view counts at its larger
    /// opacity, only geometry-moving animation keys count, text length only for inputs, the
    /// layer name is the developer tag.
    func testPlatformFactsDeriveTheWalksAnswers() {
        XCTAssertEqual(ViewDrawFacts(isHidden: false, modelOpacity: 0, presentationOpacity: 0.6, width: 1, height: 1,
                                     clipsToBounds: false).opacity, 0.6, "fading in: walked for the whole fade")
        XCTAssertEqual(ViewDrawFacts(isHidden: false, modelOpacity: 1, presentationOpacity: 0, width: 1, height: 1,
                                     clipsToBounds: false).opacity, 1, "fading out")
        XCTAssertEqual(ViewDrawFacts(isHidden: false, modelOpacity: 0.3, presentationOpacity: nil, width: 1, height: 1,
                                     clipsToBounds: false).opacity, 0.3)
        let field = FactsView("UITextField", ViewClassFacts(role: .textField(secure: false)), w: 10, h: 10)
        field.textCharacters = 11
        XCTAssertEqual(field.textLength, 11)
        XCTAssertEqual(field.kind, .textInput)
        XCTAssertFalse(field.isAnimating)
        field.animationKeys = ["opacity", "backgroundColor"]
        XCTAssertFalse(field.isAnimating, "a fade does not move it")
        field.animationKeys = ["opacity", "bounds.size"]
        XCTAssertTrue(field.isAnimating)
        field.animationKeys = ["com.app.custom"]
        XCTAssertTrue(field.isAnimating, "an unknown key counts as moving")
        let label = FactsView("UILabel", ViewClassFacts(role: .label), w: 10, h: 10)
        XCTAssertNil(label.textLength, "not an input")
        XCTAssertNil(label.maskHint)
        label.layerName = "rj-mask"
        XCTAssertEqual(label.maskHint, "rj-mask")
        let hidden = FactsView("UIView", ViewClassFacts(role: .other), w: 10, h: 10, opacity: 0)
        XCTAssertFalse(hidden.isVisible)
    }

    func testCaptureGeometry() {
        XCTAssertEqual(CaptureGeometry(pointWidth: 390, pointHeight: 844, requestedScale: 1),
                       CaptureGeometry(pointWidth: 390, pointHeight: 844, requestedScale: 1))
        let half = CaptureGeometry(pointWidth: 390, pointHeight: 844, requestedScale: 0.5)
        XCTAssertEqual(half?.width, 195)
        XCTAssertEqual(half?.height, 422)
        XCTAssertEqual(half?.scale, 0.5)
        XCTAssertEqual(half?.stride, 780)
        // A width that rounds: one scale for both axes, the buffer's own.
        let odd = CaptureGeometry(pointWidth: 375.5, pointHeight: 667, requestedScale: 0.33)
        XCTAssertEqual(odd?.width, 124)
        XCTAssertEqual(odd.map { Double($0.scale) } ?? 0, 124 / 375.5, accuracy: 1e-6)
        XCTAssertEqual(odd?.height, Int((667 * 124 / 375.5).rounded()))
        XCTAssertNil(CaptureGeometry(pointWidth: 0, pointHeight: 844, requestedScale: 1))
        XCTAssertNil(CaptureGeometry(pointWidth: 390, pointHeight: 844, requestedScale: 0))
        XCTAssertNil(CaptureGeometry(pointWidth: .nan, pointHeight: 844, requestedScale: 1))
        XCTAssertNil(CaptureGeometry(pointWidth: 390, pointHeight: 844, requestedScale: .infinity))
        XCTAssertNil(CaptureGeometry(pointWidth: 1e9, pointHeight: 844, requestedScale: 1), "no giant buffer")
        XCTAssertNil(CaptureGeometry(pointWidth: 1, pointHeight: 844, requestedScale: 0.1), "rounds to no pixel")
    }

    func testTouchStates() {
        let t = TouchTracker()
        XCTAssertNil(t.ended(x: 0, y: 0, time: 1), "no sequence open")
        XCTAssertNil(t.cancelled())
        XCTAssertEqual(t.began(x: 10, y: 20, time: 1, touchesDown: 1), .began)
        XCTAssertNil(t.began(x: 50, y: 60, time: 1.1, touchesDown: 2), "a second finger joins")
        XCTAssertEqual(t.ended(x: 12, y: 22, time: 1.25),
                       .ended(TouchSummary(startX: 10, startY: 20, endX: 12, endY: 22, durationMs: 250, maxPointers: 2)))
        XCTAssertNil(t.ended(x: 50, y: 60, time: 1.3), "the second lift reports nothing")
        XCTAssertEqual(t.began(x: 1, y: 1, time: 2, touchesDown: 2), .began, "two fingers at once start one")
        XCTAssertTrue(t.isTouching)
        XCTAssertEqual(t.cancelled(), .cancelled, "a cancelled sequence ends the interaction")
        XCTAssertFalse(t.isTouching)
        XCTAssertNil(t.cancelled(), "once")
        XCTAssertEqual(t.began(x: 1, y: 1, time: .nan, touchesDown: 1), .began)
        guard case .ended(let s)? = t.ended(x: 1, y: 1, time: 3) else { return XCTFail("ended") }
        XCTAssertEqual(s.durationMs, 0, "a broken clock does not trap")
    }

    /// A touch the system cancels ends the core's touch pause: the next due tick captures.
    /// Without the end, every tick is skipped for "touch" until some later touch completes.
    func testACancelledTouchEndsTheCapturePause() throws {
        let env = try TestEnv.load()
        let screen = try XCTUnwrap(Screen.loadAll(env.corpus).first)
        let clock = Clock(1_700_000_000_000)
        let client = try RejourneyClient(
            options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 0, remoteConfig: false),
            storageDirectory: tempDir("touch-cancel"), deviceId: "d", masks: MaskRegistry(), clockMs: { clock.ms })
        let session = try client.start()
        try Manifest.synthetic(env, session: session)
        let source = CorpusSource(flattener: TreeFlattener(registry: client.masks))
        source.screen = screen
        let loop = CaptureLoop(core: client.core, source: source, scheduler: ManualScheduler(), clockMs: { clock.ms }, uptime: { 0 })
        loop.start()
        let touches = TouchTracker()
        client.apply(try XCTUnwrap(touches.began(x: 5, y: 5, time: 10, touchesDown: 1)))
        clock.advance(2_000)
        loop.tick()
        XCTAssertEqual(loop.captures, 0, "paused while touching")
        client.apply(try XCTUnwrap(touches.cancelled()))
        clock.advance(2_000)
        loop.tick()
        XCTAssertEqual(loop.captures, 1, "the cancelled touch ended the pause")
        XCTAssertEqual(try client.telemetry().eventsRecorded, 0, "no gesture for a cancelled touch")
        loop.stop()
        try client.stop()
        client.shutdown(drain: 0)
    }

    /// The heartbeat keeps the watchdog quiet while the capture loop does not tick (a scroll
    /// view tracking pauses the capture timer), and the watchdog does report when nothing beats.
    func testTheHeartbeatBeatsWhileCaptureIsSilent() throws {
        let env = try TestEnv.load()
        let client = try RejourneyClient(
            options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: env.url, anrThreshold: 1, remoteConfig: false),
            storageDirectory: tempDir("heartbeat"), deviceId: "d", masks: MaskRegistry())
        let session = try client.start()
        try Manifest.synthetic(env, session: session)
        let loop = CaptureLoop(core: client.core, source: CorpusSource(flattener: TreeFlattener(registry: client.masks)),
                               scheduler: ManualScheduler())
        loop.start()
        loop.tick()
        let heartbeat = Heartbeat(core: client.core, timer: DispatchRepeatingTimer(), interval: 0.1)
        heartbeat.start()
        // 2.5 s with no capture tick: 2.5 times the threshold.
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(try client.telemetry().anrs, 0, "beats kept coming with capture silent")
        XCTAssertGreaterThan(heartbeat.beats, 5)
        heartbeat.stop()
        // The control: nothing beats now, and the watchdog notices.
        var reported: UInt64 = 0
        for _ in 0..<100 where reported == 0 {
            Thread.sleep(forTimeInterval: 0.1)
            reported = try client.telemetry().anrs
        }
        XCTAssertEqual(reported, 1, "a silent main thread is reported")
        loop.stop()
        try client.stop()
        client.shutdown(drain: 0)
    }
}
