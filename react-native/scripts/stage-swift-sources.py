#!/usr/bin/env python3
"""Stages the Swift SDK and its UniFFI bindings as sources of the React Native pod.

Usage: stage-swift-sources.py SOURCES_DIR OUT_DIR
  SOURCES_DIR: bindings/swift/Sources (RejourneyBindings/*.swift, RejourneySDK/*.swift)
  OUT_DIR:     react-native/ios/vendor (gets RejourneyBindings/ and RejourneySDK/)

Why: CocoaPods autolinking installs one podspec per npm package, and a pod dependency on
`RejourneySDK` resolves only from a pod repository or a `:path` line in the app's Podfile
(which `expo prebuild` regenerates). So the package's own pod compiles the SDK and the bindings
itself, as one Swift module with the React Native module. In the Swift package they are two
modules, and two names exist in both (the bindings' `Rejourney` object and `RejourneyOptions`
record beside the SDK's own types), so the staged copy:
  - renames every top-level name the bindings and the SDK both declare to `Core<Name>` in the
    bindings, and the SDK's `RejourneyBindings.<Name>` to `Core<Name>`;
  - drops the SDK's re-export aliases (`public typealias X = RejourneyBindings.X`), which would
    name themselves in one module;
  - drops `import RejourneyBindings` and the remaining `RejourneyBindings.` qualifiers.
Names are found from the sources, not listed here, so a new type on either side is handled; the
result is checked (no name declared twice, no `RejourneyBindings` left) and this exits 1 rather
than stage sources that cannot compile. scripts/test-react-native.sh type-checks the staged
sources as one module with swiftc where the Swift toolchain is installed.
"""
import pathlib
import re
import sys

DECL = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|open|internal|fileprivate|private|final|indirect)\s+)*"
    r"(?:class|struct|enum|protocol|typealias|actor)\s+([A-Za-z_]\w*)",
    re.M,
)
REEXPORT = re.compile(r"^public typealias (\w+) = RejourneyBindings\.\1\s*$\n?", re.M)


def top_level_names(text):
    return set(DECL.findall(text))


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, out = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    bindings = {p.name: p.read_text() for p in sorted((src / "RejourneyBindings").glob("*.swift"))}
    sdk = {p.name: p.read_text() for p in sorted((src / "RejourneySDK").glob("*.swift"))}
    if not bindings or not sdk:
        print(f"stage-swift-sources: no Swift sources under {src}", file=sys.stderr)
        return 1

    sdk = {n: REEXPORT.sub("", t) for n, t in sdk.items()}
    b_names = set().union(*(top_level_names(t) for t in bindings.values()))
    s_names = set().union(*(top_level_names(t) for t in sdk.values()))
    clashes = sorted(b_names & s_names)
    taken = b_names | s_names
    for name in clashes:
        new = "Core" + name
        if new in taken:
            print(f"stage-swift-sources: cannot rename {name}: {new} exists", file=sys.stderr)
            return 1
        word = re.compile(r"(?<![\w.])" + re.escape(name) + r"\b")
        bindings = {n: word.sub(new, t) for n, t in bindings.items()}
        sdk = {n: re.sub(r"\bRejourneyBindings\." + re.escape(name) + r"\b", new, t) for n, t in sdk.items()}
    sdk = {n: re.sub(r"^import RejourneyBindings\s*$\n?", "", t, flags=re.M) for n, t in sdk.items()}
    sdk = {n: re.sub(r"\bRejourneyBindings\.", "", t) for n, t in sdk.items()}

    problems = [n for n, t in sdk.items() if "RejourneyBindings" in t]
    b_after = set().union(*(top_level_names(t) for t in bindings.values()))
    s_after = set().union(*(top_level_names(t) for t in sdk.values()))
    twice = sorted(b_after & s_after)
    if problems or twice:
        print(f"stage-swift-sources: still refers to RejourneyBindings: {problems}; declared twice: {twice}", file=sys.stderr)
        return 1
    for sub, files in (("RejourneyBindings", bindings), ("RejourneySDK", sdk)):
        d = out / sub
        d.mkdir(parents=True, exist_ok=True)
        for n, t in files.items():
            (d / n).write_text(f"// Staged by react-native/scripts/stage-swift-sources.py (one module with the pod).\n{t}")
    print(f"stage-swift-sources: {len(bindings)} bindings + {len(sdk)} SDK files, renamed {clashes}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
