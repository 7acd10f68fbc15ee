import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RejourneyBindings

/// Session links: the replay URL of the current session and the tracing header on the app's
/// own requests. The core decides both (`sessionUrl`, `tracingHeaders`: the header goes to
/// the hosts in `RejourneyOptions.traceHosts` only); this file only forwards and copies.
public extension RejourneyClient {
    /// Where the current session's replay is on the dashboard (nil without one that uploads).
    var sessionUrl: String? { core.sessionUrl() }

    /// The replay URL of a session id (one `SessionCallbacks` reported).
    func replayUrl(sessionId: String) -> String? { core.replayUrl(sessionId: sessionId) }

    /// The headers for a request to `url` (empty for any host not listed).
    func tracingHeaders(for url: URL) -> [String: String] { core.tracingHeaders(url: url.absoluteString) }
}

public extension Rejourney {
    /// The current session id (nil when not recording or while a client opens).
    static var sessionId: String? { shared?.sessionId }

    /// Where the current session's replay is on the dashboard.
    static var sessionUrl: String? { shared?.sessionUrl }

    /// The headers for a request to `url`: the session header for `traceHosts` only.
    static func tracingHeaders(for url: URL) -> [String: String] { shared?.tracingHeaders(for: url) ?? [:] }
}

public extension URLRequest {
    /// Adds the session header when the request's host is one of `traceHosts` and a session
    /// records. Per request on purpose: a `URLSessionConfiguration`'s `httpAdditionalHeaders`
    /// go to every host, which would hand the session id to third parties.
    mutating func addRejourneyTracing(_ client: RejourneyClient? = nil) {
        guard let url = self.url else { return }
        let headers = client.map { $0.tracingHeaders(for: url) } ?? Rejourney.tracingHeaders(for: url)
        for (k, v) in headers { setValue(v, forHTTPHeaderField: k) }
    }
}
