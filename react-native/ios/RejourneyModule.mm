// The React Native module entry: the old bridge (RCT_EXPORT_METHOD) and, with the New
// Architecture, the codegen'd TurboModule spec (RNRejourneySpec). Every method forwards to
// the Swift implementation (RejourneyModuleBridge -> RejourneyModuleImpl -> the Swift SDK).
#import <React/RCTBridgeModule.h>
#import <React/RCTViewManager.h>
#import "RejourneyReactNative-Swift.h"
#ifdef RCT_NEW_ARCH_ENABLED
#import <RNRejourneySpec/RNRejourneySpec.h>
#endif

@interface Rejourney : NSObject <RCTBridgeModule>
@end

@implementation Rejourney {
  RejourneyModuleBridge *_impl;
}

RCT_EXPORT_MODULE(Rejourney)

- (instancetype)init {
  if (self = [super init]) { _impl = [RejourneyModuleBridge new]; }
  return self;
}

+ (BOOL)requiresMainQueueSetup { return NO; }

RCT_EXPORT_METHOD(start:(NSDictionary *)options resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  [_impl start:options resolve:^(id value) { resolve(value); } reject:^(NSString *code, NSString *message) { reject(code, message, nil); }];
}
RCT_EXPORT_METHOD(stop:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { [_impl stop]; resolve(nil); }
RCT_EXPORT_METHOD(identify:(NSString *)userId resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { [_impl identify:userId]; resolve(nil); }
RCT_EXPORT_METHOD(logEvent:(NSString *)name properties:(NSDictionary *)properties) { [_impl logEvent:name properties:properties]; }
RCT_EXPORT_METHOD(screenChanged:(NSString *)name) { [_impl screenChanged:name]; }
RCT_EXPORT_METHOD(networkRequest:(NSDictionary *)request) { [_impl networkRequest:request]; }
RCT_EXPORT_METHOD(logMessage:(NSString *)level message:(NSString *)message) { [_impl logMessage:level message:message]; }
RCT_EXPORT_METHOD(reportError:(NSString *)name message:(NSString *)message stack:(NSString *)stack fatal:(BOOL)fatal
                  resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  resolve(@([_impl reportError:name message:message stack:stack fatal:fatal]));
}
RCT_EXPORT_METHOD(captureError:(NSString *)name message:(NSString *)message stack:(NSString *)stack
                  resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  resolve(@([_impl captureError:name message:message stack:stack]));
}
RCT_EXPORT_METHOD(flushBuffer:(NSString *)reason resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  resolve(@([_impl flushBuffer:reason]));
}
RCT_EXPORT_METHOD(optOut:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { [_impl optOut]; resolve(nil); }
RCT_EXPORT_METHOD(telemetryJson:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { resolve([_impl telemetryJson]); }

#ifdef RCT_NEW_ARCH_ENABLED
- (std::shared_ptr<facebook::react::TurboModule>)getTurboModule:(const facebook::react::ObjCTurboModule::InitParams &)params {
  return std::make_shared<facebook::react::NativeRejourneySpecJSI>(params);
}
#endif
@end

/// `<Mask>` / `<Unmask>` on the old architecture (Paper); Fabric uses RejourneyMaskViewComponentView.
@interface RejourneyMaskViewManager : RCTViewManager
@end

@implementation RejourneyMaskViewManager
RCT_EXPORT_MODULE(RejourneyMaskView)
RCT_EXPORT_VIEW_PROPERTY(rjMasked, BOOL)
- (UIView *)view { return [RejourneyMaskView new]; }
@end
