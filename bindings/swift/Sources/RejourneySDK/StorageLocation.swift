import Foundation

/// Where the SDK keeps its files (spool of pending uploads, device id, session state):
/// `Application Support/rejourney`, excluded from backups.
///
/// Not `Caches`: iOS deletes `Caches` under storage pressure, which would lose pending uploads
/// and the device id without a trace. Not backed up: the files are pending network uploads and
/// an install-scoped id, worthless (and wrong) on another device.
///
/// Earlier versions kept the directory in `Caches`; the first start after an update moves it
/// over once (one rename in the app's container, so nothing is copied or half-moved). Path
/// choice and move are plain Foundation, tested on Linux with temporary directories.
public enum StorageLocation {
    public static let directoryName = "rejourney"

    /// What `prepare` found and did.
    public enum Outcome: Equatable, Sendable {
        /// No earlier directory in `Caches`.
        case fresh
        /// The `Caches` directory was moved to the new place.
        case moved
        /// Both existed (an older SDK ran after the move): the new one is used and the old one
        /// left untouched (its files are not merged: spool file numbers could collide).
        case legacyLeftInPlace
        /// The move failed: the `Caches` directory is used as it is, so nothing it holds is lost.
        case legacyInUse
    }

    public struct Prepared: Equatable, Sendable {
        public var directory: URL
        public var outcome: Outcome
    }

    /// The directory under these two base directories, the earlier one moved over if it is
    /// the only one, created if neither exists, excluded from backups.
    public static func prepare(applicationSupport: URL, caches: URL,
                               fileManager: FileManager = .default) throws -> Prepared {
        let target = applicationSupport.appendingPathComponent(directoryName, isDirectory: true)
        let legacy = caches.appendingPathComponent(directoryName, isDirectory: true)
        let outcome: Outcome
        switch (isDirectory(legacy, fileManager), isDirectory(target, fileManager)) {
        case (true, false):
            do {
                try fileManager.createDirectory(at: applicationSupport, withIntermediateDirectories: true)
                try fileManager.moveItem(at: legacy, to: target)
                outcome = .moved
            } catch {
                return Prepared(directory: legacy, outcome: .legacyInUse)
            }
        case (true, true):
            outcome = .legacyLeftInPlace
        case (false, _):
            try fileManager.createDirectory(at: target, withIntermediateDirectories: true)
            outcome = .fresh
        }
        excludeFromBackup(target)
        return Prepared(directory: target, outcome: outcome)
    }

    /// The app's own directory (`Rejourney.start` without `storageDirectory`).
    static func prepare() throws -> URL {
        let fm = FileManager.default
        let support = fm.urls(for: .applicationSupportDirectory, in: .userDomainMask).first
            ?? fm.temporaryDirectory
        let caches = fm.urls(for: .cachesDirectory, in: .userDomainMask).first ?? fm.temporaryDirectory
        return try prepare(applicationSupport: support, caches: caches, fileManager: fm).directory
    }

    private static func isDirectory(_ url: URL, _ fm: FileManager) -> Bool {
        var dir: ObjCBool = false
        return fm.fileExists(atPath: url.path, isDirectory: &dir) && dir.boolValue
    }

    /// Best effort: a directory that cannot be marked is still used (the backup then holds a
    /// copy of pending uploads, nothing is lost). Linux has no backup attribute.
    private static func excludeFromBackup(_ url: URL) {
        #if canImport(Darwin)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        var u = url
        try? u.setResourceValues(values)
        #endif
    }
}
