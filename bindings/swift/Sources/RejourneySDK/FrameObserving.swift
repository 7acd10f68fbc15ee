import Foundation
import RejourneyBindings

public typealias ObservedFrame = RejourneyBindings.ObservedFrame

/// A closure as the core's frame observer. Called on the SDK's observer thread.
public final class FrameCallback: FrameObserver, @unchecked Sendable {
    private let block: (ObservedFrame) -> Void
    public init(_ block: @escaping (ObservedFrame) -> Void) { self.block = block }
    public func onFrame(frame: ObservedFrame) { block(frame) }
}

public extension RejourneyClient {
    /// Debug builds only: receives every frame exactly as it is stored (the JPEG, the masks
    /// in points, `pixelsPerPoint`), on the SDK's observer thread, for the app's own privacy
    /// tests. `nil` clears it. The core cannot know how the app was built, so in a release
    /// build this registers nothing and returns false.
    @discardableResult
    func setFrameObserver(_ observer: ((ObservedFrame) -> Void)?) -> Bool {
        #if DEBUG
        do {
            try core.setFrameObserver(observer: observer.map { FrameCallback($0) })
            return true
        } catch {
            return false
        }
        #else
        return false
        #endif
    }
}
