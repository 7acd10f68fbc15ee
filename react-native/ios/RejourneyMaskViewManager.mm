// `<Mask>` / `<Unmask>` on the old architecture (Paper): a view manager whose view is the Swift
// RejourneyMaskView (registered with the process-wide mask registry from init). The New
// Architecture uses RejourneyMaskViewComponentView (RejourneyMaskViewComponentView.mm) instead.
#import <React/RCTViewManager.h>
#import "RejourneyReactNative-Swift.h"

@interface RejourneyMaskViewManager : RCTViewManager
@end

@implementation RejourneyMaskViewManager
RCT_EXPORT_MODULE(RejourneyMaskView)
RCT_EXPORT_VIEW_PROPERTY(rjMasked, BOOL)
- (UIView *)view { return [RejourneyMaskView new]; }
@end
