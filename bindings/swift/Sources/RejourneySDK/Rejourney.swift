import Foundation
import RejourneyBindings

public typealias EventValue = RejourneyBindings.EventValue
public typealias Gesture = RejourneyBindings.Gesture
public typealias TouchSummary = RejourneyBindings.TouchSummary
public typealias NodeKind = RejourneyBindings.NodeKind
public typealias MaskTag = RejourneyBindings.MaskTag
public typealias ViewNode = RejourneyBindings.ViewNode
public typealias NodeStrings = RejourneyBindings.NodeStrings
public typealias NodeTree = RejourneyBindings.NodeTree
public typealias PixelFormat = RejourneyBindings.PixelFormat
public typealias Telemetry = RejourneyBindings.Telemetry
public typealias RejourneyError = RejourneyBindings.RejourneyError
public typealias NetworkRequestInfo = RejourneyBindings.NetworkRequestInfo
public typealias MaskRect = RejourneyBindings.MaskRect
public typealias CaptureDecision = RejourneyBindings.CaptureDecision

/// One recording client: the Rust core plus the Swift-side mask registry. Every method is
/// safe from any thread and never throws into the app for events (an invalid event is
/// counted and dropped); lifecycle calls throw `RejourneyError` for the host to log.
public final class RejourneyClient: @unchecked Sendable {
    public let core: RejourneyBindings.Rejourney
    public let masks: MaskRegistry
    public let options: RejourneyOptions
    private let clockMs: () -> UInt64
    private let lock = NSLock()
    private var _droppedEvents: UInt64 = 0

    /// Opens the core (validating everything, resuming any spooled uploads of earlier runs).
    public init(
        options: RejourneyOptions,
        storageDirectory: URL,
        deviceId: String,
        device: DeviceInfo = DeviceInfo(),
        clockMs: @escaping () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        try FileManager.default.createDirectory(at: storageDirectory, withIntermediateDirectories: true)
        let ffi = try options.toFFI(deviceId: deviceId, storageDir: storageDirectory.path, device: device)
        self.core = try RejourneyBindings.Rejourney(options: ffi)
        self.masks = MaskRegistry()
        self.options = options
        self.clockMs = clockMs
    }

    public var now: UInt64 { clockMs() }

    /// Events the Swift layer refused (invalid names or values): counted, never thrown.
    public var droppedEvents: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return _droppedEvents
    }

    private func swallow(_ body: () throws -> Void) {
        do { try body() } catch {
            lock.lock()
            _droppedEvents += 1
            lock.unlock()
        }
    }

    @discardableResult
    public func start() throws -> String { try core.start(nowMs: now) }
    public func stop() throws { try core.stop(nowMs: now) }
    public var sessionId: String? { core.sessionId() }
    public func telemetry() throws -> Telemetry { try core.telemetry() }

    /// Waits up to `timeout` for everything recorded so far to be delivered.
    @discardableResult
    public func flush(timeout: TimeInterval) throws -> Bool {
        try core.flush(timeoutMs: try RejourneyOptions.millis(timeout, "timeout"))
    }

    public func shutdown(drain: TimeInterval = 2) {
        let ms = (try? RejourneyOptions.millis(drain, "drain")) ?? 0
        try? core.shutdown(drainMs: ms)
    }

    public func setCallbacks(_ callbacks: SessionCallbacks?) throws {
        try core.setListener(listener: callbacks)
    }

    public func identify(_ userId: String?) { swallow { try core.identify(userId: userId) } }

    /// A custom event. Property values may be String, Bool, any integer or floating type, or
    /// nil/NSNull; anything else is recorded as its description.
    public func logEvent(_ name: String, properties: [String: Any?] = [:]) {
        let props = properties.mapValues(Self.eventValue)
        swallow { try core.logEvent(timestampMs: now, name: name, properties: props) }
    }

    public func log(_ message: String, level: String = "info") {
        swallow { try core.logMessage(timestampMs: now, level: level, message: message) }
    }

    public func screenChanged(_ name: String) {
        swallow { try core.screenChanged(timestampMs: now, name: name) }
    }

    /// `interactive`: whether the touched view is a control (nil: unknown, never a dead tap).
    public func gesture(_ kind: Gesture, x: Float, y: Float, target: String? = nil, interactive: Bool? = nil) {
        swallow { try core.trackGesture(kind: kind, timestampMs: now, x: x, y: y, target: target, interactive: interactive) }
    }

    /// A finished touch sequence (points): the core classifies it and records the gesture.
    public func touch(_ summary: TouchSummary, target: String? = nil, interactive: Bool? = nil) {
        swallow { _ = try core.trackTouch(timestampMs: now, touch: summary, target: target, interactive: interactive) }
    }

    /// Masks every view of this class (qualified or simple name) from the next frame on.
    public func maskClass(_ name: String) { swallow { try core.maskClass(className: name) } }

    /// Masks views with this accessibility identifier from the next frame on.
    public func maskAccessibilityIdentifier(_ id: String) { swallow { try core.maskTestId(testId: id) } }

    public func networkRequest(_ request: NetworkRequestInfo) {
        swallow { _ = try core.networkRequest(timestampMs: now, request: request) }
    }

    public func keyboard(shown: Bool, height: Float = 0) {
        swallow {
            if shown {
                try core.keyboardShown(timestampMs: now, height: height)
            } else {
                try core.keyboardHidden(timestampMs: now)
            }
        }
    }

    public func appBackgrounded() { swallow { try core.appBackgrounded(nowMs: now) } }
    public func appForegrounded() { swallow { try core.appForegrounded(nowMs: now) } }

    /// A handled error: recorded in the session's event stream with its stack and, when this
    /// session is buffering (`onErrorSampleRate`), its on-error buffer is uploaded and the rest
    /// of the session recorded. Returns whether a buffer was uploaded. Never throws (a refusal,
    /// e.g. not started, is counted in `droppedEvents` and returns false).
    @discardableResult
    public func captureError(name: String, message: String, stack: String = "") -> Bool {
        var flushed = false
        swallow { flushed = try core.captureError(timestampMs: now, name: name, message: message, stack: stack) }
        return flushed
    }

    /// `captureError` for a Swift `Error`: its type, its description and the stack of the call
    /// site (a Swift error carries no stack of its own).
    @discardableResult
    public func captureError(_ error: Error) -> Bool {
        let e = Self.describe(error)
        return captureError(name: e.name, message: e.message, stack: Thread.callStackSymbols.joined(separator: "\n"))
    }

    /// Uploads this session's on-error buffer now (a manual trigger, e.g. "support"), after
    /// which the session is recorded normally. Returns whether it was buffering; never throws
    /// and never waits on the network.
    @discardableResult
    public func flushBuffer(reason: String = "manual") -> Bool {
        (try? core.flushBuffer(reason: reason)) ?? false
    }

    /// Waits up to `timeout` for the remote config fetch in flight (tests and demos; never on
    /// the main thread). Returns whether it settled (true when remote config is off).
    @discardableResult
    public func waitRemoteConfig(timeout: TimeInterval) -> Bool {
        let ms = (try? RejourneyOptions.millis(timeout, "timeout")) ?? 0
        return (try? core.waitRemoteConfig(timeoutMs: ms)) ?? false
    }

    /// An error's type and message as `captureError` reports them: `NSError`s by domain and
    /// code with their localized description, Swift errors by their type and description.
    static func describe(_ error: Error) -> (name: String, message: String) {
        if type(of: error) is NSError.Type {
            let ns = error as NSError
            return ("\(ns.domain) \(ns.code)", ns.localizedDescription)
        }
        return (String(reflecting: type(of: error)), String(describing: error))
    }

    /// From a crash handler: written to disk before this returns, sent on the next launch.
    @discardableResult
    public func recordCrash(name: String, reason: String, stack: [String], timeout: TimeInterval = 1) -> Bool {
        let ms = (try? RejourneyOptions.millis(timeout, "timeout")) ?? 1000
        return (try? core.recordCrash(timestampMs: now, name: name, reason: reason,
                                      stack: stack.joined(separator: "\n"), timeoutMs: ms)) ?? false
    }

    static func eventValue(_ any: Any?) -> EventValue {
        guard let any else { return .null }
        switch any {
        case let s as String: return .text(value: s)
        case let b as Bool: return .flag(value: b)
        case let i as Int: return .number(value: Double(i))
        case let i as Int64: return .number(value: Double(i))
        case let i as Int32: return .number(value: Double(i))
        case let u as UInt: return .number(value: Double(u))
        case let u as UInt64: return .number(value: Double(u))
        case let d as Double: return .number(value: d)
        case let f as Float: return .number(value: Double(f))
        case is NSNull: return .null
        case let v as EventValue: return v
        default: return .text(value: String(describing: any))
        }
    }
}

/// The app-facing entry point: `try Rejourney.start(RejourneyOptions(apiKey: "pk_..."))`.
/// On iOS this also installs the UIKit adapter (capture timer, touches, lifecycle).
public enum Rejourney {
    private static let lock = NSLock()
    private static var _shared: RejourneyClient?
    private static var _adapter: AnyObject?

    public static var shared: RejourneyClient? {
        lock.lock()
        defer { lock.unlock() }
        return _shared
    }

    /// Starts recording. Calling it again replaces the running client.
    @discardableResult
    public static func start(_ options: RejourneyOptions, storageDirectory: URL? = nil) throws -> RejourneyClient {
        stop()
        let dir = storageDirectory ?? defaultStorageDirectory()
        let client = try RejourneyClient(options: options, storageDirectory: dir,
                                         deviceId: deviceId(in: dir), device: currentDevice())
        try client.start()
        lock.lock()
        _shared = client
        lock.unlock()
        #if canImport(UIKit) && !os(watchOS)
        let adapter = UIKitAdapter(client: client)
        adapter.install()
        lock.lock()
        _adapter = adapter
        lock.unlock()
        #endif
        return client
    }

    /// Ends the session and stops capturing; pending uploads continue in the background.
    public static func stop() {
        lock.lock()
        let (client, adapter) = (_shared, _adapter)
        _shared = nil
        _adapter = nil
        lock.unlock()
        #if canImport(UIKit) && !os(watchOS)
        (adapter as? UIKitAdapter)?.uninstall()
        #else
        _ = adapter
        #endif
        try? client?.stop()
        client?.shutdown(drain: 2)
    }

    public static func logEvent(_ name: String, properties: [String: Any?] = [:]) {
        shared?.logEvent(name, properties: properties)
    }

    public static func identify(_ userId: String?) { shared?.identify(userId) }

    /// A handled error (see `RejourneyClient.captureError`); false when not started.
    @discardableResult
    public static func captureError(_ error: Error) -> Bool { shared?.captureError(error) ?? false }

    @discardableResult
    public static func captureError(name: String, message: String, stack: String = "") -> Bool {
        shared?.captureError(name: name, message: message, stack: stack) ?? false
    }

    /// Uploads the on-error buffer now (see `RejourneyClient.flushBuffer`); false when not started.
    @discardableResult
    public static func flushBuffer(reason: String = "manual") -> Bool { shared?.flushBuffer(reason: reason) ?? false }

    public static func screenChanged(_ name: String) { shared?.screenChanged(name) }

    static func defaultStorageDirectory() -> URL {
        let base = FileManager.default.urls(for: .cachesDirectory, in: .userDomainMask).first
            ?? FileManager.default.temporaryDirectory
        return base.appendingPathComponent("rejourney", isDirectory: true)
    }

    /// A random id kept in the SDK's directory: stable per install, tied to nothing personal.
    static func deviceId(in dir: URL) -> String {
        let file = dir.appendingPathComponent("device-id")
        if let id = try? String(contentsOf: file, encoding: .utf8), id.count == 36 { return id }
        let id = UUID().uuidString.lowercased()
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? id.write(to: file, atomically: true, encoding: .utf8)
        return id
    }

    static func currentDevice() -> DeviceInfo {
        var d = DeviceInfo()
        let info = Bundle.main.infoDictionary
        d.appId = Bundle.main.bundleIdentifier ?? ""
        d.appVersion = info?["CFBundleShortVersionString"] as? String ?? ""
        d.osVersion = ProcessInfo.processInfo.operatingSystemVersionString
        #if canImport(UIKit) && !os(watchOS)
        UIKitAdapter.fill(&d)
        #else
        d.platform = "ios"
        #endif
        return d
    }
}
