import Foundation
import XCTest
@testable import RejourneySDK
import RejourneyBindings

/// The platform-free half of the iOS device-state reporter: iOS's raw values → the FFI's
/// `DeviceState`, reported to a real core only when it changed.
final class DeviceStateReporterTests: XCTestCase {
    func testIOSValuesMapToTheCoreState() {
        var r = DeviceReadings()
        var s = DeviceStateReporter.state(r)
        XCTAssertEqual(s.thermal, .nominal)
        XCTAssertNil(s.batteryLevel, "-1 is iOS's unknown")
        XCTAssertEqual(s.network, .unknown, "no NWPath yet")
        XCTAssertFalse(s.charging)
        for (raw, want) in [(1, ThermalState.fair), (2, .serious), (3, .critical), (7, .critical), (-1, .nominal)] {
            r.thermalRaw = raw
            XCTAssertEqual(DeviceStateReporter.state(r).thermal, want, "thermal \(raw)")
        }
        r.batteryLevel = 0.42
        r.batteryStateRaw = 1
        s = DeviceStateReporter.state(r)
        XCTAssertEqual(s.batteryLevel, 0.42)
        XCTAssertFalse(s.charging, "unplugged")
        for (raw, charging) in [(0, false), (2, true), (3, true)] {
            r.batteryStateRaw = raw
            XCTAssertEqual(DeviceStateReporter.state(r).charging, charging, "battery state \(raw)")
        }
        for bad: Float in [1.5, .nan, -0.5] {
            r.batteryLevel = bad
            XCTAssertNil(DeviceStateReporter.state(r).batteryLevel, "\(bad)")
        }
        let paths: [(PathReading, NetworkState)] = [
            (PathReading(satisfied: false, isExpensive: true, isConstrained: false), .offline),
            (PathReading(satisfied: true, isExpensive: true, isConstrained: false), .metered),
            (PathReading(satisfied: true, isExpensive: false, isConstrained: true), .metered),
            (PathReading(satisfied: true, isExpensive: false, isConstrained: false), .unmetered),
        ]
        for (p, want) in paths {
            r.path = p
            XCTAssertEqual(DeviceStateReporter.state(r).network, want, "\(p)")
        }
        r.lowPowerMode = true
        XCTAssertTrue(DeviceStateReporter.state(r).lowPower)
    }

    func testOnlyChangesReachTheCoreWhichDecides() throws {
        let dir = tempDir("device")
        let client = try RejourneyClient(
            options: RejourneySDK.RejourneyOptions(apiKey: "pk_test", apiUrl: "http://127.0.0.1:9", anrThreshold: 0,
                                                   remoteConfig: false, uploadOnlyOnUnmetered: true),
            storageDirectory: dir, deviceId: "dev")
        defer { client.shutdown(drain: 0) }
        var decisions: [DeviceDecision] = []
        let reporter = DeviceStateReporter { decisions.append(try client.core.deviceState(state: $0)) }
        XCTAssertTrue(reporter.update { $0.thermalRaw = 2 })
        XCTAssertFalse(reporter.update { $0.thermalRaw = 2 }, "unchanged: not reported")
        XCTAssertEqual(decisions.last?.intervalFactor, 2, "serious: half the rate")
        XCTAssertTrue(reporter.update { $0.path = PathReading(satisfied: true, isExpensive: true, isConstrained: false) })
        XCTAssertEqual(decisions.last?.uploadDeferred, .metered, "the app asked for unmetered uploads")
        XCTAssertFalse(reporter.update { $0.batteryLevel = -1 }, "still unknown")
        XCTAssertTrue(reporter.update { $0.batteryLevel = 0.05; $0.batteryStateRaw = 1 })
        XCTAssertTrue(reporter.update { $0.path = PathReading(satisfied: true, isExpensive: false, isConstrained: false) })
        XCTAssertEqual(decisions.last?.uploadDeferred, .lowBattery)
        XCTAssertTrue(reporter.update { $0.batteryStateRaw = 2 })
        XCTAssertNil(decisions.last?.uploadDeferred, "charging: uploads go")
        XCTAssertEqual(reporter.reports, 5)
        XCTAssertEqual(reporter.failures, 0)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(client.telemetry().json.utf8)) as? [String: Any])
        let device = try XCTUnwrap(json["device"] as? [String: Any])
        XCTAssertEqual((device["reports"] as? NSNumber)?.intValue, 5, "the core saw exactly the changes")
    }

    func testARefusedStateIsCountedAndRetriedAtTheNextChange() {
        var fail = true
        var seen = 0
        let reporter = DeviceStateReporter { _ in
            seen += 1
            if fail { throw RejourneySDKError.notStarted }
        }
        XCTAssertFalse(reporter.update { $0.thermalRaw = 1 })
        XCTAssertEqual(reporter.failures, 1)
        fail = false
        XCTAssertTrue(reporter.update { $0.thermalRaw = 1 }, "not remembered as reported")
        XCTAssertEqual(seen, 2)
    }
}
