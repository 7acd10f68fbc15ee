#!/usr/bin/env python3
"""Checks the package's native entries against what the app's codegen generated from its specs.

The Objective-C++ and Android view-manager sources cannot be compiled here (no Xcode, no Android
Gradle build), so this reads them by name against the generated interfaces:
- iOS module: `Rejourney` adopts the generated `NativeRejourneySpec` protocol under the New
  Architecture, returns `NativeRejourneySpecJSI`, and implements every protocol method with the
  same selector and argument types (nullability aside);
- iOS Fabric: the class codegen's component provider names for `RejourneyMaskView` exists, is an
  `RCTViewComponentView` adopting the generated view protocol, uses the generated component
  descriptor and props class, and reads only props the generated props class has;
- Android: the new-architecture view manager implements every method of the generated
  `RejourneyMaskViewManagerInterface` and returns the generated delegate.

  check_native_entries.py CODEGEN_OUT PACKAGE_DIR
Prints one line per problem and exits 1 if there is any.
"""
import pathlib
import re
import sys


def norm(t):
    return re.sub(r"\s+", "", re.sub(r"_Nullable|_Nonnull|nullable|nonnull", "", t))


def methods(text):
    """(selector, [argument types]) of each ObjC method declaration or RCT_EXPORT_METHOD."""
    found = []
    decls = re.findall(r"^-\s*\(void\)\s*([^;{]+)[;{]", text, re.M)
    decls += re.findall(r"RCT_EXPORT_METHOD\(([^{]*)\)\s*\{", text)
    for d in decls:
        parts = re.findall(r"(\w+)\s*:\s*\(([^)]*)\)\s*\w+", d)
        if parts:
            found.append(("".join(p[0] + ":" for p in parts), [norm(p[1]) for p in parts]))
        else:
            found.append((d.strip().split()[0], []))
    return found


def main():
    out, pkg = map(pathlib.Path, sys.argv[1:3])
    problems = []
    ios = next(out.rglob("RNRejourneySpec/RNRejourneySpec.h"), None)
    providers = next(out.rglob("RCTThirdPartyComponentsProvider.mm"), None)
    if ios is None or providers is None:
        print(f"codegen output {out} has no RNRejourneySpec.h / RCTThirdPartyComponentsProvider.mm")
        return 1
    spec = ios.read_text()
    proto = re.search(r"@protocol NativeRejourneySpec\b[^\n]*\n(.*?)@end", spec, re.S)
    if not proto:
        print("generated RNRejourneySpec.h has no NativeRejourneySpec protocol")
        return 1
    wanted = methods(proto.group(1))
    mm = (pkg / "ios/RejourneyModule.mm").read_text()
    have = dict(methods(mm))
    for sel, types in wanted:
        if sel not in have:
            problems.append(f"ios/RejourneyModule.mm: no method {sel} of NativeRejourneySpec")
        elif have[sel] != types:
            problems.append(f"ios/RejourneyModule.mm: {sel} takes {have[sel]}, the spec {types}")
    if not re.search(r"#ifdef RCT_NEW_ARCH_ENABLED\s*\n@interface Rejourney : (?:NSObject|RCTEventEmitter) <NativeRejourneySpec>", mm):
        problems.append("ios/RejourneyModule.mm: Rejourney does not adopt NativeRejourneySpec under RCT_NEW_ARCH_ENABLED")
    if "make_shared<facebook::react::NativeRejourneySpecJSI>" not in mm:
        problems.append("ios/RejourneyModule.mm: getTurboModule does not return NativeRejourneySpecJSI")

    m = re.search(r'@"RejourneyMaskView":\s*NSClassFromString\(@"(\w+)"\)', providers.read_text())
    if not m:
        problems.append("codegen's component provider does not name a class for RejourneyMaskView")
    else:
        cls = m.group(1)
        sources = {p: p.read_text() for p in (pkg / "ios").glob("*.mm")}
        owner = [p for p, t in sources.items() if re.search(rf"@interface {cls} : RCTViewComponentView <RCTRejourneyMaskViewViewProtocol>", t)]
        if not owner:
            problems.append(f"ios: no {cls} : RCTViewComponentView <RCTRejourneyMaskViewViewProtocol> (codegen's provider names it)")
        else:
            view = sources[owner[0]]
            descriptors = next(out.rglob("components/RNRejourneySpec/ComponentDescriptors.h")).read_text()
            props_h = next(out.rglob("components/RNRejourneySpec/Props.h")).read_text()
            helpers = next(out.rglob("components/RNRejourneySpec/RCTComponentViewHelpers.h")).read_text()
            if "RCTRejourneyMaskViewViewProtocol" not in helpers:
                problems.append("generated RCTComponentViewHelpers.h has no RCTRejourneyMaskViewViewProtocol")
            for name, where in [("RejourneyMaskViewComponentDescriptor", descriptors), ("RejourneyMaskViewProps", props_h)]:
                if name not in where:
                    problems.append(f"generated headers have no {name}")
                if name not in view:
                    problems.append(f"{owner[0].name}: does not use the generated {name}")
            fields = set(re.findall(r"^\s*\w+ (\w+)\{", props_h, re.M))
            for used in set(re.findall(r"next\.(\w+)", view)):
                if used not in fields:
                    problems.append(f"{owner[0].name}: reads prop {used}, which RejourneyMaskViewProps has not")
            if "rjMasked" not in fields:
                problems.append("generated RejourneyMaskViewProps has no rjMasked")

    iface = next(out.rglob("RejourneyMaskViewManagerInterface.java"), None)
    if iface is None:
        problems.append("codegen generated no RejourneyMaskViewManagerInterface.java")
    else:
        kt = (pkg / "android/src/newarch/java/io/rejourney/reactnative/RejourneyMaskViewManager.kt")
        src = kt.read_text() if kt.exists() else ""
        if "RejourneyMaskViewManagerInterface<" not in src:
            problems.append(f"{kt.name} (newarch): does not implement RejourneyMaskViewManagerInterface")
        # the generated delegate itself, or a newarch class extending it (MaskViewDelegate.java)
        newarch = kt.parent
        subclasses = [p.stem for p in newarch.glob("*.java") if re.search(r"extends RejourneyMaskViewManagerDelegate<", p.read_text())]
        returned = "RejourneyMaskViewManagerDelegate(" in src or any(f"{c}(this)" in src for c in subclasses)
        if not returned or "getDelegate()" not in src:
            problems.append(f"{kt.name} (newarch): does not return the generated RejourneyMaskViewManagerDelegate (or a subclass of it)")
        for name in re.findall(r"void (\w+)\(", iface.read_text()):
            if not re.search(rf"override fun {name}\(", src):
                problems.append(f"{kt.name} (newarch): no override of {name} from RejourneyMaskViewManagerInterface")
    for p in problems:
        print(p)
    if not problems:
        print(f"native entries: {len(wanted)} spec methods, the Fabric component view and the Android delegate match codegen")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
