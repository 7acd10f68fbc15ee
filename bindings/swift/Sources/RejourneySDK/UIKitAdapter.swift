// The iOS adapter: reads pixels and walks views, nothing else. Every decision (when to
// capture, what to mask, whether a frame is worth sending) is made by the Rust core.
// Not compiled on Linux (no UIKit); kept thin so the tested platform-free layer carries the logic.
#if canImport(UIKit) && !os(watchOS)
import UIKit
import UIKit.UIGestureRecognizerSubclass
import WebKit
import AVFoundation
import RejourneyBindings

/// `UIView` as the tree walk sees it.
final class UIViewNode: ViewLike {
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
    var kind: NodeKind {
        switch view {
        case let t as UITextField: return t.isSecureTextEntry ? .secureInput : .textInput
        case let t as UITextView: return t.isEditable ? .textInput : .text
        case is UILabel: return .text
        case is UIImageView: return .image
        case is WKWebView: return .webView
        default:
            if view.layer is AVPlayerLayer || view.layer.sublayers?.contains(where: { $0 is AVPlayerLayer }) == true {
                return .video
            }
            if view.layer is AVCaptureVideoPreviewLayer
                || view.layer.sublayers?.contains(where: { $0 is AVCaptureVideoPreviewLayer }) == true {
                return .camera
            }
            return .container
        }
    }
    var accessibilityIdentifier: String? { view.accessibilityIdentifier }
    /// Visible if either the model or what is on screen says so: a view fading in or out is
    /// walked (and masked if private) for the whole fade.
    var isVisible: Bool {
        let opacity = max(view.layer.opacity, view.layer.presentation()?.opacity ?? 0)
        return !view.isHidden && opacity > 0.01 && view.bounds.width > 0 && view.bounds.height > 0
    }
    /// An animation that can move or resize this view is running on its layer: the frame
    /// read from the presentation layer now and the pixels `drawHierarchy` drew for the last
    /// display frame may disagree; the core skips the frame when a masked view is affected.
    var isAnimating: Bool {
        guard let keys = view.layer.animationKeys(), !keys.isEmpty else { return false }
        return LayerAnimations.moveGeometry(keys)
    }
    var textLength: UInt32? {
        switch view {
        case let t as UITextField: return UInt32(clamping: t.text?.count ?? 0)
        case let t as UITextView where t.isEditable: return UInt32(clamping: t.text.count)
        default: return nil
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
        guard size.width > 0, size.height > 0 else { return nil }
        let w = Int((size.width * scale).rounded())
        // One px-per-point scale for both axes: the one of the buffer actually produced (the
        // width rounded to whole pixels); the core places every mask with it.
        let bufferScale = CGFloat(w) / size.width
        let h = Int((size.height * bufferScale).rounded())
        guard w > 0, h > 0 else { return nil }
        // The walk first: a frame the loop will not send (nothing visible, a walk cut short)
        // needs no pixels. Nothing runs between the walk and the draw, so both see the same
        // display frame.
        let tree = flattener.flatten(UIViewNode(window, window: window), request)
        if tree.truncated || tree.nodes.isEmpty {
            return CapturedFrame(pixels: Data(), width: 0, height: 0, stride: 0, format: .rgba,
                                 scale: Float(bufferScale), tree: tree)
        }
        let stride = w * 4
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

/// Observes touches on the window without taking part in them.
final class TouchObserver: UIGestureRecognizer {
    var onBegan: () -> Void = {}
    var onEnded: (TouchSummary) -> Void = { _ in }
    private var start: (CGPoint, TimeInterval)?
    private var pointers: UInt32 = 1

    override init(target: Any?, action: Selector?) {
        super.init(target: target, action: action)
        cancelsTouchesInView = false
        delaysTouchesBegan = false
        delaysTouchesEnded = false
    }

    override func touchesBegan(_ touches: Set<UITouch>, with event: UIEvent) {
        let down = UInt32(clamping: event.allTouches?.count ?? 1)
        if down > 1 {
            pointers = max(pointers, down)
            return
        }
        if let t = touches.first { start = (t.location(in: view), t.timestamp) }
        pointers = 1
        onBegan()
    }
    override func touchesEnded(_ touches: Set<UITouch>, with event: UIEvent) {
        if let t = touches.first, let (p0, t0) = start {
            // Raw facts only; the core classifies (the same thresholds on every platform).
            let p = t.location(in: view)
            let ms = UInt64(max(0, (t.timestamp - t0) * 1000).rounded())
            onEnded(TouchSummary(startX: Float(p0.x), startY: Float(p0.y), endX: Float(p.x), endY: Float(p.y),
                                 durationMs: ms, maxPointers: pointers))
        }
        start = nil
        state = .failed
    }
    override func touchesCancelled(_ touches: Set<UITouch>, with event: UIEvent) { state = .failed }
    override func canPrevent(_ preventedGestureRecognizer: UIGestureRecognizer) -> Bool { false }
    override func canBePrevented(by preventingGestureRecognizer: UIGestureRecognizer) -> Bool { false }
}

final class UIKitAdapter {
    let client: RejourneyClient
    let scheduler = RunLoopScheduler()
    var loop: CaptureLoop?
    var observers: [NSObjectProtocol] = []
    let touches = TouchObserver(target: nil, action: nil)

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

    func install() {
        let run = {
            let source = KeyWindowSource(flattener: TreeFlattener(registry: self.client.masks))
            let loop = CaptureLoop(core: self.client.core, source: source, scheduler: self.scheduler)
            self.loop = loop
            loop.start()
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
        touches.onBegan = { [client] in try? client.core.touchBegan() }
        touches.onEnded = { [client] summary in
            try? client.core.touchEnded(nowMs: client.now)
            client.touch(summary)
        }
        touches.view?.removeGestureRecognizer(touches)
        let key = UIApplication.shared.connectedScenes.compactMap { $0 as? UIWindowScene }
            .flatMap { $0.windows }.first { $0.isKeyWindow }
        key?.addGestureRecognizer(touches)
    }

    func uninstall() {
        let run = {
            self.loop?.stop()
            self.scheduler.cancel()
            self.touches.view?.removeGestureRecognizer(self.touches)
            for o in self.observers { NotificationCenter.default.removeObserver(o) }
            self.observers.removeAll()
        }
        if Thread.isMainThread { run() } else { DispatchQueue.main.sync(execute: run) }
    }
}

// MARK: - Masking API

public extension UIView {
    /// Always black out this view and everything inside it in recordings.
    func rejourneyMask() { Rejourney.shared?.masks.mask(self) }
    /// Record this view (and its subtree) even if its kind is masked by default.
    /// Secure text fields stay masked regardless.
    func rejourneyUnmask() { Rejourney.shared?.masks.unmask(self) }
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
