import Foundation
import RejourneyBindings

public typealias DeviceState = RejourneyBindings.DeviceState
public typealias DeviceDecision = RejourneyBindings.DeviceDecision

/// What iOS says about the device, in iOS's own encodings, so the mapping is plain Swift and
/// tested on Linux: the UIKit / Network half (`DeviceMonitor`) only copies values in.
public struct DeviceReadings: Equatable, Sendable {
    /// `ProcessInfo.ThermalState.rawValue`: 0 nominal, 1 fair, 2 serious, 3 critical.
    public var thermalRaw: Int = 0
    /// `ProcessInfo.isLowPowerModeEnabled`.
    public var lowPowerMode: Bool = false
    /// `UIDevice.batteryLevel`: 0...1, or -1 when unknown (monitoring off, the simulator).
    public var batteryLevel: Float = -1
    /// `UIDevice.BatteryState.rawValue`: 0 unknown, 1 unplugged, 2 charging, 3 full.
    public var batteryStateRaw: Int = 0
    /// The current `NWPath` (nil until `NWPathMonitor` reported one).
    public var path: PathReading?

    public init() {}
}

/// The fields of an `NWPath` the policy needs.
public struct PathReading: Equatable, Sendable {
    /// `status == .satisfied`.
    public var satisfied: Bool
    /// `isExpensive`: cellular, a personal hotspot.
    public var isExpensive: Bool
    /// `isConstrained`: Low Data Mode.
    public var isConstrained: Bool

    public init(satisfied: Bool, isExpensive: Bool, isConstrained: Bool) {
        self.satisfied = satisfied
        self.isExpensive = isExpensive
        self.isConstrained = isConstrained
    }
}

/// Maps the readings to the FFI's `DeviceState` and reports it to the core only when it
/// changed. It decides nothing: what a state means (throttle, stop, defer) is the core's
/// device policy (`tests/conformance/device.json`).
public final class DeviceStateReporter: @unchecked Sendable {
    private let report: (DeviceState) throws -> Void
    private let lock = NSLock()
    private var readings = DeviceReadings()
    private var last: DeviceState?
    private var _reports: UInt64 = 0
    private var _failures: UInt64 = 0

    /// `report` is the core's `deviceState` (or a test's sink).
    public init(report: @escaping (DeviceState) throws -> Void) { self.report = report }

    public convenience init(core: RejourneyBindings.Rejourney) {
        self.init(report: { _ = try core.deviceState(state: $0) })
    }

    /// The state iOS's values mean. A thermal value iOS may add later, above critical, is
    /// treated as critical (the hotter side); a battery level outside 0...1 is unknown.
    public static func state(_ r: DeviceReadings) -> DeviceState {
        let thermal: ThermalState
        switch r.thermalRaw {
        case ..<1: thermal = .nominal
        case 1: thermal = .fair
        case 2: thermal = .serious
        default: thermal = .critical
        }
        let level: Float? = r.batteryLevel.isFinite && (0...1).contains(r.batteryLevel) ? r.batteryLevel : nil
        let network: NetworkState
        switch r.path {
        case nil: network = .unknown
        case let p? where !p.satisfied: network = .offline
        case let p? where p.isExpensive || p.isConstrained: network = .metered
        default: network = .unmetered
        }
        return DeviceState(thermal: thermal, lowPower: r.lowPowerMode, batteryLevel: level,
                           charging: r.batteryStateRaw == 2 || r.batteryStateRaw == 3, network: network)
    }

    /// Field by field (the generated record's conformances are the generator's choice).
    static func same(_ a: DeviceState, _ b: DeviceState) -> Bool {
        a.thermal == b.thermal && a.lowPower == b.lowPower && a.batteryLevel == b.batteryLevel
            && a.charging == b.charging && a.network == b.network
    }

    /// Applies a change of some readings (one notification's worth) and reports the state if
    /// it differs from the last one reported. Returns whether it reported. Never throws: a
    /// refused state is counted (`failures`) and reported again at the next change.
    @discardableResult
    public func update(_ change: (inout DeviceReadings) -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        change(&readings)
        let s = Self.state(readings)
        if let l = last, Self.same(l, s) { return false }
        do {
            try report(s)
            last = s
            _reports += 1
            return true
        } catch {
            _failures += 1
            return false
        }
    }

    /// States reported to the core, and states it refused.
    public var reports: UInt64 { lock.lock(); defer { lock.unlock() }; return _reports }
    public var failures: UInt64 { lock.lock(); defer { lock.unlock() }; return _failures }
}
