import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// The shared conformance vectors (`tests/conformance/`) through the Swift SDK: its options,
/// its registry and tree walk, then the core's decisions through the generated bindings. The
/// Rust and Kotlin suites run the same files; any difference is drift.
final class ConformanceTests: XCTestCase {
    private func cases(_ file: String) throws -> [[String: Any]] {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_CONFORMANCE"], "RJ_CONFORMANCE not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(file))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(doc["cases"] as? [[String: Any]])
    }

    /// The app's options from a vector's option set (core names, milliseconds; Swift takes
    /// seconds, so the conversion is under test too).
    private func options(_ set: [String: Any]) -> RejourneySDK.RejourneyOptions {
        func num(_ k: String) -> Double? { (set[k] as? NSNumber)?.doubleValue }
        func flag(_ k: String) -> Bool? { (set[k] as? NSNumber)?.boolValue }
        func list(_ k: String) -> [String] { set[k] as? [String] ?? [] }
        return RejourneySDK.RejourneyOptions(
            apiKey: "pk", apiUrl: "http://127.0.0.1:9",
            captureInterval: num("captureIntervalMs").map { $0 / 1000 },
            captureScale: num("captureScale").map { Float($0) },
            jpegQuality: num("jpegQuality").map { Float($0) },
            batchSize: num("batchSize").map { Int($0) },
            sampleRate: num("sampleRate"),
            backgroundTimeout: num("backgroundTimeoutMs").map { $0 / 1000 },
            maskAllText: flag("maskAllText"), maskAllImages: flag("maskAllImages"),
            maskWebViews: flag("maskWebViews"), maskVideo: flag("maskVideo"),
            maskedClasses: list("maskedClasses"),
            maskedAccessibilityIdentifiers: list("maskedTestIds"),
            spoolQuotaBytes: num("spoolQuotaBytes").map { UInt64($0) },
            anrThreshold: num("anrThresholdMs").map { $0 / 1000 },
            urlDenyList: list("urlDenyList"),
            captureHierarchy: flag("captureHierarchy"),
            maxNodesPerCapture: num("walkMaxNodes").map { Int($0) },
            walkBudget: num("walkBudgetMs").map { $0 / 1000 },
            sessionSampleRate: num("sessionSampleRate"),
            onErrorSampleRate: num("onErrorSampleRate"),
            bufferWindow: num("bufferWindowMs").map { $0 / 1000 },
            bufferMaxBytes: num("bufferMaxBytes").map { UInt64($0) },
            bufferCaptureInterval: num("bufferCaptureIntervalMs").map { $0 / 1000 },
            remoteConfig: flag("remoteConfig"),
            remoteConfigHold: num("remoteConfigHoldMs").map { $0 / 1000 },
            maskTextInputs: flag("maskTextInputs"),
            uploadOnlyOnUnmetered: flag("uploadOnlyOnUnmetered"),
            lowBatteryThreshold: num("lowBatteryThreshold").map { Float($0) },
            dashboardUrl: set["dashboardUrl"] as? String,
            traceHosts: list("traceHosts"),
            touchPrivacy: (set["touchPrivacy"] as? String).map(Self.touchPrivacy),
            initialConsent: (set["initialConsent"] as? String).map(Self.consent))
    }

    static func touchPrivacy(_ s: String) -> TouchPrivacy {
        switch s {
        case "hide_all": return .hideAll
        case "show": return .show
        default: return .maskMasked
        }
    }

    static func consent(_ s: String) -> TrackingConsent {
        switch s {
        case "granted": return .granted
        case "denied": return .denied
        default: return .pending
        }
    }

    private func ffi(_ o: RejourneySDK.RejourneyOptions) throws -> RejourneyBindings.RejourneyOptions {
        try o.toFFI(deviceId: "dev", storageDir: "/tmp/rj-conformance")
    }

    /// A vector node as the walk sees a platform view.
    private final class VectorView: ViewLike {
        let name: String
        let className: String
        let windowFrame: (x: Float, y: Float, width: Float, height: Float)
        let kind: NodeKind
        let accessibilityIdentifier: String?
        let maskHint: String?
        let isVisible: Bool
        let isAnimating: Bool
        let textLength: UInt32?
        let registered: String?
        let children: [VectorView]
        var childViews: [ViewLike] { children }

        init(_ m: [String: Any]) {
            name = m["name"] as? String ?? ""
            className = m["class"] as? String ?? ""
            let f = (m["frame"] as? [NSNumber] ?? []).map { $0.floatValue }
            windowFrame = (f[0], f[1], f[2], f[3])
            kind = FakeView.kind(m["kind"] as? String ?? "")
            accessibilityIdentifier = m["testId"] as? String
            maskHint = m["tag"] as? String
            isVisible = (m["visible"] as? NSNumber)?.boolValue ?? true
            isAnimating = (m["animating"] as? NSNumber)?.boolValue ?? false
            textLength = (m["textLength"] as? NSNumber)?.uint32Value
            registered = m["registered"] as? String
            children = (m["children"] as? [[String: Any]] ?? []).map(VectorView.init)
        }

        var all: [VectorView] { [self] + children.flatMap(\.all) }
    }

    func testMaskVectors() throws {
        let all = try cases("masks.json")
        XCTAssertGreaterThanOrEqual(all.count, 10)
        for c in all {
            let name = c["name"] as? String ?? "?"
            let opts = try ffi(options(c["options"] as? [String: Any] ?? [:]))
            let root = VectorView(try XCTUnwrap(c["tree"] as? [String: Any]))
            let registry = MaskRegistry()
            var byId: [UInt64: String] = [:]
            for v in root.all {
                if v.registered == "mask" { registry.mask(v) }
                if v.registered == "unmask" { registry.unmask(v) }
                byId[UInt64(UInt(bitPattern: ObjectIdentifier(v).hashValue))] = v.name
            }
            let effective = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(effectiveOptions(options: opts).utf8)) as? [String: Any])
            let budget = CaptureRequest(maxNodes: (effective["walkMaxNodes"] as? NSNumber)?.intValue ?? 0, maxSeconds: 60)
            let walked = TreeFlattener(registry: registry).flatten(root, budget)
            let expect = c["expect"] as? [String: Any] ?? [:]
            XCTAssertEqual(walked.truncated, (expect["truncated"] as? NSNumber)?.boolValue ?? false, "\(name): truncated")
            if let visited = (expect["visited"] as? NSNumber)?.intValue {
                XCTAssertEqual(walked.nodes.count, visited, "\(name): visited")
            }
            // A fresh flattener's update is its whole table (from index 0).
            XCTAssertEqual(walked.strings.base, 0)
            let eval = try evaluateMasks(nodes: walked.nodes, strings: walked.strings.added, options: opts)
            let masked = zip(walked.nodes, eval.masked).filter(\.1).map { byId[$0.0.viewId ?? 0] ?? "?" }
            XCTAssertEqual(masked.sorted(), (expect["masked"] as? [String] ?? []).sorted(), "\(name): masked nodes")
            XCTAssertEqual(eval.movingMasked, (expect["movingMasked"] as? NSNumber)?.boolValue ?? false, "\(name): moving")
            if let rects = (expect["rects"] as? NSNumber)?.intValue {
                XCTAssertEqual(eval.rects.count, rects, "\(name): rectangles")
            }
        }
    }

    func testGestureVectors() throws {
        for c in try cases("gestures.json") {
            let t = c["touch"] as? [String: NSNumber] ?? [:]
            let touch = TouchSummary(
                startX: t["startX"]?.floatValue ?? 0, startY: t["startY"]?.floatValue ?? 0,
                endX: t["endX"]?.floatValue ?? 0, endY: t["endY"]?.floatValue ?? 0,
                durationMs: t["durationMs"]?.uint64Value ?? 0, maxPointers: t["maxPointers"]?.uint32Value ?? 0)
            let got: String
            switch classifyTouch(touch: touch) {
            case .tap: got = "tap"
            case .longPress: got = "long_press"
            case .swipe: got = "swipe"
            case .pinch: got = "pinch"
            }
            XCTAssertEqual(got, c["expect"] as? String, c["name"] as? String ?? "?")
        }
    }

    func testOptionVectors() throws {
        for c in try cases("options.json") {
            let name = c["name"] as? String ?? "?"
            let opts = try ffi(options(c["options"] as? [String: Any] ?? [:]))
            if (c["error"] as? NSNumber)?.boolValue == true {
                XCTAssertThrowsError(try effectiveOptions(options: opts), name) { e in
                    guard case RejourneyError.InvalidConfig = e else { return XCTFail("\(name): \(e)") }
                }
                continue
            }
            let got = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(effectiveOptions(options: opts).utf8)) as? [String: Any])
            let want = c["expect"] as? [String: Any] ?? [:]
            XCTAssertEqual(Set(got.keys), Set(want.keys), "\(name): every effective option is in the vector")
            for (k, v) in want {
                if let a = got[k] as? NSNumber, let b = v as? NSNumber, !(v is Bool) {
                    XCTAssertEqual(a.doubleValue, b.doubleValue, accuracy: 1e-6, "\(name): \(k)")
                } else {
                    XCTAssertEqual("\(got[k] ?? "nil")", "\(v)", "\(name): \(k)")
                }
            }
        }
    }

    /// `device.json`: the device state as a wrapper reports it → the core's decision.
    func testDeviceVectors() throws {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["RJ_CONFORMANCE"], "RJ_CONFORMANCE not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("device.json"))
        let cases = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let s = try XCTUnwrap(c["state"] as? [String: Any], name)
            let thermal: ThermalState
            switch s["thermal"] as? String {
            case "nominal": thermal = .nominal
            case "fair": thermal = .fair
            case "serious": thermal = .serious
            case "critical": thermal = .critical
            default: return XCTFail("\(name): thermal")
            }
            let network: NetworkState
            switch s["network"] as? String {
            case "unknown": network = .unknown
            case "unmetered": network = .unmetered
            case "metered": network = .metered
            case "offline": network = .offline
            default: return XCTFail("\(name): network")
            }
            let state = DeviceState(
                thermal: thermal, lowPower: (s["lowPower"] as? NSNumber)?.boolValue ?? false,
                batteryLevel: (s["batteryLevel"] as? NSNumber)?.floatValue,
                charging: (s["charging"] as? NSNumber)?.boolValue ?? false, network: network)
            let got = try evaluateDevicePolicy(
                state: state, uploadOnlyOnUnmetered: (c["uploadOnlyOnUnmetered"] as? NSNumber)?.boolValue ?? false)
            let want = try XCTUnwrap(c["expected"] as? [String: Any], name)
            XCTAssertEqual(got.captureStopped, (want["captureStopped"] as? NSNumber)?.boolValue, name)
            XCTAssertEqual(Int(got.intervalFactor), (want["intervalFactor"] as? NSNumber)?.intValue, name)
            let deferred: String?
            switch got.uploadDeferred {
            case nil: deferred = nil
            case .offline?: deferred = "offline"
            case .lowBattery?: deferred = "low_battery"
            case .metered?: deferred = "metered"
            }
            XCTAssertEqual(deferred, want["uploadDeferred"] as? String, name)
        }
    }
}
