// The project's own analyses, each exported as Markdown + SVG + CSV into notebooks-export/:
//
//     swift run -c release notebooks-example <name|all> [OUT_DIR] [--small] [--runs DIR]
//
// Names: zdt2-tangent-vs-gradient, zdt2-scalarisation, linear-mtl-capacity, zdt2-stitched,
// multimnist-stitched, multimnist-palora (read the finished runs of scripts/experiments/multimnist-many-seeds.sh
// in --runs DIR; `all` includes it only with --runs). `--small` uses smaller grids and sample
// counts (CI checks that every figure still renders).
import Foundation
import ParetoKit

var analyses: [(name: String, run: (NotebookSettings) throws -> NotebookOutput)] = [
    (TangentVersusGradient.name, TangentVersusGradient.run),
    (Scalarisation.name, Scalarisation.run),
    (LinearCapacity.name, LinearCapacity.run),
    (StitchedFronts.zdt2Name, StitchedFronts.zdt2),
]

var arguments = Array(CommandLine.arguments.dropFirst())
var settings = NotebookSettings()
if let index = arguments.firstIndex(of: "--small") {
    settings.small = true
    arguments.remove(at: index)
}
var runs: URL?
if let index = arguments.firstIndex(of: "--runs") {
    guard index + 1 < arguments.count else {
        FileHandle.standardError.write(Data("notebooks-example: --runs needs a directory\n".utf8))
        exit(2)
    }
    runs = URL(fileURLWithPath: arguments[index + 1], isDirectory: true)
    arguments.removeSubrange(index...(index + 1))
}
if let runs {
    analyses.append((StitchedFronts.multimnistName, { try StitchedFronts.multimnist($0, runs: runs) }))
    analyses.append((StitchedFronts.paloraName, { try StitchedFronts.palora($0, runs: runs) }))
}
let needRuns = [StitchedFronts.multimnistName, StitchedFronts.paloraName]
let names = analyses.map(\.name) + (runs == nil ? needRuns : [])
guard let selection = arguments.first, selection == "all" || names.contains(selection), arguments.count <= 2 else {
    FileHandle.standardError.write(Data("usage: notebooks-example <\(names.joined(separator: "|"))|all> [OUT_DIR] [--small] [--runs DIR]\n".utf8))
    exit(2)
}
if needRuns.contains(selection) && runs == nil {
    FileHandle.standardError.write(Data("notebooks-example: \(selection) reads finished runs: give --runs DIR (scripts/experiments/multimnist-many-seeds.sh DIR makes them)\n".utf8))
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
