// The Swift implementation as the Objective-C++ module entry sees it (iOS only: Linux has no
// Objective-C runtime; the implementation itself is tested there).
#if canImport(UIKit)
import Foundation
import UIKit
#if canImport(RejourneySDK)
import RejourneySDK  // the Swift package; in the pod the SDK is part of this module
#endif

@objc(RejourneyModuleBridge)
public final class RejourneyModuleBridge: NSObject {
    private let impl = RejourneyModuleImpl()

    /// Rejects at once for invalid options; resolves with the session id once the client is
    /// open (off the JS thread: `Rejourney.start` returns at once).
    @objc public func start(_ options: NSDictionary, resolve: @escaping (Any?) -> Void, reject: @escaping (String, String) -> Void) {
        do {
            try impl.start(options as? [String: Any] ?? [:]) { resolve($0) }
        } catch { reject("rejourney", "\(error)") }
    }
    @objc public func stop() { impl.stop() }
    @objc public func identify(_ userId: String?) { impl.identify(userId) }
    @objc public func logEvent(_ name: String, properties: NSDictionary) { impl.logEvent(name, properties: properties as? [String: Any] ?? [:]) }
    @objc public func screenChanged(_ name: String) { impl.screenChanged(name) }
    @objc public func networkRequest(_ request: NSDictionary) { impl.networkRequest(request as? [String: Any] ?? [:]) }
    @objc public func logMessage(_ level: String, message: String) { impl.logMessage(level: level, message: message) }
    @objc public func reportError(_ name: String, message: String, stack: String, fatal: Bool) -> Bool {
        impl.reportError(name: name, message: message, stack: stack, fatal: fatal)
    }
    @objc public func captureError(_ name: String, message: String, stack: String) -> Bool {
        impl.captureError(name: name, message: message, stack: stack)
    }
    @objc public func flushBuffer(_ reason: String) -> Bool { impl.flushBuffer(reason: reason) }
    @objc public func optOut() { try? impl.optOut() }
    @objc public func setConsent(_ consent: String) { try? impl.setConsent(consent) }
    @objc public func telemetryJson() -> String { impl.telemetryJson() }
    @objc public func sessionUrl() -> String? { impl.sessionUrl() }
    @objc public func tracingHeadersJson(_ url: String) -> String { impl.tracingHeadersJson(url: url) }
    /// The module's `sendEventWithName` for session events (`RejourneySession`).
    @objc public func setSessionSink(_ send: @escaping (NSDictionary) -> Void) {
        impl.sessionEvents.setSink { send($0 as NSDictionary) }
    }
    /// RCTEventEmitter's startObserving / stopObserving: JS holds a subscription or not.
    @objc public func setListening(_ on: Bool) { impl.sessionEvents.setListening(on) }
    /// The module's `sendEventWithName` for debug frames (`RejourneyFrame`).
    @objc public func setFrameSink(_ send: @escaping (NSDictionary) -> Void) {
        impl.frameEvents.setSink { send($0 as NSDictionary) }
    }
    @objc public func setFrameObserver(_ enabled: Bool) -> Bool { impl.setFrameObserver(enabled) }
    @objc public func frameObserved() { impl.frameObserved() }
}

/// `<Mask>` / `<Unmask>`: a plain view registered with the process-wide mask registry
/// (`MaskRegistry.shared`), so a `<Mask>` mounted before the asynchronous `start` finishes, or
/// one that outlives a stop and restart, is honoured. Registered from `init` (masked by
/// default), not only once in a window. The prop is `rjMasked`: `UIView.mask` is a `UIView?`.
@objc(RejourneyMaskView)
public final class RejourneyMaskView: UIView {
    @objc public var rjMasked: Bool = true {
        didSet { RejourneyMasking.set(self, masked: rjMasked) }
    }
    override public init(frame: CGRect) {
        super.init(frame: frame)
        RejourneyMasking.set(self, masked: true)
    }
    required init?(coder: NSCoder) {
        super.init(coder: coder)
        RejourneyMasking.set(self, masked: true)
    }
}

/// The mask registry for Objective-C++ (the Fabric component view registers itself here).
@objc(RejourneyMasking)
public final class RejourneyMasking: NSObject {
    @objc public static func set(_ view: UIView, masked: Bool) {
        if masked { MaskRegistry.shared.mask(view) } else { MaskRegistry.shared.unmask(view) }
    }
}
#endif
