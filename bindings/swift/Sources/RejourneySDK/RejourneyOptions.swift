import Foundation
import RejourneyBindings

/// What an app configures. Plain Swift (no UIKit) so it is tested on Linux. A `nil` tunable
/// means the Rust core's default: the core owns every default and validates every value
/// (`effectiveOptions` shows what it will run with).
public struct RejourneyOptions: Equatable, Sendable {
    public var apiKey: String
    public var apiUrl: String
    /// Seconds between captures.
    public var captureInterval: TimeInterval?
    /// Pixels per point of captured frames.
    public var captureScale: Float?
    public var jpegQuality: Float?
    /// Frames per uploaded bundle.
    public var batchSize: Int?
    /// The older name of `sessionSampleRate` (both set and different: refused by the core).
    public var sampleRate: Double?
    /// Seconds in background after which the next foreground starts a new session.
    public var backgroundTimeout: TimeInterval?
    public var maskAllText: Bool?
    public var maskAllImages: Bool?
    public var maskWebViews: Bool?
    public var maskVideo: Bool?
    /// Class names (`UITextView`, `MyApp.CardView`) masked like an `rj-mask` tag.
    public var maskedClasses: [String]
    /// Accessibility identifiers masked like an `rj-mask` tag.
    public var maskedAccessibilityIdentifiers: [String]
    /// Upper bound of the on-disk spool of pending uploads.
    public var spoolQuotaBytes: UInt64?
    /// Main-thread silence reported as an ANR, in seconds; 0 disables the watchdog.
    public var anrThreshold: TimeInterval?
    /// Network requests to these hosts (or URL prefixes) are never recorded.
    public var urlDenyList: [String]
    public var captureHierarchy: Bool?
    /// Views visited per capture before the walk stops (the frame is then dropped: fail closed).
    public var maxNodesPerCapture: Int?
    /// Main-thread seconds the walk may take per capture, same consequence.
    public var walkBudget: TimeInterval?
    /// Fraction of sessions recorded and uploaded (0...1); the remote config can only lower it.
    public var sessionSampleRate: Double?
    /// Fraction of the sessions not recorded that keep their last `bufferWindow` on the device
    /// and upload it when an error (`captureError`), an ANR or a crash happens (0...1; core
    /// default 0: off).
    public var onErrorSampleRate: Double?
    /// Seconds of recording the on-error buffer keeps (core default 30).
    public var bufferWindow: TimeInterval?
    /// Most bytes the on-error buffer keeps on disk (core default 8 MiB).
    public var bufferMaxBytes: UInt64?
    /// Seconds between captures while buffering (never faster than `captureInterval`; at most 60).
    public var bufferCaptureInterval: TimeInterval?
    /// Ask the server's `GET /api/sdk/config` at start and at each new session (the core's
    /// default: on). The server can make recording rarer or more private than these
    /// options, never less.
    public var remoteConfig: Bool?
    /// Longest a session's first capture waits for that answer when none is cached, in seconds
    /// (core default 1, at most 5).
    public var remoteConfigHold: TimeInterval?
    /// Mask every text input (core default true; unset follows the server's `textInputMasking`;
    /// secure inputs are always masked).
    public var maskTextInputs: Bool?
    // --- device policy (issue 26) ---
    /// Uploads wait on an expensive network (cellular, a personal hotspot) or in Low Data
    /// Mode until an unmetered one (core default false).
    public var uploadOnlyOnUnmetered: Bool?
    /// Uploads wait while the battery is below this level (0...1) and not charging; 0 never
    /// waits (core default 0.15).
    public var lowBatteryThreshold: Float?
    // --- session links (issue 26) ---
    /// The dashboard's origin for replay URLs (core default: `apiUrl`'s, without `api.`).
    public var dashboardUrl: String?
    /// Hosts whose requests get the `x-rejourney-session-id` header (`URLRequest.addRejourneyTracing`):
    /// exact host names, or `*.example.com` for its subdomains. No other host ever gets it.
    public var traceHosts: [String]
    /// Where touches are recorded (core default `.maskMasked`: a touch inside a masked view
    /// keeps only that view's bounds; `.hideAll`: no positions; `.show`).
    public var touchPrivacy: TouchPrivacy?
    /// Tracking consent until the user answers (core default `.granted`). An answer given
    /// with `Rejourney.setConsent` is kept on the device and wins at later launches.
    public var initialConsent: TrackingConsent?
    /// Calls (events, screens, errors) kept while `Rejourney.start` opens its client off the
    /// caller's thread; past it a call is dropped and counted in `Rejourney.droppedCalls` and
    /// in the next client's telemetry (`wrapperCallsDropped`). Core default 1000, at most 100 000.
    public var pendingCallLimit: Int?

    public init(
        apiKey: String,
        apiUrl: String = "https://api.rejourney.co",
        captureInterval: TimeInterval? = nil,
        captureScale: Float? = nil,
        jpegQuality: Float? = nil,
        batchSize: Int? = nil,
        sampleRate: Double? = nil,
        backgroundTimeout: TimeInterval? = nil,
        maskAllText: Bool? = nil,
        maskAllImages: Bool? = nil,
        maskWebViews: Bool? = nil,
        maskVideo: Bool? = nil,
        maskedClasses: [String] = [],
        maskedAccessibilityIdentifiers: [String] = [],
        spoolQuotaBytes: UInt64? = nil,
        anrThreshold: TimeInterval? = nil,
        urlDenyList: [String] = [],
        captureHierarchy: Bool? = nil,
        maxNodesPerCapture: Int? = nil,
        walkBudget: TimeInterval? = nil,
        sessionSampleRate: Double? = nil,
        onErrorSampleRate: Double? = nil,
        bufferWindow: TimeInterval? = nil,
        bufferMaxBytes: UInt64? = nil,
        bufferCaptureInterval: TimeInterval? = nil,
        remoteConfig: Bool? = nil,
        remoteConfigHold: TimeInterval? = nil,
        maskTextInputs: Bool? = nil,
        uploadOnlyOnUnmetered: Bool? = nil,
        lowBatteryThreshold: Float? = nil,
        dashboardUrl: String? = nil,
        traceHosts: [String] = [],
        touchPrivacy: TouchPrivacy? = nil,
        initialConsent: TrackingConsent? = nil,
        pendingCallLimit: Int? = nil
    ) {
        self.apiKey = apiKey
        self.apiUrl = apiUrl
        self.captureInterval = captureInterval
        self.captureScale = captureScale
        self.jpegQuality = jpegQuality
        self.batchSize = batchSize
        self.sampleRate = sampleRate
        self.backgroundTimeout = backgroundTimeout
        self.maskAllText = maskAllText
        self.maskAllImages = maskAllImages
        self.maskWebViews = maskWebViews
        self.maskVideo = maskVideo
        self.maskedClasses = maskedClasses
        self.maskedAccessibilityIdentifiers = maskedAccessibilityIdentifiers
        self.spoolQuotaBytes = spoolQuotaBytes
        self.anrThreshold = anrThreshold
        self.urlDenyList = urlDenyList
        self.captureHierarchy = captureHierarchy
        self.maxNodesPerCapture = maxNodesPerCapture
        self.walkBudget = walkBudget
        self.sessionSampleRate = sessionSampleRate
        self.onErrorSampleRate = onErrorSampleRate
        self.bufferWindow = bufferWindow
        self.bufferMaxBytes = bufferMaxBytes
        self.bufferCaptureInterval = bufferCaptureInterval
        self.remoteConfig = remoteConfig
        self.remoteConfigHold = remoteConfigHold
        self.maskTextInputs = maskTextInputs
        self.uploadOnlyOnUnmetered = uploadOnlyOnUnmetered
        self.lowBatteryThreshold = lowBatteryThreshold
        self.dashboardUrl = dashboardUrl
        self.traceHosts = traceHosts
        self.touchPrivacy = touchPrivacy
        self.initialConsent = initialConsent
        self.pendingCallLimit = pendingCallLimit
    }

    /// Durations become whole milliseconds; values no UInt64 can hold are errors here rather
    /// than a trap in the conversion (Swift traps on `UInt64(Double.nan)`).
    static func millis(_ seconds: TimeInterval, _ name: String) throws -> UInt64 {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else {
            throw RejourneySDKError.invalidOption("\(name) must be a finite, non-negative number of seconds")
        }
        return UInt64((seconds * 1000).rounded())
    }

    /// Counts become `UInt32`; a negative one is an error here (the core checks the rest).
    static func count(_ value: Int, _ name: String) throws -> UInt32 {
        guard value >= 0 else { throw RejourneySDKError.invalidOption("\(name) must not be negative") }
        return UInt32(clamping: value)
    }

    /// The FFI record, for a device id and a storage directory the SDK owns. Only type
    /// conversions happen here.
    public func toFFI(deviceId: String, storageDir: String, device: DeviceInfo = DeviceInfo()) throws
        -> RejourneyBindings.RejourneyOptions
    {
        return RejourneyBindings.RejourneyOptions(
            apiKey: apiKey,
            apiUrl: apiUrl,
            deviceId: deviceId,
            storageDir: storageDir,
            captureIntervalMs: try captureInterval.map { try Self.millis($0, "captureInterval") },
            captureScale: captureScale,
            jpegQuality: jpegQuality,
            batchSize: try batchSize.map { try Self.count($0, "batchSize") },
            sampleRate: sampleRate,
            sessionSampleRate: sessionSampleRate,
            onErrorSampleRate: onErrorSampleRate,
            bufferWindowMs: try bufferWindow.map { try Self.millis($0, "bufferWindow") },
            bufferMaxBytes: bufferMaxBytes,
            bufferCaptureIntervalMs: try bufferCaptureInterval.map { try Self.millis($0, "bufferCaptureInterval") },
            remoteConfig: remoteConfig,
            remoteConfigHoldMs: try remoteConfigHold.map { try Self.millis($0, "remoteConfigHold") },
            maskTextInputs: maskTextInputs,
            backgroundTimeoutMs: try backgroundTimeout.map { try Self.millis($0, "backgroundTimeout") },
            maskAllText: maskAllText,
            maskAllImages: maskAllImages,
            maskWebViews: maskWebViews,
            maskVideo: maskVideo,
            maskedClasses: maskedClasses,
            maskedTestIds: maskedAccessibilityIdentifiers,
            spoolQuotaBytes: spoolQuotaBytes,
            anrThresholdMs: try anrThreshold.map { try Self.millis($0, "anrThreshold") },
            urlDenyList: urlDenyList,
            captureHierarchy: captureHierarchy,
            walkMaxNodes: try maxNodesPerCapture.map { try Self.count($0, "maxNodesPerCapture") },
            walkBudgetMs: walkBudget.map { $0 * 1000 },
            platform: device.platform,
            deviceModel: device.model,
            osVersion: device.osVersion,
            appId: device.appId,
            appVersion: device.appVersion,
            screenWidth: device.screenWidth,
            screenHeight: device.screenHeight,
            screenScale: device.screenScale,
            touchPrivacy: touchPrivacy,
            uploadOnlyOnUnmetered: uploadOnlyOnUnmetered,
            lowBatteryThreshold: lowBatteryThreshold,
            dashboardUrl: dashboardUrl,
            traceHosts: traceHosts,
            initialConsent: initialConsent,
            pendingCallLimit: try pendingCallLimit.map { try Self.count($0, "pendingCallLimit") }
        )
    }
}

/// `deviceInfo` of event batches; the UIKit adapter fills it from `UIDevice` and `UIScreen`.
public struct DeviceInfo: Equatable, Sendable {
    public var platform = "ios"
    public var model = ""
    public var osVersion = ""
    public var appId = ""
    public var appVersion = ""
    public var screenWidth: Float = 0
    public var screenHeight: Float = 0
    public var screenScale: Float = 0
    public init() {}
}

/// Errors the Swift layer raises itself (the core's are `RejourneyError`).
public enum RejourneySDKError: Error, Equatable {
    case invalidOption(String)
    case notStarted
}
