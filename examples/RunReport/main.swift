// Writes the HTML report of a run directory, as `pareto report` will:
//
//     swift run -c release report-example RUN_DIR OUT_DIR
//
// RUN_DIR holds a front.json written by `pareto expand` (analytic or network run); OUT_DIR
// receives report.html and one SVG per figure.
import Foundation
import ParetoKit

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: report-example RUN_DIR OUT_DIR\n".utf8))
    exit(2)
}
do {
    var input = try RunDirectoryReport.load(from: URL(fileURLWithPath: arguments[1]))
    input.command = "report-example \(arguments[1]) \(arguments[2])"
    let page = try ReportPage.write(input, to: URL(fileURLWithPath: arguments[2]))
    print("wrote \(page.path)")
} catch {
    FileHandle.standardError.write(Data("report-example: \(error)\n".utf8))
    exit(1)
}
