import Foundation
import RejourneyBindings

/// Closures as a core listener. Called on the thread of the call that started or ended the
/// session: the lifecycle queue for `Rejourney.start` / `stop`, the main thread for a new
/// session in a capture tick or on returning to the foreground, the caller's for `optOut`.
/// Keep them short; hop to the main queue for UI work. `RejourneyClient.replayUrl(sessionId:)`
/// turns a reported id into its replay URL.
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
