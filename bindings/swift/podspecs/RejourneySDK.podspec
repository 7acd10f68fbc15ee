# The Swift SDK for CocoaPods (the Swift package is the primary distribution).
Pod::Spec.new do |s|
  s.name          = "RejourneySDK"
  s.version       = "0.1.0"
  s.summary       = "Rejourney session replay for iOS."
  s.license       = "Apache-2.0"
  s.homepage      = "https://rejourney.co"
  s.authors       = { "Rejourney" => "hello@rejourney.co" }
  s.platforms     = { :ios => "13.0" }
  s.source        = { :git => "https://github.com/rejourneyco/rejourney.git", :tag => s.version.to_s }
  s.swift_version = "5.9"
  s.source_files  = "RejourneySDK/*.swift"
  # The privacy manifest (what the SDK collects, the required-reason APIs it and the core call).
  s.resource_bundles = { "RejourneySDK_Privacy" => ["RejourneySDK/PrivacyInfo.xcprivacy"] }
  s.dependency "RejourneyCore", s.version.to_s
end
