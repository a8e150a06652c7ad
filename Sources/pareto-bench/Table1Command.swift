import ArgumentParser
import Foundation

/// `pareto-bench table1`: Ma et al.'s Table 1 (the sufficiency test, §6.3) on one data set.
///
/// For every seed producer it trains the seeds with `pareto train` (WeightedSum: `ls` with the
/// weights `(k/(P+1), 1 − k/(P+1))`, `k = 1…P`; ParetoMTL: `--preference-index k
/// --preference-count P`, `k = 0…P−1`; `P = --preferences`, 5 as in the paper), evaluates each
/// seed on the test split (`pareto evaluate`), expands each seed with `pareto expand --method
/// tangent` (K, N, s, k as given), and writes the Table 1 columns:
///
/// * **TRAIN** — training evaluations in the paper's unit (one mini-batch objective, gradient or
///   HVP evaluation = one): `epochs × ⌈train/batch⌉ × e`, with `e` the evaluations of one step
///   of the method (``Table1Command/evaluationsPerStep(method:tasks:)``), plus the polish's
///   `batch_evaluations` when the seeds were trained with `--polish-tolerance` (through
///   `--train-options`); summed over a row's seeds.
/// * **HV** — test hypervolume of the row's seeds (WeightedSum, ParetoMTL: the P seeds together).
/// * **EXPAND** — the expansions' evaluations, from their `front.json` (see
///   ``ExpansionOutcome/paperUnit(tasks:)``; the raw call count is kept too).
/// * **NEW HV** — test hypervolume of the seeds together with every accepted point and curve
///   sample of their expansions.
///
/// All hypervolumes of a table share one reference (`--reference`, else `--reference-scale` ×
/// the largest test loss per task over all seeds). Outputs: `OUT/table1.json`, `.csv`, `.md`;
/// the runs under `OUT/seeds/` and `OUT/expand/`. Finished steps are skipped on a re-run.
struct Table1Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table1",
        abstract: "Ma et al.'s Table 1: train every seed producer, expand each seed, tabulate TRAIN / HV / EXPAND / NEW HV.",
        discussion: """
            Drives the pareto executable next to pareto-bench (or --pareto). Resumable: a seed \
            checkpoint, its evaluation or an expansion whose outputs exist is not redone. \
            Pass-through options for pareto train / pareto expand with --train-options=... / \
            --expand-options=... (one string). See docs/tables.md.
            """)

    @Option(help: "Data set: multimnist, multifashion or multifashion-mnist.") var dataset = "multimnist"
    @Option(help: "Directory of MNIST / Fashion-MNIST IDX files (pareto's --data).") var data: String?
    @Option(help: "Training composites (default: one per training digit).") var trainSize: Int?
    @Option(help: "Test composites for the table's test losses (default: one per test digit).") var testSize: Int?
    @Option(help: "Test composites evaluated after each training epoch (progress only).") var monitorTestSize = 1000
    @Option(help: "Training epochs of every producer.") var epochs = 30
    @Option(help: "Images per training step.") var batchSize = 256
    @Option(help: "Producers (rows), comma-separated: gradnorm, uncertainty, mgda, weightedsum, paretomtl, ldc, mgda-ub.")
    var producers = "gradnorm,uncertainty,mgda,weightedsum,paretomtl"
    @Option(help: "Seeds of the WeightedSum and ParetoMTL rows (preference weights / vectors).") var preferences = 5
    @Option(help: "Extra pareto train options, one string (use --train-options=\"--optimizer sgd\").") var trainOptions: String?
    @Option(help: "K: directions per expanded point.") var directions = 1
    @Option(help: "N: points per expansion, the seed included.") var points = 5
    @Option(help: "s: tangent step length.") var stepSize = 0.1
    @Option(help: "k: MINRES iteration cap.") var minresIterations = 50
    @Option(help: "Images of the HVP mini-batch.") var hvpBatch = 2048
    @Option(help: "Training composites of the expansion's objectives (default: --train-size).") var expandTrainSize: Int?
    @Option(help: "Curve samples per expansion (each a test evaluation).") var curveSamples = 5
    @Option(help: "Extra pareto expand options, one string (use --expand-options=\"--seed-steps 10\").") var expandOptions: String?
    @Flag(help: "Do not pass --force to pareto expand (a non-stationary seed then fails its row).") var requireStationary = false
    @Option(help: "Hypervolume reference r1,r2 (default: --reference-scale × the largest seed test loss per task).") var reference: String?
    @Option(help: "Default reference: this factor × the largest seed test loss per task.") var referenceScale = 2.0
    @Option(help: "Seed of the composites, initialisations and β draws.") var seed = 1
    @Option(help: "Output directory.") var out: String
    @Option(help: "The pareto executable (default: next to pareto-bench).") var pareto: String?
    @Flag(help: "Stop after training and evaluating the seeds (no expansion).") var seedsOnly = false

    static let knownProducers = ["gradnorm", "uncertainty", "mgda", "weightedsum", "paretomtl", "ldc", "mgda-ub"]

    func validate() throws {
        guard ["multimnist", "multifashion", "multifashion-mnist"].contains(dataset) else {
            throw ValidationError("--dataset must be multimnist, multifashion or multifashion-mnist, got '\(dataset)'")
        }
        let list = producerList
        guard !list.isEmpty else { throw ValidationError("--producers is empty") }
        for name in list where !Self.knownProducers.contains(name) {
            throw ValidationError("unknown producer '\(name)' (known: \(Self.knownProducers.joined(separator: ", ")))")
        }
        guard Set(list).count == list.count else { throw ValidationError("--producers names a producer twice") }
        guard epochs >= 1, batchSize >= 1, preferences >= 1, directions >= 1, points >= 1, minresIterations >= 1, hvpBatch >= 1,
              curveSamples >= 0, monitorTestSize >= 1 else {
            throw ValidationError("--epochs, --batch-size, --preferences, --directions, --points, --minres-iterations, --hvp-batch, --monitor-test-size must be ≥ 1")
        }
        if preferences == 1 && list.contains("paretomtl") { throw ValidationError("paretomtl needs --preferences ≥ 2") }
        for (name, value) in [("--train-size", trainSize), ("--test-size", testSize), ("--expand-train-size", expandTrainSize)] {
            if let value, value < 1 { throw ValidationError("\(name) must be ≥ 1, got \(value)") }
        }
        guard stepSize > 0, stepSize.isFinite else { throw ValidationError("--step-size must be positive") }
        guard referenceScale > 0, referenceScale.isFinite else { throw ValidationError("--reference-scale must be positive") }
        if let reference {
            let values = try parseDoubles(reference, option: "--reference")
            guard values.count == 2 else { throw ValidationError("--reference needs two values (two tasks), got \(values.count)") }
        }
        for forbidden in ["--epochs", "--batch-size", "--seed", "--out", "--dataset", "--method"] where splitArguments(trainOptions).contains(forbidden) {
            throw ValidationError("--train-options may not contain \(forbidden) (a table1 option sets it)")
        }
    }

    var producerList: [String] { producers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    /// One seed to train: its file stem, `pareto train` method arguments and method name.
    struct SeedSpec {
        var id: String
        var method: String
        var arguments: [String]
    }

    /// One row of the table.
    struct RowSpec {
        var id: String
        var label: String
        var seeds: [SeedSpec]
    }

    /// The paper's row names and the seeds of each producer.
    func rows() -> [RowSpec] {
        producerList.map { name in
            switch name {
            case "gradnorm": return RowSpec(id: name, label: "GradNorm", seeds: [SeedSpec(id: name, method: name, arguments: ["--method", name])])
            case "uncertainty": return RowSpec(id: name, label: "Uncertainty", seeds: [SeedSpec(id: name, method: name, arguments: ["--method", name])])
            case "mgda": return RowSpec(id: name, label: "MGDA", seeds: [SeedSpec(id: name, method: name, arguments: ["--method", name])])
            case "ldc": return RowSpec(id: name, label: "LDC-MTL", seeds: [SeedSpec(id: name, method: name, arguments: ["--method", name])])
            case "mgda-ub": return RowSpec(id: name, label: "MGDA-UB", seeds: [SeedSpec(id: name, method: name, arguments: ["--method", name])])
            case "weightedsum":
                let seeds = (1...preferences).map { k -> SeedSpec in
                    let (w1, w2) = Self.weightedSumWeights(k: k, count: preferences)
                    return SeedSpec(id: "ls-\(k)", method: "ls", arguments: ["--method", "ls", "--weights", "\(w1),\(w2)"])
                }
                return RowSpec(id: name, label: "WeightedSum", seeds: seeds)
            default:
                let seeds = (0..<preferences).map {
                    SeedSpec(id: "paretomtl-\($0)", method: "paretomtl",
                             arguments: ["--method", "paretomtl", "--preference-index", "\($0)", "--preference-count", "\(preferences)"])
                }
                return RowSpec(id: name, label: "ParetoMTL", seeds: seeds)
            }
        }
    }

    /// WeightedSum's k-th weights of `count`: `w₁ = k/(count+1)` truncated to 6 decimals, `w₂ = 1 − w₁`
    /// (DESIGN.md's reference checkpoints (1/6, 5/6) … (5/6, 1/6) for five).
    static func weightedSumWeights(k: Int, count: Int) -> (String, String) {
        let micro = (k * 1_000_000) / (count + 1)
        return (String(format: "0.%06d", micro), String(format: "0.%06d", 1_000_000 - micro))
    }

    /// Evaluations of one training step of `method` in Ma et al.'s unit (two tasks: `m = 2`),
    /// counting the calls each method makes on its mini-batch (Sources/Training): the forward
    /// pass (the objective) is one, every backward sweep one.
    ///
    /// * `ls`, `uncertainty`: values + one weighted gradient — `1 + 1`;
    /// * `mgda`, `gradnorm`, `paretomtl` (both phases): values + Jacobian — `1 + m`;
    /// * `mgda-ub`: a forward of the trunk for `Z` (the heads' `m` backward sweeps to `Z` are
    ///   not counted: they touch only the heads) + values + one weighted gradient — `3`;
    /// * `ldc`: values, a forward of the trunk for the router, values + weighted gradient — `4`.
    ///
    /// This reproduces the paper's own figures: 30 epochs × 235 batches × 3 = 21,150 (GradNorm,
    /// MGDA) and 5 × 30 × 235 × 2 = 70,500 (WeightedSum).
    static func evaluationsPerStep(method: String, tasks m: Int = 2) -> Int {
        switch method {
        case "ls", "uncertainty": return 2
        case "mgda", "gradnorm", "paretomtl": return 1 + m
        case "mgda-ub": return 3
        case "ldc": return 4
        default: return 1 + m
        }
    }

    func run() throws {
        let runner = try ParetoRunner(explicit: pareto)
        let root = URL(fileURLWithPath: out)
        let seedsDirectory = root.appendingPathComponent("seeds"), expandDirectory = root.appendingPathComponent("expand")
        try FileManager.default.createDirectory(at: seedsDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: expandDirectory, withIntermediateDirectories: true)
        let rows = rows()
        let allSeeds = rows.flatMap(\.seeds)
        var dataArguments = ["--dataset", dataset]
        if let data { dataArguments += ["--data", data] }
        let testArguments = testSize.map { ["--test-size", "\($0)"] } ?? []
        progress("table1", "\(dataset): \(rows.count) rows, \(allSeeds.count) seeds, \(epochs) epochs; \(blasReportLine())")

        // 1. Train and evaluate every seed.
        var seedLoss: [String: [Double]] = [:]
        var seedTrain: [String: (images: Int, wall: Double, polish: Int)] = [:]
        for (index, spec) in allSeeds.enumerated() {
            let checkpoint = seedsDirectory.appendingPathComponent("\(spec.id).safetensors")
            let summary = seedsDirectory.appendingPathComponent("\(spec.id).train.json")
            let wallFile = seedsDirectory.appendingPathComponent("\(spec.id).wall")
            if FileManager.default.fileExists(atPath: checkpoint.path) {
                progress("table1", "[\(index + 1)/\(allSeeds.count)] train \(spec.id): exists, skipped")
            } else {
                progress("table1", "[\(index + 1)/\(allSeeds.count)] train \(spec.id) …")
                let partial = seedsDirectory.appendingPathComponent("\(spec.id).partial.safetensors")
                var arguments = ["train"] + dataArguments + spec.arguments + ["--epochs", "\(epochs)", "--batch-size", "\(batchSize)",
                                                                           "--seed", "\(seed)", "--test-size", "\(monitorTestSize)", "--json"]
                if let trainSize { arguments += ["--train-size", "\(trainSize)"] }
                arguments += splitArguments(trainOptions) + ["--out", partial.path]
                let wall = try runner.run("pareto train (\(spec.id))", arguments, stdout: summary,
                                          stderr: seedsDirectory.appendingPathComponent("\(spec.id).train.log"))
                try String(format: "%.3f\n", wall).write(to: wallFile, atomically: true, encoding: .utf8)
                try FileManager.default.moveItem(at: partial, to: checkpoint)
                progress("table1", String(format: "[%d/%d] train %@: %.1f s", index + 1, allSeeds.count, spec.id, wall))
            }
            let trained = try readJSONObject(summary)
            guard let images = (trained["train_images"] as? NSNumber)?.intValue else {
                throw TableError.badOutput(path: summary.path, reason: "no \"train_images\"")
            }
            let wallText = (try? String(contentsOf: wallFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            // `--train-options="--polish-tolerance …"`: the polish's evaluations (in the same
            // unit, mini-batches of --batch-size) belong to TRAIN.
            let polish = ((trained["polish"] as? [String: Any])?["batch_evaluations"] as? NSNumber)?.intValue ?? 0
            seedTrain[spec.id] = (images, Double(wallText) ?? .nan, polish)

            let evaluation = seedsDirectory.appendingPathComponent("\(spec.id).eval.json")
            if !FileManager.default.fileExists(atPath: evaluation.path) {
                let partial = seedsDirectory.appendingPathComponent("\(spec.id).eval.partial.json")
                try runner.run("pareto evaluate (\(spec.id))", ["evaluate", checkpoint.path] + dataArguments + testArguments + ["--json"],
                               stdout: partial, stderr: seedsDirectory.appendingPathComponent("\(spec.id).eval.log"))
                _ = try readJSONObject(partial)
                try FileManager.default.moveItem(at: partial, to: evaluation)
            }
            let loss = try doubles(try readJSONObject(evaluation), "loss", in: evaluation.path)
            guard loss.count == 2 else { throw TableError.badOutput(path: evaluation.path, reason: "expected two task losses") }
            progress("table1", "  \(spec.id) test loss \(loss.map { fixed($0, 4) }.joined(separator: ", "))")
            seedLoss[spec.id] = loss
        }

        // 2. The table's reference.
        let referencePoint: [Double]
        let referenceRule: String
        if let reference {
            referencePoint = try parseDoubles(reference, option: "--reference")
            referenceRule = "given (--reference)"
        } else {
            let worst = (0..<2).map { task in allSeeds.map { seedLoss[$0.id]![task] }.max()! }
            referencePoint = worst.map { (referenceScale * $0 * 1e6).rounded(.up) / 1e6 }
            referenceRule = "\(referenceScale) × the largest seed test loss per task (over the table's seeds), rounded up to 1e-6"
        }
        let referenceText = referencePoint.map { String($0) }.joined(separator: ",")
        progress("table1", "hypervolume reference (\(referenceText)): \(referenceRule)")
        if seedsOnly { return }

        // 3. Expand every seed.
        let force = !requireStationary && runner.expandSupports("--force")
        var outcomes: [String: (ExpansionOutcome, Double)] = [:]
        for (index, spec) in allSeeds.enumerated() {
            let arguments = tangentExpandArguments(
                from: seedsDirectory.appendingPathComponent("\(spec.id).safetensors").path, data: dataArguments + testArguments,
                trainSize: expandTrainSize ?? trainSize, directions: directions, points: points, stepSize: stepSize,
                minresIterations: minresIterations, hvpBatch: hvpBatch, curveSamples: curveSamples, reference: referenceText,
                seed: seed, force: force, extra: expandOptions)
            let (outcome, wall) = try expandOnce(
                runner, harness: "table1", position: "\(index + 1)/\(allSeeds.count)", id: spec.id, arguments: arguments, in: expandDirectory,
                label: "expand \(spec.id)")
            outcomes[spec.id] = (outcome, wall)
        }

        // 4. The table.
        var records: [[String: Any]] = []
        for row in rows {
            let seedPoints = row.seeds.map { seedLoss[$0.id]! }
            let hv = try hypervolume(seedPoints, reference: referencePoint)
            var expanded = seedPoints, polished = seedPoints
            var train = 0, expandPaper = 0, seedPaper = 0, expandCalls = 0, trainWall = 0.0, expandWall = 0.0
            var phased = true
            var work = 0
            var seedRecords: [[String: Any]] = []
            for spec in row.seeds {
                let (images, wall, polishEvaluations) = seedTrain[spec.id]!
                let steps = epochs * ((images + batchSize - 1) / batchSize)
                let trainEvaluations = steps * Self.evaluationsPerStep(method: spec.method) + polishEvaluations
                let (outcome, expandSeconds) = outcomes[spec.id]!
                expanded += outcome.pointTestLosses + outcome.curveTestLosses
                polished += outcome.rootTestLosses
                train += trainEvaluations
                expandPaper += outcome.expansionPaperUnit(tasks: 2)
                if let seedUnit = outcome.seedPaperUnit(tasks: 2) { seedPaper += seedUnit } else { phased = false }
                expandCalls += outcome.calls
                work += outcome.batchEquivalents(tasks: 2, batch: batchSize)
                trainWall += wall
                expandWall += expandSeconds
                var seedRecord: [String: Any] = [
                    "id": spec.id, "method": spec.method, "train_arguments": spec.arguments, "train_images": images, "train_steps": steps,
                    "train_evaluations": trainEvaluations, "polish_evaluations": polishEvaluations, "test_loss": seedLoss[spec.id]!,
                    "seed_hypervolume": try hypervolume([seedLoss[spec.id]!], reference: referencePoint),
                    "expand_evaluations": outcome.expansionPaperUnit(tasks: 2), "all_expand_evaluations": outcome.paperUnit(tasks: 2),
                    "seed_phase_evaluations": outcome.seedPaperUnit(tasks: 2).map { $0 as Any } ?? NSNull(),
                    "expand_calls": ["objectives": outcome.objectives, "gradients": outcome.gradients, "hvps": outcome.hvps],
                    "expand_batch_equivalents": outcome.batchEquivalents(tasks: 2, batch: batchSize),
                    "expansion_hypervolume": outcome.hypervolume, "points": outcome.pointTestLosses.count,
                    "candidates": outcome.candidates, "rejected": outcome.rejected,
                    "train_seconds": wall, "expand_seconds": expandSeconds, "run_directory": "expand/\(spec.id)",
                ]
                if let phases = outcome.byPhase { seedRecord["evaluations_by_phase"] = phases }
                if let stationarity = outcome.stationarity { seedRecord["stationarity"] = stationarity }
                seedRecords.append(seedRecord)
            }
            let newHV = try hypervolume(expanded, reference: referencePoint)
            let polishedHV = try hypervolume(polished, reference: referencePoint)
            records.append([
                "row": row.label, "id": row.id, "seeds": seedRecords, "train_evaluations": train, "hypervolume": hv,
                "expand_evaluations": expandPaper, "expand_calls": expandCalls, "new_hypervolume": newHV,
                "seed_phase_evaluations": phased ? seedPaper as Any : NSNull(),
                "expand_batch_equivalents": work, "expand_work_fraction": Double(work) / Double(train),
                "seed_optimized_hypervolume": polishedHV,
                "expand_with_seed_fraction": Double(expandPaper + seedPaper) / Double(train),
                "expand_fraction": Double(expandPaper) / Double(train), "hypervolume_gain": hv > 0 ? newHV / hv - 1 : Double.nan,
                "train_seconds": trainWall, "expand_seconds": expandWall,
            ])
        }
        var settings: [String: Any] = [
            "dataset": dataset, "epochs": epochs, "batch_size": batchSize, "train_size": trainSize.map { $0 as Any } ?? "one per training digit",
            "test_size": testSize.map { $0 as Any } ?? "one per test digit", "preferences": preferences, "directions": directions,
            "points": points, "step_size": stepSize, "minres_iterations": minresIterations, "hvp_batch": hvpBatch,
            "expand_train_size": (expandTrainSize ?? trainSize).map { $0 as Any } ?? "the training split", "curve_samples": curveSamples,
            "train_options": trainOptions ?? "", "expand_options": expandOptions ?? "", "force": force, "seed": seed,
            "reference": referencePoint, "reference_rule": referenceRule,
        ]
        if let data { settings["data"] = data }
        let document: [String: Any] = ["table": "1", "settings": settings, "rows": records, "machine": machineFacts(),
                                       "units": Self.unitNote]
        try writeJSONObject(document, to: root.appendingPathComponent("table1.json"))
        var csv = "row,seeds,train_evaluations,hypervolume,expand_evaluations,seed_phase_evaluations,expand_calls,new_hypervolume,expand_fraction,"
            + "expand_with_seed_fraction,expand_batch_equivalents,expand_work_fraction,seed_optimized_hypervolume,hypervolume_gain,train_seconds,expand_seconds\n"
        for record in records {
            let fields: [String] = [
                record["row"] as! String, "\((record["seeds"] as! [[String: Any]]).count)", "\(record["train_evaluations"]!)",
                "\(record["hypervolume"]!)", "\(record["expand_evaluations"]!)", (record["seed_phase_evaluations"] as? Int).map { "\($0)" } ?? "",
                "\(record["expand_calls"]!)", "\(record["new_hypervolume"]!)",
                "\(record["expand_fraction"]!)", "\(record["expand_with_seed_fraction"]!)",
                "\(record["expand_batch_equivalents"]!)", "\(record["expand_work_fraction"]!)", "\(record["seed_optimized_hypervolume"]!)",
                "\(record["hypervolume_gain"]!)", "\(record["train_seconds"]!)", "\(record["expand_seconds"]!)",
            ]
            csv += fields.map(csvField).joined(separator: ",") + "\n"
        }
        try csv.write(to: root.appendingPathComponent("table1.csv"), atomically: true, encoding: .utf8)
        var markdown = "| \(dataset.uppercased()) | TRAIN | HV | EXPAND | NEW HV | EXPAND/TRAIN | SEED-OPT | (EXPAND+SEED-OPT)/TRAIN | work/TRAIN | SEED-OPT HV | HV gain | train wall s | expand wall s |\n"
        markdown += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        for record in records {
            markdown += "| \(record["row"]!) | \(record["train_evaluations"]!) | \(cell(record["hypervolume"], 4)) | "
                + "\(record["expand_evaluations"]!) | \(cell(record["new_hypervolume"], 4)) | "
                + "\(cell(record["expand_fraction"], 1, scale: 100, suffix: " %")) | \((record["seed_phase_evaluations"] as? Int).map { "\($0)" } ?? "in EXPAND") | "
                + "\(cell(record["expand_with_seed_fraction"], 1, scale: 100, suffix: " %")) | "
                + "\(cell(record["expand_work_fraction"], 1, scale: 100, suffix: " %")) | \(cell(record["seed_optimized_hypervolume"], 4)) | "
                + "\(cell(record["hypervolume_gain"], 2, scale: 100, suffix: " %")) | "
                + "\(cell(record["train_seconds"], 0)) | \(cell(record["expand_seconds"], 0)) |\n"
        }
        markdown += "\nReference \(referenceText) (\(referenceRule)); K = \(directions), N = \(points), s = \(stepSize), k = \(minresIterations), "
            + "HVP batch \(hvpBatch); \(epochs) epochs, batch \(batchSize).\n"
        try markdown.write(to: root.appendingPathComponent("table1.md"), atomically: true, encoding: .utf8)
        print(markdown, terminator: "")
    }

    static let unitNote = """
        train_evaluations: epochs × ⌈train images / batch⌉ × evaluations per step (ls, uncertainty 2; mgda, gradnorm, paretomtl 3; \
        mgda-ub 3; ldc 4: the forward pass and every backward sweep count one). expand_evaluations: front.json's evaluations with \
        every gradient call counted 1 + m (values + Jacobian), objectives and HVPs one each, without the seed's ParetoOptimize \
        when front.json splits evaluations by phase (then seed_phase_evaluations, same unit; otherwise the seed steps are in \
        expand_evaluations); expand_calls: the raw call count. \
        Test evaluations are counted in neither. Full-set calls of the expansion count one like mini-batch ones there; \
        expand_batch_equivalents (work/TRAIN) counts the whole run (seed phase included) in mini-batches of the training batch: \
        a full-set call is ⌈train_images/batch⌉ of them, an HVP ⌈hvp_images/batch⌉, a mini-batch gradient one, a gradient call 1 + m.
        """
}
