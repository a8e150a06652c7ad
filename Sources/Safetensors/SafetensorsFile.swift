import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file: named tensors plus the optional string-to-string `__metadata__` map.
///
/// Format (huggingface/safetensors `README.md`, "Format"):
/// 8 bytes `N`, a little-endian `UInt64`; `N` bytes of UTF-8 JSON header
/// `{"__metadata__": {…}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}`
/// (possibly padded with trailing spaces); then the byte buffer, where each tensor occupies
/// `begin..<end`, little-endian and row-major. The offsets must tile the buffer exactly.
///
/// Tensors are kept in the order the reference writer lays them out (`prepare` in
/// `safetensors/src/tensor.rs`): by descending `SafetensorsDType.layoutRank`, then by the
/// UTF-8 bytes of the name. Construction and parsing both sort into this order, so two
/// files with the same content compare equal and serialize to the same bytes.
///
/// Metadata values must be strings (the format stores a JSON object of strings); callers
/// encode structured metadata (numbers, arrays, nested objects) as JSON text in a string.
///
/// Names are compared with Swift `String` equality, which identifies canonically
/// equivalent Unicode spellings; two such names count as duplicates.
public struct SafetensorsFile: RandomAccessCollection, Equatable, Sendable {
    /// The reader's and writer's header-length limit, 100 000 000 bytes
    /// (`MAX_HEADER_SIZE` of the reference implementation).
    public static let maximumHeaderLength = 100_000_000

    /// The tensors, in layout order (see the type's documentation).
    public let tensors: [SafetensorsTensor]
    /// The `__metadata__` map; empty when the file has none.
    public let metadata: [String: String]

    /// Creates a file from tensors with distinct names and a metadata map.
    ///
    /// - Throws: `SafetensorsError.duplicateTensorName`, `.reservedTensorName` for a tensor
    ///   named `__metadata__`, `.headerWouldBeTooLarge`.
    public init(tensors: [SafetensorsTensor], metadata: [String: String] = [:]) throws {
        var names = Set<String>()
        for tensor in tensors {
            guard tensor.name != Self.metadataKey else {
                throw SafetensorsError.reservedTensorName(tensor.name)
            }
            guard names.insert(tensor.name).inserted else {
                throw SafetensorsError.duplicateTensorName(tensor.name)
            }
        }
        self.tensors = tensors.sorted(by: Self.precedesInLayout)
        self.metadata = metadata
        let headerLength = Self.header(tensors: self.tensors, metadata: metadata).count
        guard headerLength <= Self.maximumHeaderLength else {
            throw SafetensorsError.headerWouldBeTooLarge(
                length: headerLength, limit: Self.maximumHeaderLength)
        }
    }

    /// The header key reserved for the metadata map.
    static let metadataKey = "__metadata__"

    /// Layout order of the reference writer: descending dtype rank, then name bytes ascending.
    static func precedesInLayout(_ a: SafetensorsTensor, _ b: SafetensorsTensor) -> Bool {
        if a.dtype.layoutRank != b.dtype.layoutRank {
            return a.dtype.layoutRank > b.dtype.layoutRank
        }
        return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }

    // MARK: Collection

    /// Index of the first tensor (0).
    public var startIndex: Int { tensors.startIndex }
    /// One past the index of the last tensor.
    public var endIndex: Int { tensors.endIndex }
    /// The tensor at `position` in layout order.
    public subscript(position: Int) -> SafetensorsTensor { tensors[position] }

    /// Tensor names in layout order.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, or `nil`.
    public subscript(name: String) -> SafetensorsTensor? {
        tensors.first { $0.name == name }
    }

    /// The tensor called `name`.
    ///
    /// - Throws: `SafetensorsError.tensorNotFound`.
    public func tensor(named name: String) throws -> SafetensorsTensor {
        guard let tensor = self[name] else { throw SafetensorsError.tensorNotFound(name) }
        return tensor
    }

    // MARK: Layout check

    /// Checks the file against an expected architecture: every expected name must be present
    /// with exactly the expected shape, and, unless `allowExtra`, no other tensor may be present.
    ///
    /// - Throws: `SafetensorsError.layoutMismatch` listing all missing tensors (in `expected`
    ///   order), unexpected tensors (in layout order) and shape mismatches (in `expected` order).
    public func validateLayout(expected: [(name: String, shape: [Int])], allowExtra: Bool) throws {
        var missing: [String] = []
        var mismatches: [SafetensorsShapeMismatch] = []
        var expectedNames = Set<String>()
        for (name, shape) in expected {
            expectedNames.insert(name)
            guard let tensor = self[name] else {
                missing.append(name)
                continue
            }
            if tensor.shape != shape {
                mismatches.append(SafetensorsShapeMismatch(name: name, expected: shape, actual: tensor.shape))
            }
        }
        let unexpected = allowExtra ? [] : names.filter { !expectedNames.contains($0) }
        guard missing.isEmpty, unexpected.isEmpty, mismatches.isEmpty else {
            throw SafetensorsError.layoutMismatch(
                missing: missing, unexpected: unexpected, shapeMismatches: mismatches)
        }
    }

    // MARK: Files

    /// Reads and validates the safetensors file at `url` (see `parse(_:)`).
    ///
    /// - Throws: `SafetensorsError.io` when the file cannot be read, otherwise the errors of `parse(_:)`.
    public static func read(from url: URL) throws -> SafetensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafetensorsError.io(path: url.path, detail: "cannot read: \(error.localizedDescription)")
        }
        return try parse([UInt8](data))
    }

    /// Writes `serialized()` to `url` atomically: the bytes go to a new temporary file in the
    /// same directory, which is flushed with `fsync` and then renamed over `url` (POSIX
    /// `rename` replaces the target atomically). A reader therefore sees either the old
    /// file or the complete new one. The directory is `fsync`ed afterwards (best effort) so
    /// the rename itself is durable. On failure the temporary file is removed.
    ///
    /// - Throws: `SafetensorsError.io` naming the failing step and the `errno` message.
    public func write(to url: URL) throws {
        let bytes = serialized()
        let target = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path

        func failure(_ step: String, _ path: String) -> SafetensorsError {
            SafetensorsError.io(path: path, detail: "\(step) failed: \(String(cString: strerror(errno)))")
        }

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure("creating a temporary file", temporary) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }

        do {
            defer { close(descriptor) }
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { raw in
                    writeBytes(descriptor, raw.baseAddress! + written, raw.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure("writing", temporary)
                }
                written += result
            }
            guard fsync(descriptor) == 0 else { throw failure("fsync", temporary) }
        }
        guard rename(temporary, target) == 0 else { throw failure("renaming into place", target) }
        renamed = true

        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

/// POSIX `write(2)`, under a name that the `write(to:)` method does not shadow.
private func writeBytes(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
