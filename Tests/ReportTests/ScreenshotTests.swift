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

    func testPointsTableSortsInChromium() throws {
        try chromiumOrSkip()
        let directory = try temporaryDirectory()
        let input = try RunDirectoryReport.load(from: repository.appendingPathComponent("Tests/ReportTests/Fixtures/zdt2-run"))
        // Two clicks on the f₁ header sort descending: ZDT2's chain end t = 1 has f₁ = 1, the largest.
        let click = "<script>var h = document.querySelectorAll('table.points th')[3]; h.click(); h.click();</script></body>"
        let page = try ReportPage.html(for: input).replacingOccurrences(of: "</body>", with: click)
        XCTAssertTrue(page.contains("<th data-type=\"number\">f\u{2081}</th>"))
        let file = directory.appendingPathComponent("sorted.html")
        try Data(page.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") ? "/usr/bin/chromium" : "/usr/bin/chromium-browser")
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory.path)/profile", "--dump-dom", "file://\(file.path)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let table = try XCTUnwrap(dom.range(of: "<table class=\"sortable points\">"), "no points table in the rendered DOM")
        let body = try XCTUnwrap(dom.range(of: "<tbody>", range: table.upperBound..<dom.endIndex))
        let firstRow = dom[body.upperBound...].prefix { $0 != "/" }
        // The first cell of the first row is the id of the point with f₁ = 1, the chain's t = 1 end.
        let end = try XCTUnwrap(input.points.first { $0.t == 1 })
        XCTAssertTrue(firstRow.hasPrefix("<tr><td data-sort=\"\(Double(end.id))\">"), String(firstRow))
        XCTAssertTrue(dom.contains("aria-sort=\"descending\""))
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
