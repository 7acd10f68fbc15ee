// The React Native module entry, thin on purpose: it only forwards to the Swift implementation
// (RejourneyModuleBridge -> RejourneyModuleImpl -> the Swift SDK), which decides everything.
// With the New Architecture the class conforms to the codegen'd TurboModule protocol
// `NativeRejourneySpec` (RNRejourneySpec, from src/NativeRejourney.ts) and returns its JSI
// binding, so the compiler checks every method against the spec; the old bridge sees the same
// methods through RCT_EXPORT_METHOD. The selectors and argument types are the generated
// protocol's (the tests generate it and compare, since this file cannot be compiled on Linux).
// Session events: an RCTEventEmitter (on both architectures), which counts JS's subscriptions
// (addListener / removeListeners, declared in the spec) and says when to start and stop.
#import <React/RCTBridgeModule.h>
#import <React/RCTEventEmitter.h>
#import "RejourneyReactNative-Swift.h"
#ifdef RCT_NEW_ARCH_ENABLED
#import <RNRejourneySpec/RNRejourneySpec.h>
#endif

#ifdef RCT_NEW_ARCH_ENABLED
@interface Rejourney : RCTEventEmitter <NativeRejourneySpec>
#else
@interface Rejourney : RCTEventEmitter <RCTBridgeModule>
#endif
@end

@implementation Rejourney {
  RejourneyModuleBridge *_impl;
}

RCT_EXPORT_MODULE(Rejourney)

- (instancetype)init {
  if (self = [super init]) {
    _impl = [RejourneyModuleBridge new];
    __weak Rejourney *weakSelf = self;
    [_impl setSessionSink:^(NSDictionary *event) { [weakSelf sendEventWithName:@"RejourneySession" body:event]; }];
    [_impl setFrameSink:^(NSDictionary *event) { [weakSelf sendEventWithName:@"RejourneyFrame" body:event]; }];
  }
  return self;
}

- (NSArray<NSString *> *)supportedEvents { return @[ @"RejourneySession", @"RejourneyFrame" ]; }
- (void)startObserving { [_impl setListening:YES]; }
- (void)stopObserving { [_impl setListening:NO]; }
// The spec's emitter methods; RCTEventEmitter counts and exports them (old bridge).
- (void)addListener:(NSString *)eventName { [super addListener:eventName]; }
- (void)removeListeners:(double)count { [super removeListeners:count]; }

+ (BOOL)requiresMainQueueSetup { return NO; }

RCT_EXPORT_METHOD(start:(NSDictionary *)options resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  [_impl start:options resolve:^(id value) { resolve(value); } reject:^(NSString *code, NSString *message) { reject(code, message, nil); }];
}
RCT_EXPORT_METHOD(stop:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { [_impl stop]; resolve(nil); }
RCT_EXPORT_METHOD(identify:(NSString * _Nullable)userId resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  [_impl identify:userId]; resolve(nil);
}
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
RCT_EXPORT_METHOD(setConsent:(NSString *)consent resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  [_impl setConsent:consent];
  resolve(nil);
}
RCT_EXPORT_METHOD(telemetryJson:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { resolve([_impl telemetryJson]); }
RCT_EXPORT_METHOD(sessionUrl:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) { resolve([_impl sessionUrl]); }
// Debug builds only (the Swift SDK registers nothing without DEBUG): JS's frame observers.
RCT_EXPORT_METHOD(setFrameObserver:(BOOL)enabled resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  resolve(@([_impl setFrameObserver:enabled]));
}
RCT_EXPORT_METHOD(frameObserved) { [_impl frameObserved]; }
RCT_EXPORT_METHOD(tracingHeadersJson:(NSString *)url resolve:(RCTPromiseResolveBlock)resolve reject:(RCTPromiseRejectBlock)reject) {
  resolve([_impl tracingHeadersJson:url]);
}

#ifdef RCT_NEW_ARCH_ENABLED
- (std::shared_ptr<facebook::react::TurboModule>)getTurboModule:(const facebook::react::ObjCTurboModule::InitParams &)params {
  return std::make_shared<facebook::react::NativeRejourneySpecJSI>(params);
}
#endif
@end
