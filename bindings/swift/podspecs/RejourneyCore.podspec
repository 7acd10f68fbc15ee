# The Rust core for CocoaPods: RejourneyCore.xcframework (scripts/build-xcframework.sh, macOS)
# and its UniFFI-generated Swift, as the module `RejourneyBindings` (what RejourneySDK imports).
Pod::Spec.new do |s|
  s.name          = "RejourneyCore"
  s.module_name   = "RejourneyBindings"
  s.version       = "0.1.0"
  s.summary       = "The Rejourney session-replay engine (Rust) and its Swift bindings."
  s.license       = "Apache-2.0"
  s.homepage      = "https://rejourney.co"
  s.authors       = { "Rejourney" => "hello@rejourney.co" }
  s.platforms     = { :ios => "13.0" }
  s.source        = { :git => "https://github.com/rejourneyco/rejourney.git", :tag => s.version.to_s }
  s.swift_version = "5.9"
  s.source_files  = "RejourneyBindings/*.swift"
  s.vendored_frameworks = "RejourneyCore.xcframework"
end
