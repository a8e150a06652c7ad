// The project's own analyses, each exported as Markdown + SVG + CSV into notebooks-export/:
//
//     swift run -c release notebooks-example <name|all> [OUT_DIR] [--small]
//
// Names: zdt2-tangent-vs-gradient, zdt2-scalarisation, linear-mtl-capacity. `--small` uses
// smaller grids and sample counts (CI checks that every figure still renders).
import Foundation
import ParetoKit

let analyses: [(name: String, run: (NotebookSettings) throws -> NotebookOutput)] = [
    (TangentVersusGradient.name, TangentVersusGradient.run),
    (Scalarisation.name, Scalarisation.run),
    (LinearCapacity.name, LinearCapacity.run),
]

var arguments = Array(CommandLine.arguments.dropFirst())
var settings = NotebookSettings()
if let index = arguments.firstIndex(of: "--small") {
    settings.small = true
    arguments.remove(at: index)
}
let names = analyses.map(\.name)
guard let selection = arguments.first, selection == "all" || names.contains(selection), arguments.count <= 2 else {
    FileHandle.standardError.write(Data("usage: notebooks-example <\(names.joined(separator: "|"))|all> [OUT_DIR] [--small]\n".utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: arguments.count == 2 ? arguments[1] : "notebooks-export", isDirectory: true)
do {
    for analysis in analyses where selection == "all" || selection == analysis.name {
        let files = try analysis.run(settings).write(to: directory)
        print("wrote \(files.joined(separator: ", "))")
    }
} catch {
    FileHandle.standardError.write(Data("notebooks-example: \(error)\n".utf8))
    exit(1)
}
