import Foundation
import ParetoKit

/// One long table of a run for pandas (`pd.read_csv(path)`): a row per accepted point
/// (`kind = point`) and per curve sample (`kind = curve`), with `t`, the objectives, whether the
/// row is dominated, its distance to the analytic front, and (points) the parameters.
func export(run: String, to path: String) throws {
    let front = try loadFront(run)
    let problem = try problem(of: front)
    let m = front.reference.count, n = front.points.compactMap { $0.parameters?.count }.max() ?? 0
    var lines = [(["kind", "id", "t"] + (1...m).map { "f\($0)" } + ["dominated", "distance_to_front"] + (0..<n).map { "x\($0 + 1)" })
        .joined(separator: ",")]
    let all = front.points.map(\.objectives) + front.curve.map(\.objectives)
    func isDominated(_ f: [Double]) -> Bool { all.contains { dominates($0, f) } }
    for p in front.points {
        let fields = ["point", "\(p.id)", p.t.map(exact) ?? ""] + p.objectives.map(exact)
            + ["\(isDominated(p.objectives))", exact(problem.distanceToParetoFront(p.objectives))]
            + (0..<n).map { i in p.parameters.map { i < $0.count ? exact($0[i]) : "" } ?? "" }
        lines.append(fields.joined(separator: ","))
    }
    for (index, sample) in front.curve.enumerated() {
        let fields = ["curve", "\(index)", sample.t.map(exact) ?? ""] + sample.objectives.map(exact)
            + ["\(sample.dominated)", exact(problem.distanceToParetoFront(sample.objectives))] + [String](repeating: "", count: n)
        lines.append(fields.joined(separator: ","))
    }
    try writeAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: URL(fileURLWithPath: path))
    print("wrote \(path): \(front.points.count) points and \(front.curve.count) curve samples")
}
