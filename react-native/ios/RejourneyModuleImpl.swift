import Foundation
#if canImport(RejourneySDK)
import RejourneySDK
#endif

/// What the React Native module does, in plain Swift (no React types) so the Linux suite
/// compiles and runs it against the Swift SDK and the real core: converts what JS sends
/// (dictionaries, numbers as `NSNumber`/`Double`) into the SDK's types and forwards. It adds
/// no capture logic. `RejourneyModuleBridge.swift` (iOS only) exposes it to the Objective-C++
/// module entry.
public final class RejourneyModuleImpl {
    /// Where the SDK keeps its files (nil: the SDK's default, Application Support).
    private let storageDirectory: URL?

    public init(storageDirectory: URL? = nil) {
        self.storageDirectory = storageDirectory
    }

    /// The process's open client (`Rejourney.shared`): nil while stopped or still opening.
    private var current: RejourneyClient? { Rejourney.shared }

    /// Errors the module rejects a JS promise with.
    public enum ModuleError: Error, Equatable {
        case invalidOptions(String)
    }

    /// Starts the process's recording through `Rejourney.start`, which returns at once (the
    /// client opens off the caller's thread, replacing a running one, and on iOS installs the
    /// UIKit adapter). Throws at once for invalid options; `started` gets the session id once
    /// the client is open (nil if it could not open, or was stopped or replaced first), on the
    /// SDK's lifecycle queue: JS's promise resolves then, the JS thread never waits.
    public func start(_ options: [String: Any], started: @escaping (String?) -> Void) throws {
        let events = sessionEvents
        let frames = frameEvents
        try Rejourney.start(try Self.options(options), storageDirectory: storageDirectory) { c in
            if let c { events.follow(c) }
            // Each start opens a new client: JS's frame observer, if it holds one, follows it.
            if let c, frames.wanted { c.setFrameObserver(frames.observe) }
            started(c?.sessionId)
        }
    }

    /// Debug frames for JS (`RejourneyFrame`): `send` is the module's `sendEventWithName`.
    public let frameEvents = FrameEventRelay()

    /// JS's first frame observer (true) or its last one removed (false): only while one is held
    /// is the core's observer attached, so nothing is copied or encoded otherwise. Returns
    /// whether frames will flow: false in a release build (the SDK's `#if DEBUG`) or before the
    /// client is open (it attaches at start).
    public func setFrameObserver(_ enabled: Bool) -> Bool {
        frameEvents.setWanted(enabled)
        guard let c = current else { return false }
        return c.setFrameObserver(enabled ? frameEvents.observe : nil) && enabled
    }

    /// JS handled one frame event.
    public func frameObserved() { frameEvents.delivered() }

    /// Session changes for JS, `{type, sessionId, replayUrl, reason}`: `send` is the module's
    /// `sendEventWithName`, called only while JS listens (`setListening`, from RCTEventEmitter's
    /// start/stopObserving: React Native counts the subscriptions).
    public let sessionEvents = SessionEventRelay()

    /// Ends the session and stops capturing; uploads drain off the caller's thread.
    public func stop() {
        current?.setFrameObserver(nil)
        Rejourney.stop()
    }

    // Identity, events and screens made while the client opens are kept and replayed into it
    // (the SDK's lifecycle), so a JS app that does not await `start` loses none of them.
    public func identify(_ userId: String?) { Rejourney.identify(userId) }

    public func logEvent(_ name: String, properties: [String: Any]) {
        Rejourney.logEvent(name, properties: properties.mapValues { Self.value($0) })
    }

    public func screenChanged(_ name: String) { Rejourney.screenChanged(name) }

    public func networkRequest(_ r: [String: Any]) {
        guard let method = r["method"] as? String, let url = r["url"] as? String else { return }
        func count(_ k: String) -> UInt64? {
            guard let d = (r[k] as? NSNumber)?.doubleValue, d.isFinite, d >= 0, d < 1e18 else { return nil }
            return UInt64(d)
        }
        let status = (r["statusCode"] as? NSNumber)?.intValue
        let duration = (r["durationMs"] as? NSNumber)?.doubleValue ?? 0
        current?.networkRequest(NetworkRequestInfo(
            method: method, url: url,
            statusCode: status.flatMap { (0...65535).contains($0) ? UInt16($0) : nil },
            durationMs: duration.isFinite ? duration : 0,
            requestBytes: count("requestBytes"), responseBytes: count("responseBytes"),
            error: r["error"] as? String))
    }

    public func logMessage(level: String, message: String) { current?.log(message, level: level) }

    /// A JS error: a fatal one is a crash fault (on disk before this returns, linked to the
    /// session); a caught or non-fatal one goes through `captureError` (an error event with its
    /// stack, not a crash) and returns true once recorded.
    public func reportError(name: String, message: String, stack: String, fatal: Bool) -> Bool {
        guard let c = current else { return false }
        if fatal {
            return c.recordCrash(name: name, reason: message, stack: stack.split(separator: "\n").map(String.init))
        }
        return (try? c.core.captureError(timestampMs: c.now, name: name, message: message, stack: stack)) != nil
    }

    /// A handled JS error: an error event with its stack; uploads the session's on-error
    /// buffer if it is buffering. Returns whether a buffer was uploaded.
    public func captureError(name: String, message: String, stack: String) -> Bool {
        current?.captureError(name: name, message: message, stack: stack) ?? false
    }

    /// Uploads the session's on-error buffer now; returns whether it was buffering.
    public func flushBuffer(reason: String) -> Bool { current?.flushBuffer(reason: reason) ?? false }

    public func optOut() throws { try current?.core.optOut(nowMs: current?.now ?? 0) }

    /// `pending`, `granted` or `denied` (validated in JS; anything else is refused here too).
    /// Before `start` the SDK holds it for the client that opens next.
    public func setConsent(_ consent: String) throws { Rejourney.setConsent(try Self.consent(consent)) }

    static func consent(_ s: String) throws -> TrackingConsent {
        switch s {
        case "pending": return .pending
        case "granted": return .granted
        case "denied": return .denied
        default: throw ModuleError.invalidOptions("consent must be pending, granted or denied")
        }
    }

    static func touchPrivacy(_ s: String) throws -> TouchPrivacy {
        switch s {
        case "mask_masked": return .maskMasked
        case "hide_all": return .hideAll
        case "show": return .show
        default: throw ModuleError.invalidOptions("touchPrivacy must be mask_masked, hide_all or show")
        }
    }

    public func telemetryJson() -> String { (try? current?.telemetry().json) ?? "{}" }
    /// Session links (the core decides; issue 26).
    public func sessionUrl() -> String? { current?.sessionUrl }
    public func tracingHeadersJson(url: String) -> String {
        guard let u = URL(string: url), let h = current?.tracingHeaders(for: u),
              let data = try? JSONSerialization.data(withJSONObject: h) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The SDK options from what JS sent (validated there; the core validates again). Absent
    /// keys stay nil: the core's default. JS sends milliseconds, the Swift SDK takes seconds.
    public static func options(_ m: [String: Any]) throws -> RejourneyOptions {
        func num(_ k: String) -> Double? { (m[k] as? NSNumber)?.doubleValue ?? (m[k] as? Double) }
        func flag(_ k: String) -> Bool? { (m[k] as? NSNumber)?.boolValue ?? (m[k] as? Bool) }
        func list(_ k: String) -> [String] { (m[k] as? [Any])?.compactMap { $0 as? String } ?? [] }
        guard let apiKey = m["apiKey"] as? String, !apiKey.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ModuleError.invalidOptions("apiKey is required")
        }
        return RejourneyOptions(
            apiKey: apiKey,
            apiUrl: m["apiUrl"] as? String ?? "https://api.rejourney.co",
            captureInterval: num("captureIntervalMs").map { $0 / 1000 },
            captureScale: num("captureScale").map { Float($0) },
            jpegQuality: num("jpegQuality").map { Float($0) },
            sampleRate: num("sampleRate"),
            backgroundTimeout: num("backgroundTimeoutMs").map { $0 / 1000 },
            maskAllText: flag("maskAllText"),
            maskAllImages: flag("maskAllImages"),
            maskWebViews: flag("maskWebViews"),
            maskVideo: flag("maskVideo"),
            maskedClasses: list("maskedClasses"),
            maskedAccessibilityIdentifiers: list("maskedTestIds"),
            anrThreshold: num("anrThresholdMs").map { $0 / 1000 },
            urlDenyList: list("urlDenyList"),
            captureHierarchy: flag("captureHierarchy"),
            sessionSampleRate: num("sessionSampleRate"),
            onErrorSampleRate: num("onErrorSampleRate"),
            bufferWindow: num("bufferWindowMs").map { $0 / 1000 },
            bufferMaxBytes: num("bufferMaxBytes").flatMap { $0.isFinite && $0 >= 0 && $0 < 1.8e19 ? UInt64($0) : nil },
            bufferCaptureInterval: num("bufferCaptureIntervalMs").map { $0 / 1000 },
            remoteConfig: flag("remoteConfig"),
            remoteConfigHold: num("remoteConfigHoldMs").map { $0 / 1000 },
            maskTextInputs: flag("maskTextInputs"),
            uploadOnlyOnUnmetered: flag("uploadOnlyOnUnmetered"),
            lowBatteryThreshold: num("lowBatteryThreshold").map { Float($0) },
            dashboardUrl: m["dashboardUrl"] as? String,
            traceHosts: list("traceHosts"),
            touchPrivacy: try (m["touchPrivacy"] as? String).map(Self.touchPrivacy),
            initialConsent: try (m["initialConsent"] as? String).map(Self.consent),
            pendingCallLimit: num("pendingCallLimit").flatMap { $0.isFinite && $0 >= 0 && $0 <= 1e9 ? Int($0) : nil })
    }

    /// A JS property value: strings, finite numbers, booleans, null; anything else as text.
    static func value(_ v: Any) -> Any? {
        switch v {
        case is NSNull: return nil
        case let b as Bool: return b
        case let n as NSNumber: return n.doubleValue.isFinite ? n.doubleValue : nil
        case let d as Double: return d.isFinite ? d : nil
        case let s as String: return s
        default: return String(describing: v)
        }
    }
}

/// Relays the core's session listener to JS as plain dictionaries. The Swift SDK opens its
/// client and starts the session before a listener can be set on it, so the open client's
/// session is announced here once (`follow`) and the core's own callbacks report every later
/// start and end (rotations, stop, opt-out, consent denial). Nothing is sent while JS does not
/// listen; a sink that throws cannot (Swift closures do not), and none of it blocks the core.
public final class SessionEventRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var send: (([String: Any]) -> Void)?
    private var listening = false
    /// The replay URL each running session was announced with; its end repeats it.
    private var urls: [String: String] = [:]
    private static let maxLiveSessions = 8

    public init() {}

    public func setSink(_ send: (([String: Any]) -> Void)?) { lock.lock(); self.send = send; lock.unlock() }
    public func setListening(_ on: Bool) { lock.lock(); listening = on; lock.unlock() }

    /// Listens to `client`'s core and announces its current session.
    func follow(_ client: RejourneyClient) {
        try? client.setCallbacks(SessionCallbacks(
            onStarted: { [weak self, weak client] id in self?.started(id, url: client.flatMap { SessionEventRelay.link($0, id) }) },
            onEnded: { [weak self] id, reason in self?.ended(id, reason: reason) }))
        if let id = client.sessionId { started(id, url: Self.link(client, id)) }
    }

    /// The URL only while the core gives it for this session (uploaded: not sampled out,
    /// consent granted).
    static func link(_ c: RejourneyClient, _ id: String) -> String? {
        guard let current = c.sessionUrl, current == c.replayUrl(sessionId: id) else { return nil }
        return current
    }

    func started(_ id: String, url: String?) {
        lock.lock()
        if urls.count >= Self.maxLiveSessions { urls.removeAll() }
        if let url { urls[id] = url }
        lock.unlock()
        emit(["type": "started", "sessionId": id, "replayUrl": url.map { $0 as Any } ?? NSNull(), "reason": NSNull()])
    }

    func ended(_ id: String, reason: String) {
        lock.lock()
        let url = urls.removeValue(forKey: id)
        lock.unlock()
        emit(["type": "ended", "sessionId": id, "replayUrl": url.map { $0 as Any } ?? NSNull(), "reason": reason])
    }

    private func emit(_ event: [String: Any]) {
        lock.lock()
        let sink = listening ? send : nil
        lock.unlock()
        sink?(event)
    }
}

/// Observed frames for JS as plain dictionaries: `{sessionId, timestampMs, width, height,
/// pixelsPerPoint, jpegBase64, masks: [{x, y, width, height}], droppedFrames}`. Called on the
/// core's observer thread. Bounded: at most `maxInFlight` events wait for JS's acknowledgement
/// (`frameObserved`); past it a frame is dropped before it is encoded, and counted. Nothing is
/// encoded unless JS asked for frames.
public final class FrameEventRelay: @unchecked Sendable {
    /// The core's own observer queue (`OBSERVER_QUEUE`) holds 8 too.
    public static let maxInFlight = 8
    private let lock = NSLock()
    private var send: (([String: Any]) -> Void)?
    private var isWanted = false
    private var inFlight = 0
    private var dropped: UInt64 = 0

    public init() {}

    public var wanted: Bool { lock.lock(); defer { lock.unlock() }; return isWanted }
    public var droppedFrames: UInt64 { lock.lock(); defer { lock.unlock() }; return dropped }

    public func setSink(_ send: (([String: Any]) -> Void)?) { lock.lock(); self.send = send; lock.unlock() }

    /// A new JS subscription (or none) also forgets acknowledgements owed by an earlier one.
    public func setWanted(_ on: Bool) { lock.lock(); isWanted = on; inFlight = 0; lock.unlock() }

    public func delivered() { lock.lock(); inFlight = max(0, inFlight - 1); lock.unlock() }

    public var observe: (ObservedFrame) -> Void { { [weak self] f in self?.frame(f) } }

    func frame(_ f: ObservedFrame) {
        lock.lock()
        guard isWanted, let sink = send else { lock.unlock(); return }
        if inFlight >= Self.maxInFlight {
            dropped += 1
            lock.unlock()
            return
        }
        inFlight += 1
        let droppedSoFar = dropped
        lock.unlock()
        sink([
            "sessionId": f.sessionId,
            "timestampMs": Double(f.timestampMs),
            "width": Double(f.width),
            "height": Double(f.height),
            "pixelsPerPoint": Double(f.pixelsPerPoint),
            "jpegBase64": f.jpeg.base64EncodedString(),
            "masks": f.masks.map { ["x": Double($0.x), "y": Double($0.y), "width": Double($0.width), "height": Double($0.height)] },
            "droppedFrames": Double(droppedSoFar),
        ])
    }
}
