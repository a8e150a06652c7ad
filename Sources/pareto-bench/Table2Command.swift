import ArgumentParser
import Foundation

/// `pareto-bench table2`: Ma et al.'s Table 2 (the ablation of §6.5) from one seed.
///
/// From one checkpoint (the paper: a ParetoMTL seed) it runs `pareto expand --method tangent`
/// with K = `--directions` (1):
///
/// * the **k sweep**: MINRES caps `k ∈ --k-values` (20, 30, 50, 100, 500) at `s = --k-step-size`
///   (0.1) with N = `--points` (5);
/// * the **s sweep**: steps `s ∈ --s-values` (0.05, 0.10, 0.25, 0.50) at `k = --s-minres-iterations`
///   (50) with N = round(1/s) points (the paper: "the product of the step size and the step number
///   is constant"; at least 2).
///
/// Each run's HV is the test hypervolume of its accepted points and curve samples with one
/// reference for all runs (`--reference`, else `--reference-scale` × the seed's test loss).
/// Outputs `OUT/table2.json`, `.csv`, `.md`; runs under `OUT/k-<k>/`, `OUT/s-<s>/`; finished runs
/// are skipped on a re-run.
struct Table2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table2",
        abstract: "Ma et al.'s Table 2: the k and s sweeps of tangent expansion from one seed, HV each.",
        discussion: "Drives the pareto executable next to pareto-bench (or --pareto). Resumable. See docs/tables.md.")

    @Option(help: "The seed checkpoint (.safetensors; the paper uses a ParetoMTL seed).") var from: String
    @Option(help: "Data set: multimnist, multifashion or multifashion-mnist (default: the checkpoint's).") var dataset: String?
    @Option(help: "Directory of MNIST / Fashion-MNIST IDX files (pareto's --data).") var data: String?
    @Option(help: "Training composites of the expansion's objectives (default: the training split).") var trainSize: Int?
    @Option(help: "Test composites (default: one per test digit).") var testSize: Int?
    @Option(help: "MINRES caps k of the k sweep.") var kValues = "20,30,50,100,500"
    @Option(help: "Step s of the k sweep.") var kStepSize = 0.1
    @Option(help: "Steps s of the s sweep (N = round(1/s) points each).") var sValues = "0.05,0.1,0.25,0.5"
    @Option(help: "MINRES cap k of the s sweep.") var sMinresIterations = 50
    @Option(help: "N of the k sweep.") var points = 5
    @Option(help: "K: directions per expanded point.") var directions = 1
    @Option(help: "Images of the HVP mini-batch.") var hvpBatch = 2048
    @Option(help: "Curve samples per run (each a test evaluation).") var curveSamples = 5
    @Option(help: "Extra pareto expand options, one string (use --expand-options=\"--seed-steps 10\").") var expandOptions: String?
    @Flag(help: "Do not pass --force to pareto expand.") var requireStationary = false
    @Option(help: "Hypervolume reference r1,r2 (default: --reference-scale × the seed's test loss).") var reference: String?
    @Option(help: "Default reference: this factor × the seed's test loss.") var referenceScale = 2.0
    @Option(help: "Seed of the β draws.") var seed = 1
    @Option(help: "Output directory.") var out: String
    @Option(help: "The pareto executable (default: next to pareto-bench).") var pareto: String?

    func validate() throws {
        if let dataset, !["multimnist", "multifashion", "multifashion-mnist"].contains(dataset) {
            throw ValidationError("--dataset must be multimnist, multifashion or multifashion-mnist, got '\(dataset)'")
        }
        let ks = try parseDoubles(kValues, option: "--k-values")
        guard !ks.isEmpty, ks.allSatisfy({ $0 >= 1 && $0 == $0.rounded() }) else { throw ValidationError("--k-values must be positive integers") }
        let ss = try parseDoubles(sValues, option: "--s-values")
        guard !ss.isEmpty, ss.allSatisfy({ $0 > 0 }) else { throw ValidationError("--s-values must be positive") }
        guard kStepSize > 0, sMinresIterations >= 1, points >= 1, directions >= 1, hvpBatch >= 1, curveSamples >= 0 else {
            throw ValidationError("--k-step-size, --s-minres-iterations, --points, --directions, --hvp-batch must be positive")
        }
        guard referenceScale > 0 else { throw ValidationError("--reference-scale must be positive") }
        if let reference {
            guard try parseDoubles(reference, option: "--reference").count == 2 else { throw ValidationError("--reference needs two values") }
        }
        guard FileManager.default.fileExists(atPath: from) else { throw ValidationError("--from \(from): no such file") }
    }

    /// One run of a sweep.
    struct RunSpec {
        var id: String, sweep: String, k: Int, s: Double, points: Int
    }

    /// The runs: the k sweep, then the s sweep.
    func runs() throws -> [RunSpec] {
        let ks = try parseDoubles(kValues, option: "--k-values").map { Int($0) }
        let ss = try parseDoubles(sValues, option: "--s-values")
        return ks.map { RunSpec(id: "k-\($0)", sweep: "k", k: $0, s: kStepSize, points: points) }
            + ss.map { RunSpec(id: "s-\($0)", sweep: "s", k: sMinresIterations, s: $0, points: max(2, Int((1 / $0).rounded()))) }
    }

    func run() throws {
        let runner = try ParetoRunner(explicit: pareto)
        let root = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var dataArguments: [String] = []
        if let dataset { dataArguments += ["--dataset", dataset] }
        if let data { dataArguments += ["--data", data] }
        let testArguments = testSize.map { ["--test-size", "\($0)"] } ?? []
        progress("table2", "seed \(from); \(blasReportLine())")

        let evaluation = root.appendingPathComponent("seed.eval.json")
        if !FileManager.default.fileExists(atPath: evaluation.path) {
            let partial = root.appendingPathComponent("seed.eval.partial.json")
            try runner.run("pareto evaluate (seed)", ["evaluate", from] + dataArguments + testArguments + ["--json"],
                           stdout: partial, stderr: root.appendingPathComponent("seed.eval.log"))
            _ = try readJSONObject(partial)
            try FileManager.default.moveItem(at: partial, to: evaluation)
        }
        let seedLoss = try doubles(try readJSONObject(evaluation), "loss", in: evaluation.path)
        guard seedLoss.count == 2 else { throw TableError.badOutput(path: evaluation.path, reason: "expected two task losses") }
        let referencePoint: [Double]
        let referenceRule: String
        if let reference {
            referencePoint = try parseDoubles(reference, option: "--reference")
            referenceRule = "given (--reference)"
        } else {
            referencePoint = seedLoss.map { (referenceScale * $0 * 1e6).rounded(.up) / 1e6 }
            referenceRule = "\(referenceScale) × the seed's test loss, rounded up to 1e-6"
        }
        let referenceText = referencePoint.map { String($0) }.joined(separator: ",")
        let seedHV = try hypervolume([seedLoss], reference: referencePoint)
        progress("table2", "seed test loss \(seedLoss.map { fixed($0, 4) }.joined(separator: ", ")); reference (\(referenceText)); seed HV \(fixed(seedHV, 4))")

        let force = !requireStationary && runner.expandSupports("--force")
        let specs = try runs()
        var records: [[String: Any]] = []
        for (index, spec) in specs.enumerated() {
            let arguments = tangentExpandArguments(
                from: from, data: dataArguments + testArguments, trainSize: trainSize, directions: directions, points: spec.points,
                stepSize: spec.s, minresIterations: spec.k, hvpBatch: hvpBatch, curveSamples: curveSamples, reference: referenceText,
                seed: seed, force: force, extra: expandOptions)
            let (outcome, wall) = try expandOnce(
                runner, harness: "table2", position: "\(index + 1)/\(specs.count)", id: spec.id, arguments: arguments, in: root,
                detail: ": k = \(spec.k), s = \(spec.s), N = \(spec.points)")
            let hv = try hypervolume(outcome.pointTestLosses + outcome.curveTestLosses, reference: referencePoint)
            let hvWithSeed = try hypervolume(outcome.pointTestLosses + outcome.curveTestLosses + [seedLoss], reference: referencePoint)
            var record: [String: Any] = [
                "id": spec.id, "sweep": spec.sweep, "k": spec.k, "s": spec.s, "points": spec.points, "hypervolume": hv,
                "hypervolume_with_input": hvWithSeed, "accepted": outcome.pointTestLosses.count, "candidates": outcome.candidates,
                "rejected": outcome.rejected, "expand_evaluations": outcome.expansionPaperUnit(tasks: 2),
                "seed_phase_evaluations": outcome.seedPaperUnit(tasks: 2).map { $0 as Any } ?? NSNull(),
                "expand_batch_equivalents": outcome.batchEquivalents(tasks: 2, batch: 256),
                "expand_calls": ["objectives": outcome.objectives, "gradients": outcome.gradients, "hvps": outcome.hvps],
                "front_hypervolume": outcome.hypervolume, "seconds": wall, "run_directory": spec.id,
            ]
            if let phases = outcome.byPhase { record["evaluations_by_phase"] = phases }
            if let stationarity = outcome.stationarity { record["stationarity"] = stationarity }
            records.append(record)
        }

        var settings: [String: Any] = [
            "from": from, "directions": directions, "k_sweep_points": points, "k_sweep_step_size": kStepSize,
            "s_sweep_minres_iterations": sMinresIterations, "hvp_batch": hvpBatch, "curve_samples": curveSamples,
            "train_size": trainSize.map { $0 as Any } ?? "the training split", "test_size": testSize.map { $0 as Any } ?? "one per test digit",
            "expand_options": expandOptions ?? "", "force": force, "seed": seed, "reference": referencePoint, "reference_rule": referenceRule,
            "seed_test_loss": seedLoss, "seed_hypervolume": seedHV,
        ]
        if let dataset { settings["dataset"] = dataset }
        try writeJSONObject(["table": "2", "settings": settings, "runs": records, "machine": machineFacts()] as [String: Any],
                            to: root.appendingPathComponent("table2.json"))
        var csv = "sweep,k,s,points,hypervolume,hypervolume_with_input,accepted,expand_evaluations,seconds\n"
        for r in records {
            csv += ["\(r["sweep"]!)", "\(r["k"]!)", "\(r["s"]!)", "\(r["points"]!)", "\(r["hypervolume"]!)", "\(r["hypervolume_with_input"]!)",
                    "\(r["accepted"]!)", "\(r["expand_evaluations"]!)", "\(r["seconds"]!)"].joined(separator: ",") + "\n"
        }
        try csv.write(to: root.appendingPathComponent("table2.csv"), atomically: true, encoding: .utf8)
        func line(_ sweep: String, _ label: String, _ value: (([String: Any]) -> String)) -> String {
            let chosen = records.filter { ($0["sweep"] as! String) == sweep }
            return "| \(label) | " + chosen.map(value).joined(separator: " | ") + " |\n"
        }
        func table(_ sweep: String, _ name: String, _ parameter: ([String: Any]) -> String) -> String {
            let count = records.filter { ($0["sweep"] as! String) == sweep }.count
            guard count > 0 else { return "" }
            return line(sweep, name, parameter) + "|---|" + String(repeating: "---:|", count: count) + "\n"
                + line(sweep, "HV", { cell($0["hypervolume"], 4) })
                + line(sweep, "accepted / N", { "\($0["accepted"]!) / \($0["points"]!)" })
                + line(sweep, "EXPAND", { "\($0["expand_evaluations"]!)" })
                + line(sweep, "wall s", { cell($0["seconds"], 0) }) + "\n"
        }
        var markdown = table("k", "k (s = \(kStepSize), N = \(points))", { "\($0["k"]!)" })
        markdown += table("s", "s (k = \(sMinresIterations), N = 1/s)", { "\($0["s"]!)" })
        markdown += "Reference \(referenceText) (\(referenceRule)); seed HV \(fixed(seedHV, 4)); K = \(directions), HVP batch \(hvpBatch). "
            + "HV: accepted points and curve samples of the run (test losses).\n"
        try markdown.write(to: root.appendingPathComponent("table2.md"), atomically: true, encoding: .utf8)
        print(markdown, terminator: "")
    }
}
