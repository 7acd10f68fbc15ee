import Foundation

#if canImport(UIKit) && canImport(Network) && !os(watchOS)
import Network
import UIKit

/// The iOS half of device-aware capture: copies ProcessInfo, UIDevice battery and NWPath
/// values into a `DeviceStateReporter` when iOS says they changed. Nothing here decides.
final class DeviceMonitor {
    private let reporter: DeviceStateReporter
    private let path = NWPathMonitor()
    private let queue = DispatchQueue(label: "io.rejourney.device")
    private var observers: [NSObjectProtocol] = []

    init(reporter: DeviceStateReporter) { self.reporter = reporter }

    /// Main thread (UIDevice battery monitoring is UIKit state).
    func start() {
        UIDevice.current.isBatteryMonitoringEnabled = true
        let reporter = self.reporter
        let readAll: () -> Void = {
            let info = ProcessInfo.processInfo
            reporter.update {
                $0.thermalRaw = info.thermalState.rawValue
                $0.lowPowerMode = info.isLowPowerModeEnabled
                $0.batteryLevel = UIDevice.current.batteryLevel
                $0.batteryStateRaw = UIDevice.current.batteryState.rawValue
            }
        }
        readAll()
        for name in [ProcessInfo.thermalStateDidChangeNotification, Notification.Name.NSProcessInfoPowerStateDidChange,
                     UIDevice.batteryLevelDidChangeNotification, UIDevice.batteryStateDidChangeNotification] {
            observers.append(NotificationCenter.default.addObserver(forName: name, object: nil, queue: .main) { _ in readAll() })
        }
        path.pathUpdateHandler = { p in
            reporter.update {
                $0.path = PathReading(satisfied: p.status == .satisfied, isExpensive: p.isExpensive,
                                      isConstrained: p.isConstrained)
            }
        }
        path.start(queue: queue)
    }

    func stop() {
        path.cancel()
        for o in observers { NotificationCenter.default.removeObserver(o) }
        observers.removeAll()
    }
}
#endif
