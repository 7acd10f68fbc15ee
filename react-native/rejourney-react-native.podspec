require "json"

package = JSON.parse(File.read(File.join(__dir__, "package.json")))

# The React Native module for iOS: an Objective-C++ entry (old bridge and TurboModule) over a
# Swift implementation that calls the Swift SDK (pod RejourneySDK, over pod RejourneyCore: the
# Rust core's xcframework and its bindings). Until those pods are on trunk they ship in this
# package under ios/vendor (staged by scripts/package-react-native.sh); the app's Podfile
# points at them (README: two lines).
Pod::Spec.new do |s|
  s.name         = "rejourney-react-native"
  s.version      = package["version"]
  s.summary      = package["description"]
  s.license      = package["license"]
  s.homepage     = "https://rejourney.co"
  s.authors      = { "Rejourney" => "hello@rejourney.co" }
  s.platforms    = { :ios => "13.0" }
  s.source       = { :git => "https://github.com/rejourneyco/rejourney.git", :tag => s.version.to_s }
  s.swift_version = "5.9"

  s.source_files = "ios/*.{h,m,mm,swift}"
  # The SDK's privacy manifest (a copy of bindings/swift's, checked identical by the tests).
  s.resource_bundles = { "RejourneyReactNative_Privacy" => ["ios/PrivacyInfo.xcprivacy"] }
  s.dependency "RejourneySDK", package["version"]
  s.pod_target_xcconfig = { "DEFINES_MODULE" => "YES", "SWIFT_OBJC_INTERFACE_HEADER_NAME" => "RejourneyReactNative-Swift.h" }

  # New Architecture (codegen, TurboModule) and old bridge from one podspec.
  if respond_to?(:install_modules_dependencies, true)
    install_modules_dependencies(s)
  else
    s.dependency "React-Core"
  end
end
