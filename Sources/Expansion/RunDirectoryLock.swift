import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of ``RunDirectoryLock``.
public enum RunLockError: Error, Equatable, CustomStringConvertible {
    /// Another live process (`pid`) holds the lock of the run directory.
    case locked(directory: String, pid: Int32)

    public var description: String {
        switch self {
        case .locked(let directory, let pid):
            return "\(directory) is in use by a running expansion (process \(pid)); wait for it or choose another directory"
        }
    }
}

/// An exclusive lock on a run directory while a run writes it: the file `DIR/.lock`, created
/// atomically (`O_CREAT | O_EXCL`) and holding the owner's process id. A lock whose process no
/// longer exists (`kill(pid, 0)` fails with `ESRCH`: the run was killed) is stale and is taken
/// over. The lock is released by ``release()`` or when the object is freed.
public final class RunDirectoryLock {
    /// The lock file's name inside the run directory.
    public static let fileName = ".lock"
    /// The lock file.
    public let url: URL
    private var held = true

    /// Takes the lock of `directory` (created if needed).
    /// - Throws: ``RunLockError/locked(directory:pid:)`` if a live process holds it; file errors.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        url = directory.appendingPathComponent(Self.fileName)
        for attempt in 0..<2 {
            let descriptor = open(url.path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            if descriptor >= 0 {
                let text = "\(getpid())\n"
                _ = text.withCString { write(descriptor, $0, strlen($0)) }
                close(descriptor)
                return
            }
            guard errno == EEXIST, attempt == 0 else { break }
            let owner = (try? String(contentsOf: url, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let owner, owner != getpid(), kill(owner, 0) == 0 || errno == EPERM {
                throw RunLockError.locked(directory: directory.path, pid: owner)
            }
            // Stale (its process is gone) or unreadable: take it over.
            try? FileManager.default.removeItem(at: url)
        }
        throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
    }

    /// Releases the lock (idempotent).
    public func release() {
        guard held else { return }
        held = false
        try? FileManager.default.removeItem(at: url)
    }

    deinit { release() }
}
