// The iOS adapter: reads pixels and walks views, nothing else. Every decision (when to
// capture, what to mask, whether a frame is worth sending) is made by the Rust core.
// Not compiled on Linux (no UIKit); kept thin so the tested platform-free layer carries the logic.
#if canImport(UIKit) && !os(watchOS)
import UIKit
import UIKit.UIGestureRecognizerSubclass
import WebKit
import AVFoundation
import RejourneyBindings

/// `UIView` as the tree walk sees it: UIKit values only. What they mean (visible, kind,
/// moving, text length, tag) is decided by `PlatformViewFacts`' rules, tested on Linux.
final class UIViewNode: PlatformViewFacts {
    let view: UIView
    let window: UIWindow
    init(_ view: UIView, window: UIWindow) {
        self.view = view
        self.window = window
    }

    var identity: AnyObject { view }
    var className: String { NSStringFromClass(type(of: view)) }
    /// Where the view is on screen now: `drawHierarchy(afterScreenUpdates: false)` draws what
    /// was last rendered, which mid-animation (a sheet sliding in, a cell moving) is the
    /// presentation layer, not the layout model. Masks must sit on those pixels.
    var windowFrame: (x: Float, y: Float, width: Float, height: Float) {
        let layer = view.layer.presentation() ?? view.layer
        let windowLayer = window.layer.presentation() ?? window.layer
        let r = layer.convert(layer.bounds, to: windowLayer)
        return (Float(r.origin.x), Float(r.origin.y), Float(r.size.width), Float(r.size.height))
    }
    var drawFacts: ViewDrawFacts {
        ViewDrawFacts(isHidden: view.isHidden, modelOpacity: view.layer.opacity,
                      presentationOpacity: view.layer.presentation()?.opacity,
                      width: Float(view.bounds.width), height: Float(view.bounds.height),
                      clipsToBounds: view.clipsToBounds || view.layer.masksToBounds)
    }
    /// Read once per node: `kind` and `textLength` both ask.
    lazy var classFacts: ViewClassFacts = {
        let role: ViewClassFacts.Role
        switch view {
        case let t as UITextField: role = .textField(secure: t.isSecureTextEntry)
        case let t as UITextView: role = .textView(editable: t.isEditable)
        case is UILabel: role = .label
        case is UIImageView: role = .imageView
        case is WKWebView: role = .webView
        default: role = .other
        }
        guard role == .other else { return ViewClassFacts(role: role) }
        let layers = [view.layer] + (view.layer.sublayers ?? [])
        return ViewClassFacts(role: role,
                              hasPlayerLayer: layers.contains { $0 is AVPlayerLayer },
                              hasCameraPreviewLayer: layers.contains { $0 is AVCaptureVideoPreviewLayer })
    }()
    var accessibilityIdentifier: String? { view.accessibilityIdentifier }
    var layerName: String? { view.layer.name }
    var animationKeys: [String] { view.layer.animationKeys() ?? [] }
    var textCharacters: Int {
        switch view {
        case let t as UITextField: return t.text?.count ?? 0
        case let t as UITextView: return t.text.count
        default: return 0
        }
    }
    var childViews: [ViewLike] { view.subviews.map { UIViewNode($0, window: window) } }
}

/// Captures the key window: the view walk, then `drawHierarchy(in:afterScreenUpdates: false)`
/// into an RGBA bitmap at the scale the core asks for.
final class KeyWindowSource: FrameSource {
    let flattener: TreeFlattener
    init(flattener: TreeFlattener) { self.flattener = flattener }

    func capture(_ request: CaptureRequest) -> CapturedFrame? {
        let scale = CGFloat(request.scale)
        guard let window = UIApplication.shared.connectedScenes
            .compactMap({ $0 as? UIWindowScene })
            .flatMap({ $0.windows })
            .first(where: { $0.isKeyWindow }) else { return nil }
        let size = window.bounds.size
        guard let g = CaptureGeometry(pointWidth: Double(size.width), pointHeight: Double(size.height),
                                      requestedScale: request.scale) else { return nil }
        let (w, h, bufferScale) = (g.width, g.height, CGFloat(g.scale))
        // The walk first: a frame the loop will not send (nothing visible, a walk cut short)
        // needs no pixels. Nothing runs between the walk and the draw, so both see the same
        // display frame.
        let tree = flattener.flatten(UIViewNode(window, window: window), request)
        if !tree.needsPixels {
            return CapturedFrame(pixels: Data(), width: 0, height: 0, stride: 0, format: .rgba,
                                 scale: Float(bufferScale), tree: tree)
        }
        let stride = g.stride
        var data = Data(count: stride * h)
        let drawn: Bool = data.withUnsafeMutableBytes { buf in
            guard let ctx = CGContext(
                data: buf.baseAddress, width: w, height: h, bitsPerComponent: 8, bytesPerRow: stride,
                space: CGColorSpaceCreateDeviceRGB(),
                bitmapInfo: CGImageAlphaInfo.premultipliedLast.rawValue) else { return false }
            ctx.translateBy(x: 0, y: CGFloat(h))
            ctx.scaleBy(x: bufferScale, y: -bufferScale)
            UIGraphicsPushContext(ctx)
            defer { UIGraphicsPopContext() }
            return window.drawHierarchy(in: window.bounds, afterScreenUpdates: false)
        }
        guard drawn else { return nil }
        return CapturedFrame(pixels: data, width: UInt32(w), height: UInt32(h), stride: UInt32(stride),
                             format: .rgba, scale: Float(bufferScale), tree: tree)
    }
}

/// A `Timer` in the default run-loop mode: it does not fire while a scroll view tracks
/// (`UITrackingRunLoopMode`), which is exactly when capturing would cost the most.
final class RunLoopScheduler: TickScheduler {
    private var timer: Timer?
    func schedule(after seconds: Double, _ tick: @escaping () -> Void) {
        timer?.invalidate()
        let t = Timer(timeInterval: seconds, repeats: false) { _ in tick() }
        RunLoop.main.add(t, forMode: .default)
        timer = t
    }
    func cancel() { timer?.invalidate() }
}

/// A repeating `Timer` on the main run loop in its common modes: it fires while a scroll view
/// tracks too, as the ANR heartbeat must (a scroll is not a frozen main thread).
final class CommonModesTimer: RepeatingTimer {
    private var timer: Timer?
    func start(every seconds: Double, _ fire: @escaping () -> Void) {
        timer?.invalidate()
        let t = Timer(timeInterval: seconds, repeats: true) { _ in fire() }
        RunLoop.main.add(t, forMode: .common)
        timer = t
    }
    func cancel() { timer?.invalidate() }
}

/// Observes touches on the window without taking part in them; `TouchTracker` keeps the state.
final class TouchObserver: UIGestureRecognizer {
    var onOutcome: (TouchTracker.Outcome) -> Void = { _ in }
    private let tracker = TouchTracker()

    override init(target: Any?, action: Selector?) {
        super.init(target: target, action: action)
        cancelsTouchesInView = false
        delaysTouchesBegan = false
        delaysTouchesEnded = false
    }

    private func report(_ outcome: TouchTracker.Outcome?) { if let outcome { onOutcome(outcome) } }

    override func touchesBegan(_ touches: Set<UITouch>, with event: UIEvent) {
        guard let t = touches.first else { return }
        let p = t.location(in: view)
        report(tracker.began(x: Float(p.x), y: Float(p.y), time: t.timestamp,
                             touchesDown: event.allTouches?.count ?? touches.count))
    }
    override func touchesEnded(_ touches: Set<UITouch>, with event: UIEvent) {
        if let t = touches.first {
            let p = t.location(in: view)
            report(tracker.ended(x: Float(p.x), y: Float(p.y), time: t.timestamp))
        }
        state = .failed
    }
    override func touchesCancelled(_ touches: Set<UITouch>, with event: UIEvent) {
        report(tracker.cancelled())
        state = .failed
    }
    /// UIKit resets a recognizer after it failed; a sequence still open then ended unseen.
    override func reset() {
        super.reset()
        report(tracker.cancelled())
    }
    override func canPrevent(_ preventedGestureRecognizer: UIGestureRecognizer) -> Bool { false }
    override func canBePrevented(by preventingGestureRecognizer: UIGestureRecognizer) -> Bool { false }
}

final class UIKitAdapter {
    let client: RejourneyClient
    let scheduler = RunLoopScheduler()
    var loop: CaptureLoop?
    var heartbeat: Heartbeat?
    /// Thermal, low power, battery and network, reported to the core on change.
    var device: DeviceMonitor?
    var observers: [NSObjectProtocol] = []
    /// Made on the main thread by `attachTouches` (a gesture recognizer is UIKit state; the
    /// adapter itself is created on the lifecycle queue).
    private var touches: TouchObserver?

    init(client: RejourneyClient) { self.client = client }

    static func fill(_ d: inout DeviceInfo) {
        d.platform = "ios"
        var sys = utsname()
        uname(&sys)
        d.model = withUnsafeBytes(of: &sys.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        d.osVersion = UIDevice.current.systemVersion
        d.screenWidth = Float(UIScreen.main.bounds.width)
        d.screenHeight = Float(UIScreen.main.bounds.height)
        d.screenScale = Float(UIScreen.main.scale)
    }

    /// Set by `uninstall`; read on the main thread only. An install still queued for the main
    /// thread when its client is retired must not run.
    private var cancelled = false

    func install() {
        let run = {
            if self.cancelled { return }
            let source = KeyWindowSource(flattener: TreeFlattener(registry: self.client.masks))
            let loop = CaptureLoop(core: self.client.core, source: source, scheduler: self.scheduler)
            self.loop = loop
            loop.start()
            let heartbeat = Heartbeat(core: self.client.core, timer: CommonModesTimer())
            self.heartbeat = heartbeat
            heartbeat.start()
            let device = DeviceMonitor(reporter: DeviceStateReporter(core: self.client.core))
            self.device = device
            device.start()
            self.attachTouches()
            let client = self.client
            self.observe(UIApplication.didEnterBackgroundNotification) { _ in client.appBackgrounded() }
            self.observe(UIApplication.willEnterForegroundNotification) { _ in client.appForegrounded() }
            self.observe(UIResponder.keyboardDidShowNotification) { note in
                let frame = note.userInfo?[UIResponder.keyboardFrameEndUserInfoKey] as? CGRect
                client.keyboard(shown: true, height: Float(frame?.height ?? 0))
            }
            self.observe(UIResponder.keyboardDidHideNotification) { _ in client.keyboard(shown: false) }
            self.observe(UIWindow.didBecomeKeyNotification) { [weak self] _ in self?.attachTouches() }
        }
        if Thread.isMainThread { run() } else { DispatchQueue.main.async(execute: run) }
    }

    private func observe(_ name: Notification.Name, _ body: @escaping (Notification) -> Void) {
        observers.append(NotificationCenter.default.addObserver(forName: name, object: nil, queue: .main, using: body))
    }

    func attachTouches() {
        let touches = self.touches ?? TouchObserver(target: nil, action: nil)
        self.touches = touches
        touches.onOutcome = { [client] outcome in client.apply(outcome) }
        touches.view?.removeGestureRecognizer(touches)
        let key = UIApplication.shared.connectedScenes.compactMap { $0 as? UIWindowScene }
            .flatMap { $0.windows }.first { $0.isKeyWindow }
        key?.addGestureRecognizer(touches)
    }

    /// Never waits: off the main thread the teardown is queued to it (the client is already
    /// detached, so a tick that runs meanwhile reaches a stopped core and is counted).
    func uninstall() {
        let run = {
            self.cancelled = true
            self.loop?.stop()
            self.scheduler.cancel()
            self.heartbeat?.stop()
            self.device?.stop()
            if let touches = self.touches { touches.view?.removeGestureRecognizer(touches) }
            for o in self.observers { NotificationCenter.default.removeObserver(o) }
            self.observers.removeAll()
        }
        if Thread.isMainThread { run() } else { DispatchQueue.main.async(execute: run) }
    }
}

// MARK: - Masking API

public extension UIView {
    /// Always black out this view and everything inside it in recordings.
    /// Works before `start` and across restarts (the process's `MaskRegistry.shared`).
    func rejourneyMask() { MaskRegistry.shared.mask(self) }
    /// Record this view (and its subtree) even if its kind is masked by default.
    /// Secure text fields stay masked regardless.
    func rejourneyUnmask() { MaskRegistry.shared.unmask(self) }
}
#endif

#if canImport(SwiftUI) && canImport(UIKit) && !os(watchOS)
import SwiftUI

/// A zero-cost marker view placed behind SwiftUI content: the walk finds it at the content's
/// frame and its registration decides the tag.
private struct MaskMarker: UIViewRepresentable {
    let mask: Bool
    func makeUIView(context: Context) -> UIView {
        let v = UIView()
        v.isUserInteractionEnabled = false
        v.backgroundColor = .clear
        v.accessibilityIdentifier = mask ? MaskRegistry.maskTag : MaskRegistry.unmaskTag
        return v
    }
    func updateUIView(_ uiView: UIView, context: Context) {}
}

@available(iOS 13.0, *)
public extension View {
    /// Black out this view's area in recordings.
    func rejourneyMask() -> some View { background(MaskMarker(mask: true)) }
    /// Record this view even if its kind is masked by default (secure fields stay masked).
    func rejourneyUnmask() -> some View { background(MaskMarker(mask: false)) }
}
#endif
