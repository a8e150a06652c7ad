import Foundation
import ParetoKit

/// A command-line error with a message.
struct AnalysisError: Error, CustomStringConvertible {
    var description: String
}

/// `front.json` of a run directory (or the file itself).
func loadFront(_ path: String) throws -> FrontFile {
    var url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
        url = url.appendingPathComponent("front.json")
    }
    return try FrontFile.read(from: url)
}

/// The analytic problem of a front file, with the dimension its points' parameters have.
func problem(of front: FrontFile) throws -> any BenchmarkProblem {
    guard let n = front.points.first?.parameters?.count else {
        throw AnalysisError(description: "\(front.problem): the run's points carry no parameters (not an analytic run)")
    }
    return try Problems.named(front.problem, dimension: front.problem == "zdt2-variant" ? nil : n)
}

/// The run's chain as a continuous family: its points with a `t`, in order of `t`, with
/// `x(t)` interpolated linearly between neighbours (Ma et al. 2020, §5).
func chain(of front: FrontFile) throws -> TangentChain {
    let nodes = front.points.filter { $0.t != nil && $0.parameters != nil }.sorted { $0.t! < $1.t! }
    guard !nodes.isEmpty else { throw AnalysisError(description: "the run has no chain points with t and parameters") }
    var parameters: [Int: [Double]] = [:]
    for node in nodes { parameters[node.id] = node.parameters! }
    let table = parameters
    return try TangentChain(
        nodes: nodes.map { FamilyNode(id: $0.id, coordinate: .t($0.t!), objectives: $0.objectives) },
        nodeParameters: { id in
            guard let x = table[id] else { throw AnalysisError(description: "no parameters for point \(id)") }
            return x
        })
}

/// A number from the command line.
func number(_ text: String) throws -> Double {
    guard let value = Double(text.replacingOccurrences(of: "t=", with: "")) else {
        throw AnalysisError(description: "'\(text)' is not a number")
    }
    return value
}

/// A comma-separated list of numbers.
func numbers(_ text: String) throws -> [Double] { try text.split(separator: ",").map { try number(String($0)) } }

/// Every digit of a double (so that scripts and tests read back the exact value).
func exact(_ value: Double) -> String { "\(value)" }

/// Objective vectors of the accepted points and of the non-dominated curve samples.
func frontVectors(_ front: FrontFile) -> (points: [[Double]], curve: [[Double]]) {
    (front.points.map(\.objectives), front.curve.filter { !$0.dominated }.map(\.objectives))
}

/// Hypervolume of the vectors that lie strictly inside the reference box (0 when none does).
func hypervolume(of vectors: [[Double]], reference: [Double]) throws -> Double {
    let inside = vectors.filter { zip($0, reference).allSatisfy { $0 < $1 } }
    return inside.isEmpty ? 0 : try Hypervolume.compute(inside, reference: reference)
}
