#!/usr/bin/env python3
"""Checks the iOS privacy manifest (PrivacyInfo.xcprivacy) App Review reads.

- it is a valid plist of the documented shape (no tracking, collected data types with their
  linked/tracking/purposes keys, required-reason API categories with approved reason codes);
- every required-reason API category the shipped sources call is declared, and nothing
  declared is unused (the sources: the Swift SDK, the React Native iOS module, the Rust core);
- the Swift package (a target resource), the RejourneySDK podspec and the React Native package
  (podspec, `files` in package.json, a byte-identical copy) ship it;
- with `--built DIR`: `swift build` put it in the package's resource bundle under DIR;
- with `--npm`: `npm pack --dry-run` of react-native/ lists it.

Prints one line per problem and exits 1 if there is any.
"""
import json
import pathlib
import plistlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "bindings/swift/Sources/RejourneySDK/PrivacyInfo.xcprivacy"
RN_COPY = ROOT / "react-native/ios/PrivacyInfo.xcprivacy"

# Apple's required-reason API categories: the calls that need one (Swift/Objective-C names,
# and the libc calls Rust's std makes for them), and the reason codes a non-advertising SDK
# may give. https://developer.apple.com/documentation/bundleresources/describing-use-of-required-reason-api
CATEGORIES = {
    "NSPrivacyAccessedAPICategoryFileTimestamp": {
        "swift": r"creationDate|modificationDate|contentModificationDate|fileModificationDate|attributesOfItem"
                 r"|\bgetattrlist|\bf?stat\(|\blstat\(|\bfstatat\(",
        # std::fs metadata is stat/fstat/lstat on Apple platforms.
        "rust": r"\bmetadata\(|symlink_metadata|\.modified\(\)|\.created\(\)|\.accessed\(\)",
        "reasons": {"DDA9.1", "C617.1", "3B52.1", "0A2A.1"},
    },
    "NSPrivacyAccessedAPICategorySystemBootTime": {
        "swift": r"systemUptime|mach_absolute_time",
        "rust": r"mach_absolute_time",
        "reasons": {"35F9.1", "8FFB.1", "3D61.1"},
    },
    "NSPrivacyAccessedAPICategoryDiskSpace": {
        "swift": r"volumeAvailableCapacity|volumeTotalCapacity|systemFreeSize|systemSize|attributesOfFileSystem"
                 r"|\bstatv?fs\(|\bfstatv?fs\(",
        "rust": r"\bstatv?fs\b|\bfstatv?fs\b|available_space|free_space",
        "reasons": {"85F4.1", "E174.1", "7D9E.1", "B728.1"},
    },
    "NSPrivacyAccessedAPICategoryActiveKeyboards": {
        "swift": r"activeInputModes",
        "rust": r"(?!)",
        "reasons": {"3EC4.1", "54BD.1"},
    },
    "NSPrivacyAccessedAPICategoryUserDefaults": {
        "swift": r"\bUserDefaults\b|\bNSUserDefaults\b",
        "rust": r"(?!)",
        "reasons": {"CA92.1", "1C8F.1", "C56D.1", "AC6B.1"},
    },
}

DATA_TYPES = {
    "Name", "EmailAddress", "PhoneNumber", "PhysicalAddress", "OtherUserContactInfo", "Health", "Fitness",
    "PaymentInfo", "CreditInfo", "OtherFinancialInfo", "PreciseLocation", "CoarseLocation", "SensitiveInfo",
    "Contacts", "EmailsOrTextMessages", "PhotosorVideos", "AudioData", "GameplayContent", "CustomerSupport",
    "OtherUserContent", "BrowsingHistory", "SearchHistory", "UserID", "DeviceID", "PurchaseHistory",
    "ProductInteraction", "AdvertisingData", "OtherUsageData", "CrashData", "PerformanceData",
    "OtherDiagnosticData", "EnvironmentScanning", "Hands", "Head", "OtherDataTypes",
}
PURPOSES = {"ThirdPartyAdvertising", "DeveloperAdvertising", "Analytics", "ProductPersonalization",
            "AppFunctionality", "Other"}


def sources():
    """The files that ship in an iOS app: Swift SDK, React Native iOS module, Rust core."""
    swift = [*(ROOT / "bindings/swift/Sources/RejourneySDK").glob("*.swift")]
    swift += [p for p in (ROOT / "react-native/ios").glob("*") if p.suffix in {".swift", ".m", ".mm", ".h"}]
    rust = [p for p in (ROOT / "rejourney-core/src").rglob("*.rs") if p.name != "tests.rs"]
    return swift, rust


def strip_rust_tests(text):
    """Drops `#[cfg(test)] mod … { … }` blocks: test code does not ship."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def used_categories():
    swift, rust = sources()
    used = {}
    for cat, spec in CATEGORIES.items():
        for p in swift:
            for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
                if not line.strip().startswith("//") and re.search(spec["swift"], line):
                    used.setdefault(cat, f"{p.relative_to(ROOT)}:{n}")
        for p in rust:
            text = strip_rust_tests(p.read_text(errors="replace"))
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip().startswith("//") and re.search(spec["rust"], line):
                    used.setdefault(cat, f"{p.relative_to(ROOT)} ({line.strip()[:60]})")
    return used


def check_shape(m, problems):
    if m.get("NSPrivacyTracking") is not False:
        problems.append("NSPrivacyTracking must be false (the SDK does not track)")
    if m.get("NSPrivacyTrackingDomains") != []:
        problems.append("NSPrivacyTrackingDomains must be an empty array")
    types = m.get("NSPrivacyCollectedDataTypes")
    if not isinstance(types, list) or not types:
        problems.append("NSPrivacyCollectedDataTypes must list what the SDK collects")
        types = []
    for t in types:
        name = t.get("NSPrivacyCollectedDataType", "")
        if name.removeprefix("NSPrivacyCollectedDataType") not in DATA_TYPES:
            problems.append(f"unknown collected data type {name!r}")
        for key in ("NSPrivacyCollectedDataTypeLinked", "NSPrivacyCollectedDataTypeTracking"):
            if not isinstance(t.get(key), bool):
                problems.append(f"{name}: {key} must be a boolean")
        if t.get("NSPrivacyCollectedDataTypeTracking") is not False:
            problems.append(f"{name}: not used for tracking")
        purposes = t.get("NSPrivacyCollectedDataTypePurposes")
        if not purposes or any(p.removeprefix("NSPrivacyCollectedDataTypePurpose") not in PURPOSES for p in purposes):
            problems.append(f"{name}: purposes {purposes!r}")
    for a in m.get("NSPrivacyAccessedAPITypes") or []:
        cat = a.get("NSPrivacyAccessedAPIType")
        reasons = a.get("NSPrivacyAccessedAPITypeReasons") or []
        if cat not in CATEGORIES:
            problems.append(f"unknown required-reason API category {cat!r}")
        elif not reasons or not set(reasons) <= CATEGORIES[cat]["reasons"]:
            problems.append(f"{cat}: reasons {reasons!r} are not among {sorted(CATEGORIES[cat]['reasons'])}")


def check_packaging(problems):
    pkg = (ROOT / "bindings/swift/Package.swift").read_text()
    if not re.search(r'resources:\s*\[[^\]]*"PrivacyInfo\.xcprivacy"', pkg):
        problems.append("Package.swift: PrivacyInfo.xcprivacy is not a resource of RejourneySDK")
    pod = (ROOT / "bindings/swift/podspecs/RejourneySDK.podspec").read_text()
    if not re.search(r'resource_bundles.*RejourneySDK/PrivacyInfo\.xcprivacy', pod):
        problems.append("RejourneySDK.podspec: no resource bundle with the manifest")
    rn_pod = (ROOT / "react-native/rejourney-react-native.podspec").read_text()
    if not re.search(r'resource_bundles.*ios/PrivacyInfo\.xcprivacy', rn_pod):
        problems.append("rejourney-react-native.podspec: no resource bundle with the manifest")
    files = json.loads((ROOT / "react-native/package.json").read_text()).get("files", [])
    if "ios/PrivacyInfo.xcprivacy" not in files:
        problems.append("react-native/package.json: ios/PrivacyInfo.xcprivacy not in files")
    if not RN_COPY.exists() or RN_COPY.read_bytes() != MANIFEST.read_bytes():
        problems.append(f"{RN_COPY.relative_to(ROOT)} differs from {MANIFEST.relative_to(ROOT)}")


def check_built(build_dir, problems):
    found = [p for p in pathlib.Path(build_dir).rglob("PrivacyInfo.xcprivacy") if "RejourneySDK" in str(p.parent)]
    if not found:
        problems.append(f"swift build did not package PrivacyInfo.xcprivacy under {build_dir}")
    elif any(p.read_bytes() != MANIFEST.read_bytes() for p in found):
        problems.append("the packaged manifest differs from the source")


def check_npm(problems):
    r = subprocess.run(["npm", "pack", "--dry-run", "--json", "--ignore-scripts"], cwd=ROOT / "react-native",
                       capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"npm pack --dry-run failed: {r.stderr.strip()[:300]}")
        return
    listed = {f["path"] for entry in json.loads(r.stdout) for f in entry.get("files", [])}
    if "ios/PrivacyInfo.xcprivacy" not in listed:
        problems.append("npm pack does not ship ios/PrivacyInfo.xcprivacy")


def main(argv):
    problems = []
    try:
        with open(MANIFEST, "rb") as f:
            manifest = plistlib.load(f)
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        print(f"privacy manifest: {MANIFEST.relative_to(ROOT)} is not a valid plist: {e}")
        return 1
    check_shape(manifest, problems)
    declared = {a.get("NSPrivacyAccessedAPIType") for a in manifest.get("NSPrivacyAccessedAPITypes") or []}
    used = used_categories()
    for cat, where in sorted(used.items()):
        if cat not in declared:
            problems.append(f"{cat} is called ({where}) but not declared")
    for cat in sorted(declared - set(used)):
        problems.append(f"{cat} is declared but no source calls it")
    check_packaging(problems)
    if "--built" in argv:
        check_built(argv[argv.index("--built") + 1], problems)
    if "--npm" in argv:
        check_npm(problems)
    for p in problems:
        print(f"privacy manifest: {p}")
    if not problems:
        print(f"privacy manifest: ok (required-reason APIs called: {', '.join(sorted(used))})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
