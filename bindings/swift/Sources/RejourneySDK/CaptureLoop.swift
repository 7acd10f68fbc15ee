import Foundation
import RejourneyBindings

/// One captured frame, as the platform adapter reads it.
public struct CapturedFrame {
    public var pixels: Data
    public var width: UInt32
    public var height: UInt32
    /// Bytes per row (iOS pixel buffers pad rows).
    public var stride: UInt32
    public var format: PixelFormat
    /// Pixels per point of `pixels`.
    public var scale: Float
    /// The view walk the pixels were drawn after: its nodes and the strings they name.
    public var tree: TreeFlattener.Result

    public var nodes: [ViewNode] { tree.nodes }
    /// The view walk ran out of budget: the frame must not be sent.
    public var truncated: Bool { tree.truncated }

    public init(pixels: Data, width: UInt32, height: UInt32, stride: UInt32, format: PixelFormat,
                scale: Float, tree: TreeFlattener.Result) {
        self.pixels = pixels
        self.width = width
        self.height = height
        self.stride = stride
        self.format = format
        self.scale = scale
        self.tree = tree
    }
}

/// Reads the screen; on iOS this runs on the main thread (drawHierarchy + view walk).
public protocol FrameSource: AnyObject {
    /// nil when nothing can be captured now (no key window, not laid out).
    func capture(_ request: CaptureRequest) -> CapturedFrame?
}

/// Schedules the next tick: iOS uses a `Timer` in the default run-loop mode (so it naturally
/// pauses while a scroll view tracks), tests run ticks by hand.
public protocol TickScheduler: AnyObject {
    func schedule(after seconds: Double, _ tick: @escaping () -> Void)
}

/// The capture timer: asks the core whether to capture, captures if told to, hands the frame
/// over with the main thread's cost, then schedules itself when the core says (16 ms to 60 s,
/// the core clamps). It is not the ANR heartbeat (`Heartbeat` has its own timer: this one
/// pauses while a scroll view tracks and backs off with expensive captures). The core drives;
/// this loop only answers. Errors from the core are counted, never thrown into the host's main
/// thread.
public final class CaptureLoop: @unchecked Sendable {
    private let core: RejourneyBindings.Rejourney
    private let source: FrameSource
    private let scheduler: TickScheduler
    private let clockMs: () -> UInt64
    private let uptime: () -> Double
    private let lock = NSLock()
    private var _running = false

    public private(set) var errors: UInt64 = 0
    public private(set) var captures: UInt64 = 0
    public private(set) var partialFrames: UInt64 = 0
    /// Frames not captured because the walk saw nothing (an invisible root).
    public private(set) var emptyWalks: UInt64 = 0
    /// Frames the core refused because their strings did not continue its table (each also
    /// counted in `errors`); the walk's table started over after each.
    public private(set) var stringTableResets: UInt64 = 0

    public init(
        core: RejourneyBindings.Rejourney,
        source: FrameSource,
        scheduler: TickScheduler,
        clockMs: @escaping () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
        uptime: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.core = core
        self.source = source
        self.scheduler = scheduler
        self.clockMs = clockMs
        self.uptime = uptime
    }

    public var running: Bool {
        lock.lock()
        defer { lock.unlock() }
        return _running
    }

    public func start() {
        lock.lock()
        let was = _running
        _running = true
        lock.unlock()
        if !was { scheduler.schedule(after: 0) { [weak self] in self?.tick() } }
    }

    public func stop() {
        lock.lock()
        _running = false
        lock.unlock()
    }

    /// One timer firing. Public so tests (and the adapter's first frame) can drive it.
    public func tick() {
        guard running else { return }
        var next = 1.0
        do {
            let decision = try core.tick(nowMs: clockMs())
            next = Double(decision.nextCheckMs) / 1000
            if decision.capture {
                let t0 = uptime()
                let frame = source.capture(CaptureRequest(decision))
                try core.reportCaptureCost(ms: (uptime() - t0) * 1000)
                if let f = frame {
                    if f.nodes.isEmpty {
                        // The root is not visible: nothing on screen can be described, so no
                        // frame (the core would refuse an empty tree anyway).
                        emptyWalks += 1
                    } else if f.truncated {
                        try send(f.tree) { strings in
                            try core.submitPartialFrame(timestampMs: clockMs(), tree: NodeTree(nodes: f.nodes, strings: strings))
                        }
                        partialFrames += 1
                    } else {
                        // Borrowed for the call (no copy into a Rust buffer, no byte-by-byte
                        // lift): the core copies the pixels once.
                        try send(f.tree) { strings in
                            try core.submitFrameBuffer(
                                pixels: f.pixels, width: f.width, height: f.height, stride: f.stride,
                                format: f.format, scale: f.scale, timestampMs: clockMs(), tree: NodeTree(nodes: f.nodes, strings: strings))
                        }
                        captures += 1
                    }
                }
            }
        } catch {
            errors += 1
        }
        if running { scheduler.schedule(after: next) { [weak self] in self?.tick() } }
    }

    /// Submits a walk's nodes with the strings they name, then settles the walk's table by what
    /// the core said: a submit that returned committed them. A refused update (`StringTable`:
    /// the core's copy is not this table's, or it would pass its limits) starts a new table;
    /// the frame that carried it is lost, the next one records. After any other answer the
    /// strings stay pending and go again with the next frame: the core, which may have applied
    /// them before refusing the frame, accepts a resend of what it has.
    private func send(_ tree: TreeFlattener.Result, _ submit: (NodeStrings) throws -> Void) throws {
        do {
            try submit(tree.strings)
        } catch {
            if case RejourneyError.StringTable = error {
                tree.table.reset()
                stringTableResets += 1
            }
            throw error
        }
        tree.table.committed(tree.strings)
    }
}
