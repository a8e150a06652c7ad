import CZlib
import Foundation

/// Reading whole files, transparently decompressing gzip (RFC 1952) with zlib's `inflate`.
public enum DataFile {
    /// Whether `bytes` begins with the gzip magic number `1f 8b` (RFC 1952, §2.3.1).
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The contents of the file at `url`, decompressed if it starts with the gzip magic number.
    /// - Throws: ``DatasetError/fileNotFound(path:)``, ``DatasetError/unreadableFile(path:reason:)``,
    ///   ``DatasetError/truncatedGzip(path:)`` or ``DatasetError/corruptGzip(path:reason:)``.
    public static func contents(of url: URL) throws -> [UInt8] {
        let raw = try rawContents(of: url)
        return isGzip(raw) ? try gunzip(raw, name: url.path) : raw
    }

    /// The undecoded bytes of the file at `url`.
    static func rawContents(of url: URL) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError.fileNotFound(path: url.path)
        }
        guard !isDirectory.boolValue else {
            throw DatasetError.unreadableFile(path: url.path, reason: "is a directory")
        }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw DatasetError.unreadableFile(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Decompresses a gzip file image (one or more concatenated members) with zlib's `inflate`
    /// in gzip mode (`inflateInit2` with window bits `16 + MAX_WBITS`), which also checks each
    /// member's CRC-32 and length trailer. `name` is used in error messages.
    /// - Throws: ``DatasetError/truncatedGzip(path:)`` if the input ends inside a member,
    ///   ``DatasetError/corruptGzip(path:reason:)`` for malformed data or trailing garbage.
    public static func gunzip(_ input: [UInt8], name: String) throws -> [UInt8] {
        guard isGzip(input) else { throw DatasetError.corruptGzip(path: name, reason: "no gzip magic number 1f 8b") }
        guard input.count <= Int(UInt32.max) else {
            throw DatasetError.corruptGzip(path: name, reason: "compressed file larger than 4 GiB is not supported")
        }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw DatasetError.corruptGzip(path: name, reason: "zlib inflateInit2 failed with status \(initStatus)")
        }
        defer { inflateEnd(&stream) }

        // The last four bytes hold the (last member's) uncompressed size modulo 2^32: a capacity
        // hint, trusted only up to deflate's largest compression ratio (1032:1), so a corrupt
        // trailer in a tiny file cannot reserve a gigabyte.
        let sizeHint = input.suffix(4).reversed().reduce(0) { ($0 << 8) | Int($1) }
        var output = [UInt8]()
        output.reserveCapacity(min(sizeHint, input.count * 1032, 1 << 30))
        var chunk = [UInt8](repeating: 0, count: 1 << 18)

        try input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                var status: Int32 = Z_OK
                let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return buffer.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let remaining = Int(stream.avail_in)
                    if remaining == 0 { return }
                    let next = inputBuffer.count - remaining
                    guard remaining >= 2, inputBuffer[next] == 0x1f, inputBuffer[next + 1] == 0x8b else {
                        throw DatasetError.corruptGzip(
                            path: name, reason: "\(remaining) bytes of trailing garbage after the gzip data")
                    }
                    inflateReset(&stream)
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DatasetError.truncatedGzip(path: name)
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw DatasetError.corruptGzip(path: name, reason: message)
                }
            }
        }
        return output
    }
}
