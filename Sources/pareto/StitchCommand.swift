import ArgumentParser
import Foundation
import ParetoKit

/// `pareto stitch RUN_DIR… --out DIR`: one continuous front from the families of many runs
/// (``StitchedRun``): crossings inserted once, dominated stretches cut, gaps reported, one
/// parameter `t ∈ [0, 1]` by arc length, hypervolume of each family and of the stitch.
struct StitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stitch",
        abstract: "Stitch the families of several runs into one continuous Pareto front.",
        discussion: """
            Example: pareto stitch run/seed-1 run/seed-2 run/seed-3 --out run/stitched
            writes run/stitched/front.json and front.csv: every point with its t in [0, 1] along the stitched front,
            its family and its coordinate there. pareto expand --from run/stitched --at t=0.42 --out model.safetensors
            materialises the model at t. Runs of tangent chains, PaLoRA segments, hybrids and earlier stitches mix;
            they must be runs of one problem (one data set and test split, for networks).
            Network runs: the models at crossings are evaluated on the runs' test split, rebuilt from the data options
            (defaults: the runs' data set and test size, data seed 1) and checked against the runs' recorded digest.
            See docs/stitching.md.
            """)

    @Argument(help: "Run directories (each holding front.json).")
    var runs: [String]

    @Option(help: "Output directory of the stitched run (created if needed).")
    var out: String

    @Option(parsing: .unconditional, help: "Hypervolume reference r1,r2 (default: the one the runs share).")
    var reference: RealList?

    @Option(parsing: .unconditional, help: "Longest junction between families that still counts as continuous (default: the longest step between adjacent samples of one family on the front).")
    var gapTolerance: Double?

    @Option(parsing: .unconditional, help: "Networks: seed of the composites of the test split (default 1, pareto train's default).")
    var dataSeed: UInt64?

    @OptionGroup(title: "Networks: data (to evaluate the models at crossings)")
    var dataOptions: DataOptions

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory to stitch") }
        if let gapTolerance { try Check.nonNegative(gapTolerance, "--gap-tolerance") }
        if let reference, reference.values.count != 2 { throw ValidationError("--reference needs 2 values (stitching is defined for two objectives), got \(reference.values.count)") }
    }

    func run() throws {
        for run in runs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandLineError(description: "\(run): no such run directory", status: .missingInput)
            }
        }
        try Check.outputDirectory(out, "--out")
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        let families = try RunFamilies.load(from: runs.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let clock = Date()
        let evaluator = try StitchEvaluator(families: families, data: dataOptions, dataSeed: dataSeed)
        let result = try StitchedRun.stitch(
            families, reference: reference?.values, options: StitchOptions(gapTolerance: gapTolerance), directory: directory,
            evaluate: evaluator.evaluate)
        try result.front.write(to: directory)
        try RunProvenance.current.write(to: directory)
        Self.printSummary(result, seconds: Date().timeIntervalSince(clock))
        print("wrote:              \(directory.appendingPathComponent("front.json").path), front.csv")
    }

    /// The stitch's summary: each family's hypervolume, the stitched front's, crossings, gaps.
    static func printSummary(_ result: StitchedRunResult, seconds: Double) {
        let front = result.front
        guard let stitch = front.stitch else { return }
        print("stitched:           \(stitch.families.count) families of \(front.problem) (\(stitch.objectives)), reference \(formatted(front.reference))")
        for (index, family) in stitch.families.enumerated() {
            print(String(format: "  family %d  %@  %@, %d samples, hypervolume %.6f, %d points on the front",
                         index, family.name, family.kind, family.samples, family.hypervolume, family.vertices))
        }
        print(String(format: "hypervolume:        %.6f stitched front (%d points, %d pieces)", front.hypervolume, front.points.count, stitch.pieces.count))
        let inserted = stitch.crossings.filter { $0.point != nil }.count
        print("crossings:          \(stitch.crossings.count) found, \(inserted) on the front (\(result.evaluations) models evaluated)")
        if stitch.gaps.isEmpty {
            print(String(format: "gaps:               none (junctions ≤ %.3g apart)", stitch.gapTolerance))
        } else {
            let listed = stitch.gaps.map { String(format: "t = %.4f (%.3g wide)", $0.t, $0.distance) }.joined(separator: ", ")
            print(String(format: "gaps:               %d, tolerance %.3g: %@", stitch.gaps.count, stitch.gapTolerance, listed))
        }
        print(String(format: "time:               %.2f s", seconds))
    }
}

/// Evaluation of the families' models at crossings: analytic families through their problem,
/// network families on the runs' test split (test loss per task, the space of their curves).
struct StitchEvaluator {
    let test: MultiDigitDataset?

    /// For network families, builds the test split (data set and size from `data` or the
    /// runs, composites seed `dataSeed` or 1) and checks it against the digest the runs recorded.
    init(families: [RunFamily], data: DataOptions, dataSeed: UInt64?) throws {
        guard let network = families.first(where: \.isNetwork) else {
            test = nil
            return
        }
        let name = network.problem
        guard let dataset = data.dataset ?? CompositeDataset(frontName: name) else {
            throw ValidationError("\(network.name) is a run on '\(name)': give --dataset")
        }
        let side = name.hasSuffix("-14") ? 14 : 28
        let selection = try data.selection(dataset)
        let (_, test) = try selection.multiDigitSplits(
            trainCount: 1, testCount: data.testSize ?? network.front.testImages, seed: dataSeed ?? 1, side: side)
        for family in families {
            guard let recorded = Self.recordedTestDigest(family.directory), recorded != test.digest else { continue }
            throw CommandLineError(
                description: "\(family.name) was measured on another test split (digest \(recorded), rebuilt \(test.digest)): give the runs' --dataset, --test-size, --data and --data-seed",
                status: .invalidInput)
        }
        self.test = test
    }

    func evaluate(_ family: RunFamily, _ coordinate: FamilyCoordinate) throws -> [Double] {
        guard let test else { return try family.analyticObjectives(at: coordinate) }
        return try StitchedRun.networkEvaluator(test: test)(family, coordinate)
    }

    /// The test split's digest a network tangent run recorded in its `state.json`.
    static func recordedTestDigest(_ directory: URL) -> String? {
        guard let bytes = try? Data(contentsOf: directory.appendingPathComponent("state.json")),
              let record = try? JSONDecoder().decode(NetworkRunRecord.self, from: bytes)
        else { return nil }
        return record.configuration["test_data"]
    }
}
