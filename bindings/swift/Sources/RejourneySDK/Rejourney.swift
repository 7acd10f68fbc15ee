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
/// Where touches are recorded (`tests/conformance/touch_privacy.json`).
public typealias TouchPrivacy = RejourneyBindings.TouchPrivacy
/// The user's tracking consent (`tests/conformance/consent.json`): `.pending` records on the
/// device and sends nothing, `.granted` uploads what pending kept and records on, `.denied`
/// deletes everything of the user on the device and records nothing. The core decides.
public typealias TrackingConsent = RejourneyBindings.Consent

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
    /// This reads the storage directory: `Rejourney.start` calls it off the caller's thread.
    /// `masks` is the process's registry unless a test passes its own.
    public init(
        options: RejourneyOptions,
        storageDirectory: URL,
        deviceId: String,
        device: DeviceInfo = DeviceInfo(),
        masks: MaskRegistry = .shared,
        clockMs: @escaping () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        try FileManager.default.createDirectory(at: storageDirectory, withIntermediateDirectories: true)
        let ffi = try options.toFFI(deviceId: deviceId, storageDir: storageDirectory.path, device: device)
        self.core = try RejourneyBindings.Rejourney(options: ffi)
        self.masks = masks
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
    /// Starts recording unless the user denied consent (then the core starts the session
    /// itself once the consent allows it). Returns the session id, nil when denied.
    @discardableResult
    public func startUnlessDenied() throws -> String? {
        do { return try start() } catch RejourneyError.ConsentDenied { return nil }
    }
    /// Sets the user's tracking consent (kept on the device by the core); never throws.
    public func setConsent(_ consent: TrackingConsent) { swallow { try core.setConsent(consent: consent, nowMs: now) } }
    /// The consent in force.
    public var consent: TrackingConsent { core.consent() }
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
    /// `at`: when it happened (ms), if not now (a call made while the client was opening).
    public func logEvent(_ name: String, properties: [String: Any?] = [:], at: UInt64? = nil) {
        let props = properties.mapValues(Self.eventValue)
        swallow { try core.logEvent(timestampMs: at ?? now, name: name, properties: props) }
    }

    public func log(_ message: String, level: String = "info") {
        swallow { try core.logMessage(timestampMs: now, level: level, message: message) }
    }

    public func screenChanged(_ name: String, at: UInt64? = nil) {
        swallow { try core.screenChanged(timestampMs: at ?? now, name: name) }
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
    public func captureError(name: String, message: String, stack: String = "", at: UInt64? = nil) -> Bool {
        var flushed = false
        swallow { flushed = try core.captureError(timestampMs: at ?? now, name: name, message: message, stack: stack) }
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
///
/// `start` and `stop` return at once: opening a client (it reads its storage directory) and
/// retiring one (its uploads drain for up to `drain` seconds) run on the SDK's lifecycle queue
/// (`ClientLifecycle`), never on the caller's thread. Events, screens and errors reported while
/// a client opens are kept and recorded in it once open.
public enum Rejourney {
    private static let adapters = AdapterSlot()
    static let lifecycle = ClientLifecycle(
        didOpen: { adapters.install(for: $0) },
        willRetire: { adapters.uninstall(for: $0) })

    /// The running client, once open (nil before `start`, while it opens, after `stop`).
    public static var shared: RejourneyClient? { lifecycle.current }

    /// The process's mask registry (`MaskRegistry.shared`): what `view.rejourneyMask()`
    /// registers, before `start` as well as across restarts.
    public static var maskRegistry: MaskRegistry { MaskRegistry.shared }

    /// Masks this view instance (and its subtree) in every recording from now on, started or not.
    public static func mask(_ view: AnyObject) { MaskRegistry.shared.mask(view) }
    /// Lifts kind-based masking for this view instance (secure inputs stay masked).
    public static func unmask(_ view: AnyObject) { MaskRegistry.shared.unmask(view) }

    /// Calls dropped because too many were waiting for a client to open (see `ClientLifecycle`).
    public static var droppedCalls: UInt64 { lifecycle.droppedCalls }

    /// Starts recording; calling it again replaces the running client (which drains for up to
    /// `drain` seconds first, off the caller's thread). Throws at once for invalid options;
    /// everything else happens on the lifecycle queue, and `started` is told the new client
    /// there (nil if it could not open, or was stopped or replaced first).
    /// `storageDirectory`: where the SDK keeps its files (default: Application Support,
    /// excluded from backups; see `StorageLocation`).
    public static func start(_ options: RejourneyOptions, storageDirectory: URL? = nil, drain: TimeInterval = 2,
                             started: @escaping (RejourneyClient?) -> Void = { _ in }) throws {
        // The core validates the options now, without opening anything, and says how many
        // calls to keep while the client opens.
        let ffi = try options.toFFI(deviceId: "validation", storageDir: StorageLocation.directoryName, device: DeviceInfo())
        _ = try effectiveOptions(options: ffi)
        let limit = try pendingCallLimit(options: ffi)
        _ = try RejourneyOptions.millis(drain, "drain")
        lifecycle.start(drain: drain, pendingLimit: Int(limit), open: {
            let dir = try storageDirectory ?? StorageLocation.prepare()
            let client = try RejourneyClient(options: options, storageDirectory: dir,
                                             deviceId: deviceId(in: dir), device: currentDevice())
            // A consent given before start reaches the core before anything is recorded.
            if let c = consentBeforeStart.take() { client.setConsent(c) }
            try client.startUnlessDenied()
            return client
        }, started: started)
    }

    /// Ends the session and stops capturing at once; the client's pending uploads drain for up
    /// to `drain` seconds off the caller's thread, and what is left stays stored for the next
    /// start.
    public static func stop(drain: TimeInterval = 2) {
        lifecycle.stop(drain: (try? RejourneyOptions.millis(drain, "drain")) != nil ? drain : 0)
    }

    /// Records a custom event (kept while a client opens, at the time of this call).
    public static func logEvent(_ name: String, properties: [String: Any?] = [:]) {
        let at = nowMs()
        lifecycle.perform { $0.logEvent(name, properties: properties, at: at) }
    }

    public static func identify(_ userId: String?) { lifecycle.perform { $0.identify(userId) } }

    /// The user's tracking consent, kept on the device by the core. Before `start` it is held
    /// and handed to the next client as it opens; while one opens, it is replayed into it.
    public static func setConsent(_ consent: TrackingConsent) {
        if let c = shared { return c.setConsent(consent) }
        consentBeforeStart.put(consent)
        lifecycle.perform { $0.setConsent(consent) }
    }

    /// The consent in force (nil before a client opened).
    public static var consent: TrackingConsent? { shared?.consent }

    private static let consentBeforeStart = ConsentSlot()

    /// A handled error (see `RejourneyClient.captureError`); false when not started or while a
    /// client opens (it is then recorded once open).
    @discardableResult
    public static func captureError(_ error: Error) -> Bool {
        let e = RejourneyClient.describe(error)
        return captureError(name: e.name, message: e.message, stack: Thread.callStackSymbols.joined(separator: "\n"))
    }

    @discardableResult
    public static func captureError(name: String, message: String, stack: String = "") -> Bool {
        if let c = shared { return c.captureError(name: name, message: message, stack: stack) }
        let at = nowMs()
        lifecycle.perform { _ = $0.captureError(name: name, message: message, stack: stack, at: at) }
        return false
    }

    /// Uploads the on-error buffer now (see `RejourneyClient.flushBuffer`); false when not started.
    @discardableResult
    public static func flushBuffer(reason: String = "manual") -> Bool { shared?.flushBuffer(reason: reason) ?? false }

    public static func screenChanged(_ name: String) {
        let at = nowMs()
        lifecycle.perform { $0.screenChanged(name, at: at) }
    }

    static func nowMs() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

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

/// The UIKit adapter of the current client, installed when it becomes current and removed
/// when it is retired (on Linux there is none).
final class AdapterSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var installed: (client: ObjectIdentifier, adapter: AnyObject)?

    /// Must not block: `ClientLifecycle` calls it with its lock held.
    func install(for client: RejourneyClient) {
        #if canImport(UIKit) && !os(watchOS)
        let adapter = UIKitAdapter(client: client)
        adapter.install()
        lock.lock()
        installed = (ObjectIdentifier(client), adapter)
        lock.unlock()
        #endif
    }

    func uninstall(for client: RejourneyClient) {
        lock.lock()
        let slot = installed
        if slot?.client == ObjectIdentifier(client) { installed = nil }
        lock.unlock()
        guard let slot, slot.client == ObjectIdentifier(client) else { return }
        #if canImport(UIKit) && !os(watchOS)
        (slot.adapter as? UIKitAdapter)?.uninstall()
        #endif
    }
}

/// A consent set before any client opened (the latest wins).
final class ConsentSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var value: TrackingConsent?
    func put(_ c: TrackingConsent) { lock.lock(); value = c; lock.unlock() }
    func take() -> TrackingConsent? { lock.lock(); defer { value = nil; lock.unlock() }; return value }
}
