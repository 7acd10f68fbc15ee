// `<Mask>` / `<Unmask>` on the New Architecture: the Fabric component view of the codegen
// component spec (src/RejourneyMaskViewNativeComponent.ts -> RNRejourneySpec's props and
// component descriptor), named in package.json's codegenConfig.ios.componentProvider. Fabric
// creates and recycles these views itself, so the view registers with the process-wide mask
// registry (RejourneyMasking, Swift) on creation — masked until its props say otherwise, so
// content is never recorded unmasked while the first props are on their way — on every props
// update, and again when it is recycled for another mount.
#ifdef RCT_NEW_ARCH_ENABLED
#import <React/RCTViewComponentView.h>
#import <react/renderer/components/RNRejourneySpec/ComponentDescriptors.h>
#import <react/renderer/components/RNRejourneySpec/Props.h>
#import <react/renderer/components/RNRejourneySpec/RCTComponentViewHelpers.h>
#import "RejourneyReactNative-Swift.h"

using namespace facebook::react;

@interface RejourneyMaskViewComponentView : RCTViewComponentView <RCTRejourneyMaskViewViewProtocol>
@end

@implementation RejourneyMaskViewComponentView

+ (ComponentDescriptorProvider)componentDescriptorProvider {
  return concreteComponentDescriptorProvider<RejourneyMaskViewComponentDescriptor>();
}

- (instancetype)initWithFrame:(CGRect)frame {
  if (self = [super initWithFrame:frame]) {
    static const auto defaultProps = std::make_shared<const RejourneyMaskViewProps>();
    _props = defaultProps;
    [RejourneyMasking set:self masked:YES];
  }
  return self;
}

- (void)updateProps:(const Props::Shared &)props oldProps:(const Props::Shared &)oldProps {
  const auto &next = *std::static_pointer_cast<const RejourneyMaskViewProps>(props);
  [RejourneyMasking set:self masked:next.rjMasked];
  [super updateProps:props oldProps:oldProps];
}

- (void)prepareForRecycle {
  [super prepareForRecycle];
  [RejourneyMasking set:self masked:YES];
}

@end
#endif
