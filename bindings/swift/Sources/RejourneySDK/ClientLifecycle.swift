import Foundation

/// Opens and retires the process's recording client off the caller's thread, one step at a
/// time, so `Rejourney.start` and `Rejourney.stop` return at once.
///
/// Why a queue: a client's core owns its storage directory (its spool numbers files from what
/// it finds there), so a new core may open that directory only once the previous one has shut
/// down, and shutting down drains uploads for up to `drain` seconds. Done on the caller (the
/// main thread, usually) that is a frozen app for seconds; done here it is a serial queue
/// that retires the old client within its drain deadline, then opens the new one.
///
/// Calls made while a client opens (`perform`) are kept, in order, and replayed into it the
/// moment it is open, before any later call reaches it directly: a restart loses nothing
/// recorded in between. At most `pendingLimit` are kept (the option `pendingCallLimit`, whose
/// default the core holds: each `start` passes it); past it a call is dropped, counted in
/// `droppedCalls` and reported to the next client that opens (`record_wrapper_drops`), so it
/// is in that session's telemetry. Calls made while stopped are not recorded (no session).
final class ClientLifecycle: @unchecked Sendable {
    private let queue = DispatchQueue(label: "co.rejourney.lifecycle", qos: .utility)
    /// Most calls kept while a client opens (each is one event, screen or error).
    private var _pendingLimit: Int
    private let lock = NSLock()
    private var generation: UInt64 = 0
    /// The generation that should be running; nil after `stop`.
    private var wanted: UInt64?
    private var client: RejourneyClient?
    private var pending: [(RejourneyClient) -> Void] = []
    private var _droppedCalls: UInt64 = 0
    /// Of `_droppedCalls`, those already reported to a client's telemetry.
    private var _reportedDrops: UInt64 = 0
    private var _retiring = 0
    private var _openFailures: UInt64 = 0
    private var _lastOpenError: Error?

    /// Called with the lock held, just before a client becomes current: must not block or call
    /// back into this object (the UIKit adapter only dispatches its install to the main queue).
    private let didOpen: (RejourneyClient) -> Void
    /// Called on the thread that retires a client, right after it stopped being current (the
    /// UIKit adapter stops its timers and observers).
    private let willRetire: (RejourneyClient) -> Void

    /// `pendingLimit` applies until a `start` passes the options' own.
    init(pendingLimit: Int = 0,
         didOpen: @escaping (RejourneyClient) -> Void = { _ in },
         willRetire: @escaping (RejourneyClient) -> Void = { _ in }) {
        self._pendingLimit = max(0, pendingLimit)
        self.didOpen = didOpen
        self.willRetire = willRetire
    }

    /// The open client, if any (nil while one is still opening).
    var current: RejourneyClient? {
        lock.lock()
        defer { lock.unlock() }
        return client
    }

    /// Calls dropped because `pendingLimit` calls were already waiting for a client to open.
    var droppedCalls: UInt64 { locked { _droppedCalls } }
    /// The limit in force (the last `start`'s).
    var pendingLimit: Int { locked { _pendingLimit } }
    /// Clients stopped and still draining (or waiting to drain).
    var retiring: Int { locked { _retiring } }
    /// Clients that could not be opened (their options were valid: storage, threads).
    var openFailures: UInt64 { locked { _openFailures } }
    var lastOpenError: Error? { locked { _lastOpenError } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Retires the current client (if any) and opens a new one with `open`, both on the queue.
    /// `started` gets the new client once it is current, or nil if it could not be opened or
    /// was stopped or replaced first; it runs on the queue. `pendingLimit` (nil: unchanged)
    /// bounds the calls kept from now on.
    func start(drain: TimeInterval, pendingLimit: Int? = nil, open: @escaping () throws -> RejourneyClient,
               started: @escaping (RejourneyClient?) -> Void = { _ in }) {
        lock.lock()
        if let pendingLimit { _pendingLimit = max(0, pendingLimit) }
        generation += 1
        let g = generation
        wanted = g
        let previous = detachLocked()
        lock.unlock()
        if let previous { retire(previous, drain: drain) }
        queue.async { self.open(g, drain: drain, open, started) }
    }

    /// Retires the current client; a client still opening is retired as soon as it opened
    /// (after the calls made before this were replayed into it).
    func stop(drain: TimeInterval) {
        lock.lock()
        wanted = nil
        let previous = detachLocked()
        lock.unlock()
        if let previous { retire(previous, drain: drain) }
    }

    /// Runs `call` on the current client now, or, while one is opening, when it is open.
    func perform(_ call: @escaping (RejourneyClient) -> Void) {
        lock.lock()
        if let c = client, pending.isEmpty {
            lock.unlock()
            call(c)
            return
        }
        defer { lock.unlock() }
        guard wanted != nil else { return }
        guard pending.count < _pendingLimit else {
            _droppedCalls += 1
            return
        }
        pending.append(call)
    }

    /// Waits up to `timeout` until every start and stop so far has run (tests and shutdown
    /// paths; never the main thread). Returns whether they did.
    @discardableResult
    func waitIdle(timeout: TimeInterval) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        return done.wait(timeout: .now() + timeout) == .success
    }

    private func report(_ drops: UInt64, to c: RejourneyClient) {
        if drops > 0 { try? c.core.recordWrapperDrops(kind: .pendingCalls, count: drops) }
    }

    private func detachLocked() -> RejourneyClient? {
        let previous = client
        client = nil
        if previous != nil { _retiring += 1 }
        return previous
    }

    private func retire(_ c: RejourneyClient, drain: TimeInterval) {
        willRetire(c)
        queue.async {
            try? c.stop()
            c.shutdown(drain: drain)
            self.lock.lock()
            self._retiring -= 1
            self.lock.unlock()
        }
    }

    private func open(_ g: UInt64, drain: TimeInterval, _ open: () throws -> RejourneyClient,
                      _ started: (RejourneyClient?) -> Void) {
        lock.lock()
        let skip = wanted != g && (wanted != nil || pending.isEmpty)
        lock.unlock()
        // Replaced before it opened (the next start gets the waiting calls), or stopped with
        // nothing recorded meanwhile: no core to open.
        if skip { return started(nil) }
        let c: RejourneyClient
        do {
            c = try open()
        } catch {
            lock.lock()
            _openFailures += 1
            _lastOpenError = error
            // Calls made for this start (or before a stop that followed it) have no client
            // to go to; a newer start's keep waiting for it.
            if wanted == g || wanted == nil {
                _droppedCalls += UInt64(pending.count)
                pending.removeAll()
            }
            lock.unlock()
            return started(nil)
        }
        while true {
            lock.lock()
            if pending.isEmpty {
                // Every drop so far (this opening's, an earlier failed one's) goes to this
                // client's telemetry: no later call is kept for it.
                let unreported = _droppedCalls - _reportedDrops
                _reportedDrops = _droppedCalls
                if wanted == g {
                    didOpen(c)
                    client = c
                    lock.unlock()
                    report(unreported, to: c)
                    return started(c)
                }
                _retiring += 1
                lock.unlock()
                report(unreported, to: c)
                break
            }
            let calls = pending
            pending.removeAll()
            lock.unlock()
            for call in calls { call(c) }
        }
        // Stopped or replaced while opening (never current, so nothing to uninstall): what was
        // recorded is in it; drain it now.
        try? c.stop()
        c.shutdown(drain: drain)
        lock.lock()
        _retiring -= 1
        lock.unlock()
        started(nil)
    }
}
