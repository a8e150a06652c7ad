import Expansion
import Foundation
import XCTest

/// Inputs found by the libFuzzer targets (Fuzz/, scripts/fuzz.sh), kept as regression tests.
final class FuzzRegressionTests: XCTestCase {
    /// fuzz-rundir, leak-80b65690c5a9bf7797a8ccc6c350cad44f5af19f (the single byte e5: the
    /// front.json reader on an empty file). LeakSanitizer reported 4096 bytes allocated in
    /// FoundationEssentials' `readBytesFromFile` under `Data(contentsOf:)` and never freed (a
    /// leak in Foundation, not in ParetoKit); the reader itself rejects the file as it should.
    func testAnEmptyFrontFileIsRejectedNamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("front.json")
        try Data().write(to: url)
        XCTAssertThrowsError(try FrontFile.read(from: url)) { error in
            guard case .invalid(let path, _) = error as? FrontFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
    }
}
