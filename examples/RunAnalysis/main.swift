// Analysis scripts for run directories, as a researcher writes them with `import ParetoKit`:
//
//     swift run -c release run-analysis-example query RUN_DIR T [T …]        the continuous set at t
//     swift run -c release run-analysis-example hypervolume RUN_DIR R1,R2    hypervolume for another reference
//     swift run -c release run-analysis-example compare RUN_A RUN_B [R1,R2]  two runs side by side
//     swift run -c release run-analysis-example export RUN_DIR OUT.csv       points and curve for pandas
//
// RUN_DIR is what `pareto expand --problem … --out RUN_DIR` writes (front.json, front.csv).
// Each subcommand lives in its own file; this one only dispatches.
import Foundation
import ParetoKit

let usage = """
    usage: run-analysis-example query RUN_DIR T [T …]
           run-analysis-example hypervolume RUN_DIR R1,R2[,…]
           run-analysis-example compare RUN_A RUN_B [R1,R2[,…]]
           run-analysis-example export RUN_DIR OUT.csv

    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch (arguments.first, arguments.count) {
    case ("query", 3...): try query(run: arguments[1], at: try arguments.dropFirst(2).map(number))
    case ("hypervolume", 3): try hypervolume(run: arguments[1], reference: try numbers(arguments[2]))
    case ("compare", 3), ("compare", 4):
        try compare(arguments[1], arguments[2], reference: try arguments.count == 4 ? numbers(arguments[3]) : nil)
    case ("export", 3): try export(run: arguments[1], to: arguments[2])
    default:
        FileHandle.standardError.write(Data(usage.utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("run-analysis-example: \(error)\n".utf8))
    exit(1)
}
