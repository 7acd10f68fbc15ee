import Foundation
import RejourneyBindings

/// Closures as a core listener. Called on the SDK's threads, never the main thread: hop to
/// the main queue in the closure for UI work.
public final class SessionCallbacks: RejourneyListener, @unchecked Sendable {
    private let onStarted: (String) -> Void
    private let onEnded: (_ sessionId: String, _ reason: String) -> Void

    public init(
        onStarted: @escaping (String) -> Void = { _ in },
        onEnded: @escaping (_ sessionId: String, _ reason: String) -> Void = { _, _ in }
    ) {
        self.onStarted = onStarted
        self.onEnded = onEnded
    }

    public func onSessionStarted(sessionId: String) { onStarted(sessionId) }
    public func onSessionEnded(sessionId: String, reason: String) { onEnded(sessionId, reason) }
}
