import Foundation
import Report
import XCTest

/// Renders report pages with headless Chromium (scripts/screenshot-report.sh) and checks the
/// screenshots are not blank; skipped where Debian's `chromium` is not installed.
final class ScreenshotTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func chromiumOrSkip() throws {
        let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        if !found { throw XCTSkip("chromium is not installed (scripts/screenshot-report.sh --install)") }
    }

    /// Runs the screenshot script on `html`; returns its exit status and output.
    private func screenshot(_ html: URL, to png: URL) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repository.appendingPathComponent("scripts/screenshot-report.sh").path, html.path, png.path, "1200", "2400"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-shot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["PARETOKIT_KEEP_SCREENSHOTS"] == nil {
            addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        }
        return url
    }

    func testReportsOfBothRunKindsScreenshotAsNonBlankImages() throws {
        try chromiumOrSkip()
        let directory = try temporaryDirectory()
        for run in ["zdt2-run", "network-run"] {
            let input = try RunDirectoryReport.load(from: repository.appendingPathComponent("Tests/ReportTests/Fixtures/\(run)"))
            let page = try ReportPage.write(input, to: directory.appendingPathComponent(run))
            let (status, output) = try screenshot(page, to: directory.appendingPathComponent("\(run).png"))
            XCTAssertEqual(status, 0, output)
            XCTAssertTrue(output.contains("distinct colours"), output)
        }
    }

    func testABlankPageFailsTheCheck() throws {
        try chromiumOrSkip()
        let directory = try temporaryDirectory()
        let blank = directory.appendingPathComponent("blank.html")
        try Data("<!DOCTYPE html><html><body></body></html>".utf8).write(to: blank)
        let (status, output) = try screenshot(blank, to: directory.appendingPathComponent("blank.png"))
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("looks blank"), output)
    }
}
