import ArgumentParser
import Foundation

/// Checks of option values and paths that run in `validate()`, before any data is loaded or
/// any file written: a bad value costs nothing and leaves nothing behind.
enum Check {
    /// The largest counts the options accept: far beyond any real run, far below where the
    /// products of counts (budgets, candidate caps, allocations) could overflow an `Int`.
    static let largestCount = 10_000_000

    /// `value` lies in `range` (a count option).
    static func count(_ value: Int, _ option: String, atLeast minimum: Int, atMost maximum: Int = largestCount) throws {
        guard value >= minimum else { throw ValidationError("\(option) must be at least \(minimum), got \(value)") }
        guard value <= maximum else { throw ValidationError("\(option) must be at most \(maximum), got \(value)") }
    }

    /// `value` is finite and positive.
    static func positive(_ value: Double, _ option: String) throws {
        guard value.isFinite, value > 0 else { throw ValidationError("\(option) must be a positive number, got \(value)") }
    }

    /// `value` is finite and not negative.
    static func nonNegative(_ value: Double, _ option: String) throws {
        guard value.isFinite, value >= 0 else { throw ValidationError("\(option) must be a non-negative number, got \(value)") }
    }

    /// `path` names a directory that exists or can be created and written: not empty, not a
    /// file, its nearest existing ancestor writable.
    static func outputDirectory(_ path: String, _ option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) must name a directory, got an empty path") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("\(option) \(path) is a file, not a directory") }
            guard FileManager.default.isWritableFile(atPath: path) else { throw ValidationError("\(option) \(path): permission denied") }
            return
        }
        var ancestor = URL(fileURLWithPath: path).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) { ancestor.deleteLastPathComponent() }
        guard isDirectory.boolValue else { throw ValidationError("\(option) \(path): \(ancestor.path) is a file, not a directory") }
        guard FileManager.default.isWritableFile(atPath: ancestor.path) else {
            throw ValidationError("\(option) \(path): cannot create it, \(ancestor.path) is not writable")
        }
    }

    /// `path` names a file that can be written: not empty, not a directory, in an existing,
    /// writable directory.
    static func outputFile(_ path: String, _ option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) must name a file, got an empty path") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(option) \(path) is a directory; give a file name")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): directory \(directory.path) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw ValidationError("\(option) \(path): directory \(directory.path) is not writable")
        }
    }

    /// `path` names a readable file.
    static func inputFile(_ path: String, _ option: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(option) \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw ValidationError("\(option) \(path) is a directory, not a file") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw ValidationError("\(option) \(path): permission denied") }
    }
}
