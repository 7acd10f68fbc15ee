// swift-tools-version:5.9
//
// Rejourney for iOS. Three targets:
// - the Rust core as a C library: `RejourneyCore.xcframework` on Apple platforms (built by
//   `scripts/build-xcframework.sh` on macOS), or the host-built `librejourney_core.so` through
//   a system-library module on Linux (how CI tests the bindings);
// - `RejourneyBindings`: the UniFFI-generated Swift (`scripts/gen-bindings.sh swift` copies it
//   into Sources/RejourneyBindings; generated code is never committed);
// - `RejourneySDK`: the idiomatic wrapper apps import. Its platform-free part compiles and is
//   tested on Linux; the UIKit/SwiftUI adapter is behind `#if canImport(UIKit)`.
import PackageDescription

#if os(Linux)
let coreLibrary: Target = .systemLibrary(name: "rejourney_coreFFI", path: "Sources/rejourney_coreFFI")
let coreDependency: Target.Dependency = "rejourney_coreFFI"
#else
let coreLibrary: Target = .binaryTarget(name: "RejourneyCore", path: "RejourneyCore.xcframework")
let coreDependency: Target.Dependency = "RejourneyCore"
#endif

let package = Package(
    name: "Rejourney",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "RejourneySDK", targets: ["RejourneySDK"]),
    ],
    targets: [
        coreLibrary,
        .target(name: "RejourneyBindings", dependencies: [coreDependency]),
        // The privacy manifest App Review reads (collected data, required-reason APIs): a
        // resource of the target, so it ships in the package's resource bundle.
        .target(name: "RejourneySDK", dependencies: ["RejourneyBindings"],
                resources: [.copy("PrivacyInfo.xcprivacy")]),
        .testTarget(name: "RejourneySDKTests", dependencies: ["RejourneySDK"]),
    ]
)
