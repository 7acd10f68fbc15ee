import Foundation
import RejourneyBindings

/// A repeating timer on the thread the heartbeat proves alive (UIKit: the main run loop in its
/// common modes, so it fires while a scroll view tracks; tests: a dispatch timer or by hand).
public protocol RepeatingTimer: AnyObject {
    func start(every seconds: Double, _ fire: @escaping () -> Void)
    func cancel()
}

/// The ANR heartbeat: tells the core's watchdog the main thread is alive, from its own timer.
///
/// Not from the capture timer: that one runs in the default run-loop mode (capturing during a
/// scroll would cost the most), backs off when captures are expensive and stops with replay,
/// so a long scroll or a replay-off session would read as a frozen main thread. This timer
/// fires in every mode at a fixed interval, whatever capture does.
public final class Heartbeat: @unchecked Sendable {
    /// Beats per second enough for any threshold the core accepts: a stall is noticed within
    /// this much of its real start.
    public static let defaultInterval: Double = 0.5

    private let core: RejourneyBindings.Rejourney
    private let timer: RepeatingTimer
    private let interval: Double
    private let lock = NSLock()
    private var _beats: UInt64 = 0
    private var _errors: UInt64 = 0

    public init(core: RejourneyBindings.Rejourney, timer: RepeatingTimer, interval: Double = Heartbeat.defaultInterval) {
        self.core = core
        self.timer = timer
        self.interval = interval.isFinite && interval > 0 ? interval : Heartbeat.defaultInterval
    }

    public var beats: UInt64 { lock.lock(); defer { lock.unlock() }; return _beats }
    /// Beats the core refused (closed): counted, never thrown on the main thread.
    public var errors: UInt64 { lock.lock(); defer { lock.unlock() }; return _errors }

    /// Beats once now (arming the watchdog), then every `interval`.
    public func start() {
        beat()
        timer.start(every: interval) { [weak self] in self?.beat() }
    }

    public func stop() { timer.cancel() }

    public func beat() {
        let ok = (try? core.heartbeat()) != nil
        lock.lock()
        if ok { _beats += 1 } else { _errors += 1 }
        lock.unlock()
    }
}

/// A `RepeatingTimer` on a dispatch queue (hosts without a run loop; tests).
public final class DispatchRepeatingTimer: RepeatingTimer, @unchecked Sendable {
    private let queue: DispatchQueue
    private let lock = NSLock()
    private var source: DispatchSourceTimer?

    public init(queue: DispatchQueue = DispatchQueue(label: "co.rejourney.heartbeat")) { self.queue = queue }

    public func start(every seconds: Double, _ fire: @escaping () -> Void) {
        let s = DispatchSource.makeTimerSource(queue: queue)
        s.schedule(deadline: .now() + seconds, repeating: seconds)
        s.setEventHandler(handler: fire)
        lock.lock()
        source?.cancel()
        source = s
        lock.unlock()
        s.resume()
    }

    public func cancel() {
        lock.lock()
        source?.cancel()
        source = nil
        lock.unlock()
    }
}
