import Foundation
import RejourneyBindings

/// One touch interaction as the window's observer sees it, reduced to what the core needs:
/// when it starts (capture pauses), when it ends with the raw facts of the touch sequence
/// (the core classifies the gesture, with the same thresholds on every platform), and when the
/// system cancels it (a call, a system gesture, a scroll view taking over): that ends the
/// interaction too, with no gesture, or capture would stay paused until some later touch
/// completed. Plain Swift so the states are tested on Linux; UIKit only feeds it. Not
/// thread-safe: used on the main thread, like the touches it is told about.
public final class TouchTracker {
    /// What to tell the core.
    public enum Outcome: Equatable {
        /// A new interaction: `touchBegan`.
        case began
        /// The interaction ended: `touchEnded`, then the touch (gesture) itself.
        case ended(TouchSummary)
        /// The interaction was cancelled: `touchEnded`, no gesture.
        case cancelled
    }

    private var start: (x: Float, y: Float, time: Double)?
    private var pointers: UInt32 = 1

    public init() {}

    /// Whether an interaction is in progress.
    public var isTouching: Bool { start != nil }

    /// A touch went down; `touchesDown` counts every finger on the screen now. A second
    /// finger joins the interaction in progress (it only raises the pointer count).
    public func began(x: Float, y: Float, time: Double, touchesDown: Int) -> Outcome? {
        if touchesDown > 1, start != nil {
            pointers = max(pointers, UInt32(clamping: touchesDown))
            return nil
        }
        start = (x, y, time)
        pointers = UInt32(clamping: max(1, touchesDown))
        return .began
    }

    /// A touch lifted: the first lift ends the interaction; later lifts of the same sequence
    /// report nothing.
    public func ended(x: Float, y: Float, time: Double) -> Outcome? {
        guard let s = start else { return nil }
        start = nil
        let ms = max(0, (time - s.time) * 1000).rounded().clampedToUInt64
        return .ended(TouchSummary(startX: s.x, startY: s.y, endX: x, endY: y, durationMs: ms, maxPointers: pointers))
    }

    /// The system cancelled the touches (or the observer was reset mid-sequence).
    public func cancelled() -> Outcome? {
        guard start != nil else { return nil }
        start = nil
        return .cancelled
    }
}

extension Double {
    /// Finite, non-negative values below 2^64 as they are; anything else 0 (a touch time from
    /// a broken clock must not trap).
    var clampedToUInt64: UInt64 {
        guard isFinite, self >= 0, self < 1.8e19 else { return 0 }
        return UInt64(self)
    }
}

public extension RejourneyClient {
    /// What a `TouchTracker` outcome means for the core: pause capture while touching, end
    /// the pause (and record the gesture) when the interaction ends or is cancelled. Never
    /// throws into the app (a refusal is counted in `droppedEvents`).
    func apply(_ outcome: TouchTracker.Outcome) {
        switch outcome {
        case .began:
            try? core.touchBegan()
        case .ended(let summary):
            try? core.touchEnded(nowMs: now)
            touch(summary)
        case .cancelled:
            try? core.touchEnded(nowMs: now)
        }
    }
}
