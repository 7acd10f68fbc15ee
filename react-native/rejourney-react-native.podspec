require "json"

package = JSON.parse(File.read(File.join(__dir__, "package.json")))

# The React Native module for iOS, with its native engine: an Objective-C++ entry (old bridge and
# TurboModule, Paper view manager and Fabric component view) over a Swift implementation, the
# Swift SDK and the core's UniFFI Swift bindings compiled as this pod's one module (staged into
# ios/vendor by scripts/package-react-native.sh: react-native/scripts/stage-swift-sources.py says
# why one module), and the Rust core as RejourneyCore.xcframework (static libraries), vendored
# here. No other pod is needed, so autolinking and `expo prebuild` install it with no Podfile line.
Pod::Spec.new do |s|
  s.name         = "rejourney-react-native"
  s.version      = package["version"]
  s.summary      = package["description"]
  s.license      = package["license"]
  s.homepage     = package["homepage"]
  s.authors      = { "Rejourney" => "hello@rejourney.co" }
  s.platforms    = { :ios => "13.0" }
  s.source       = { :git => "https://github.com/rejourneyco/rejourney.git", :tag => s.version.to_s }
  s.swift_version = "5.9"

  s.source_files = "ios/*.{h,m,mm,swift}", "ios/vendor/RejourneyBindings/*.swift", "ios/vendor/RejourneySDK/*.swift"
  # A release package always has it (the pack script refuses otherwise); a --dev one does not.
  xcframework = "ios/vendor/RejourneyCore.xcframework"
  s.vendored_frameworks = xcframework if File.exist?(File.join(__dir__, xcframework))
  # The SDK's privacy manifest (a copy of bindings/swift's, checked identical by the tests).
  s.resource_bundles = { "RejourneyReactNative_Privacy" => ["ios/PrivacyInfo.xcprivacy"] }
  s.frameworks = "UIKit", "WebKit", "AVFoundation"
  s.pod_target_xcconfig = { "DEFINES_MODULE" => "YES", "SWIFT_OBJC_INTERFACE_HEADER_NAME" => "RejourneyReactNative-Swift.h" }

  # New Architecture (codegen, TurboModule, Fabric) and old bridge from one podspec.
  if respond_to?(:install_modules_dependencies, true)
    install_modules_dependencies(s)
  else
    s.dependency "React-Core"
  end
end
