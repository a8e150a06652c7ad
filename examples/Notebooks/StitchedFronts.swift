import Foundation
import ParetoKit

/// The stitched fronts (docs/stitching.md): on ZDT2, the hybrid from one interior seed and
/// three seeds' chains stitched, both against the analytic front; on MultiMNIST, the hybrid
/// from an LS checkpoint and five LS seeds stitched (Ma et al. Figure 7 analogue), read from
/// the run directories of `scripts/experiments/multimnist-many-seeds.sh`.
enum StitchedFronts {
    static let zdt2Name = "zdt2-stitched"
    static let multimnistName = "multimnist-stitched"
    static let paloraName = "multimnist-palora"

    /// One stitched front, summarised.
    struct Stitched {
        var label: String
        /// The stitched run's front file.
        var front: FrontFile
        /// Its families, in the front file's order.
        var families: [RunFamily]

        init(label: String, front: FrontFile, families: [RunFamily]) {
            self.label = label
            self.front = front
            self.families = families
        }

        init(label: String, _ result: StitchedRunResult) {
            self.init(label: label, front: result.front, families: result.families)
        }
    }

    /// The figure panel of one stitch: each family's curve and its points on the front.
    static func panel(_ stitched: Stitched, title: String, names: [String], analytic: Bool) throws -> Panel {
        let front = stitched.front
        let families = stitched.families.enumerated().map { index, family in
            ParetoFigures.Family(
                name: "\(family.name) (HV \(fixed(front.stitch?.families[index].hypervolume ?? 0, 4)))",
                points: front.points.filter { $0.family == index }.map(\.objectives), curve: family.curve.map(\.objectives))
        }
        let exact = analytic ? (0...200).map { k -> [Double] in let f1 = Double(k) / 200; return [f1, 1 - f1 * f1] } : nil
        let figure = try ParetoFigures.stitchedFront(families, title: title, reference: nil, analyticFront: exact, objectiveNames: names)
        return figure.panels[0]
    }

    /// Rows of the table: one per family, then the stitch.
    static func rows(_ stitched: Stitched, into csv: inout CSVTable) {
        let front = stitched.front
        guard let stitch = front.stitch else { return }
        for family in stitch.families {
            csv.append([stitched.label, family.name, family.kind, family.samples, family.hypervolume, family.vertices, "", ""])
        }
        csv.append([stitched.label, "stitched", front.method, front.points.count, front.hypervolume, front.points.count,
                    stitch.crossings.count, stitch.gaps.count])
    }

    static func table(_ stitched: Stitched) -> String {
        let front = stitched.front
        guard let stitch = front.stitch else { return "" }
        var lines = ["| family | kind | samples | hypervolume | points on the stitched front |", "| --- | --- | --- | --- | --- |"]
        for family in stitch.families {
            lines.append("| \(family.name) | \(family.kind) | \(family.samples) | \(fixed(family.hypervolume)) | \(family.vertices) |")
        }
        lines.append("| **stitched** | \(front.method) | — | **\(fixed(front.hypervolume))** | \(front.points.count) (\(stitch.pieces.count) pieces, \(stitch.crossings.count) crossings found, \(stitch.gaps.count) gaps) |")
        return lines.joined(separator: "\n")
    }

    // MARK: ZDT2

    static func zdt2(_ settings: NotebookSettings) throws -> NotebookOutput {
        let problem = try ZDT(.zdt2, dimension: 30)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("zdt2-stitched-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var options = AnalyticHybridOptions()
        options.run.expansion.points = 21
        options.run.curveSamples = settings.small ? 201 : 1001
        let start = [0.3] + [Double](repeating: 0, count: 29)
        let hybrid = try AnalyticHybrid.run(problem, from: start, options: options, directory: scratch.appendingPathComponent("hybrid"))
        var seeds: [URL] = []
        var runOptions = AnalyticRunOptions()
        runOptions.expansion.points = 11
        runOptions.curveSamples = options.run.curveSamples
        for x1 in [0.2, 0.5, 0.8] {
            let url = scratch.appendingPathComponent("seed-\(x1)")
            let run = try AnalyticRun.run(problem, name: problem.name, bounds: problem.bounds, knownSet: problem,
                                          from: [x1] + [Double](repeating: 0, count: 29), options: runOptions)
            try run.front.write(to: url)
            seeds.append(url)
        }
        let seedsStitched = try StitchedRun.stitch(
            try RunFamilies.load(from: seeds), directory: scratch.appendingPathComponent("stitched"), evaluate: StitchedRun.analyticEvaluator)
        let hybridStitched = Stitched(label: "hybrid", hybrid.stitched)
        let seedStitched = Stitched(label: "three seeds", seedsStitched)
        var csv = CSVTable(["stitch", "family", "kind", "samples", "hypervolume", "points_on_front", "crossings", "gaps"])
        rows(hybridStitched, into: &csv)
        rows(seedStitched, into: &csv)
        let distance = (hybrid.stitched.front.points + seedsStitched.front.points).map { abs($0.objectives[1] - (1 - $0.objectives[0] * $0.objectives[0])) }.max() ?? 0
        let figure = Figure(
            title: "ZDT2 (n = 30): stitched fronts against the analytic front",
            panels: [
                try panel(hybridStitched, title: "hybrid from x₁ = 0.3: linear family + 3 chains", names: ["f₁", "f₂"], analytic: true),
                try panel(seedStitched, title: "chains from x₁ = 0.2, 0.5, 0.8, stitched", names: ["f₁", "f₂"], analytic: true),
            ],
            columns: 1, panelWidth: 760, identifier: zdt2Name)
        let markdown = """
            # ZDT2: the hybrid method and three seeds, stitched

            Command: `\(settings.command(zdt2Name))` (seed 1; \(options.run.curveSamples) curve samples per part). \(machineLine).

            **Hybrid** (`pareto expand --problem zdt2 --dimension 30 --from 0.3 --method hybrid --points 21`): a linear family
            `x(λ) = x₀ + Σₜ λₜ dₜ` trained with the annealed preference schedule (Chebyshev rays), tangent chains from the seed
            and from the family's two vertices, stitched. Hypervolume w.r.t. (1, 1); the exact front's is 1/3 = 0.333333.

            \(table(hybridStitched))

            **Three seeds** (`pareto expand … --from 0.2|0.5|0.8 --points 11`, then `pareto stitch`):

            \(table(seedStitched))

            Largest |f₂ − (1 − f₁²)| over every stitched point of both fronts: \(short(distance)). Where families run along the same
            stretch of the front their samples interleave, hence the many short pieces (docs/stitching.md).

            ![stitched fronts](\(zdt2Name).svg)

            Data: [\(zdt2Name).csv](\(zdt2Name).csv).
            """
        return NotebookOutput(name: zdt2Name, markdown: markdown, figure: figure, csv: csv)
    }

    // MARK: MultiMNIST

    /// The MultiMNIST page from finished runs in `runs` (the layout of
    /// scripts/experiments/multimnist-many-seeds.sh: `tangent-1` … `tangent-5`, `stitched`, `hybrid`).
    static func multimnist(_ settings: NotebookSettings, runs: URL) throws -> NotebookOutput {
        func load(_ name: String) throws -> Stitched {
            let directory = runs.appendingPathComponent(name)
            let front = try FrontFile.read(from: directory.appendingPathComponent("front.json"))
            let families = try RunFamilies.load(from: directory)
            // In the front file's (canonical) order.
            let ordered = try (front.stitch?.families ?? []).map { recorded in
                guard let family = families.first(where: { $0.identity == recorded.identity }) else {
                    throw StitchingError.missingSource(run: recorded.run, identity: recorded.identity)
                }
                return family
            }
            return Stitched(label: name, front: front, families: ordered)
        }
        let hybrid = try load("hybrid"), seeds = try load("stitched")
        var csv = CSVTable(["stitch", "family", "kind", "samples", "hypervolume", "points_on_front", "crossings", "gaps"])
        rows(hybrid, into: &csv)
        rows(seeds, into: &csv)
        let names = ["test loss, task 1", "test loss, task 2"]
        let figure = Figure(
            title: "MultiMNIST: stitched fronts in test-loss space",
            panels: [
                try panel(hybrid, title: "hybrid from the (½, ½) LS checkpoint", names: names, analytic: false),
                try panel(seeds, title: "five LS seeds (k/6), stitched", names: names, analytic: false),
            ],
            columns: 1, panelWidth: 760, identifier: multimnistName)
        let inputHV = hybrid.families.first { $0.name == "palora" }?.front.hypervolumeBefore
        let markdown = """
            # MultiMNIST: the hybrid method and five seeds, stitched

            Command: `\(settings.command(multimnistName)) --runs \(runs.path)`, after
            `scripts/experiments/multimnist-many-seeds.sh \(runs.path)` (LS checkpoints with weights (k/6, 1 − k/6), 10 epochs on
            20,000 composites; tangent expansions with `--directions 1 --points 7 --step-size 0.1 --minres-iterations 50
            --hvp-batch 2048 --seed 1 --reference 1,1`; the hybrid from the (½, ½) checkpoint with the same options). Test loss on
            10,000 composites; hypervolume w.r.t. (1, 1). \(machineLine) (of this page's rendering; the runs' timings are in
            docs/stitching.md).

            **Hybrid** (checkpoint alone: \(inputHV.map { fixed($0) } ?? "—")):

            \(table(hybrid))

            **Five seeds** (Ma et al. Figure 7 analogue):

            \(table(seeds))

            ![stitched fronts](\(multimnistName).svg)

            Data: [\(multimnistName).csv](\(multimnistName).csv).
            """
        return NotebookOutput(name: multimnistName, markdown: markdown, figure: figure, csv: csv)
    }

    // MARK: PaLoRA

    /// The PaLoRA segment of the MultiMNIST hybrid (Dimitriadis et al. Figure 4 analogue):
    /// test loss and accuracy per task against the preference, and the segment in loss space
    /// beside the tangent chain from the same checkpoint.
    static func palora(_ settings: NotebookSettings, runs: URL) throws -> NotebookOutput {
        let directory = runs.appendingPathComponent("hybrid/palora")
        let evaluation = try JSONDecoder().decode(
            PaLoRAFamilyEvaluation.self, from: Data(contentsOf: directory.appendingPathComponent(PaLoRARun.evaluationName)))
        let chain = try FrontFile.read(from: runs.appendingPathComponent("hybrid/tangent-seed/front.json"))
        let preferences = evaluation.points.map { $0.preference[0] }
        let losses = evaluation.points.map(\.test.loss)
        var csv = CSVTable(["lambda1", "test_loss1", "test_loss2", "test_accuracy1", "test_accuracy2"])
        for point in evaluation.points {
            csv.append([point.preference[0], point.test.loss[0], point.test.loss[1], point.test.accuracy[0], point.test.accuracy[1]])
        }
        let byPreference = try ParetoFigures.preferenceLoss(preferences: preferences, losses: losses, title: "PaLoRA: test loss against λ₁")
        let inLossSpace = try ParetoFigures.stitchedFront(
            [ParetoFigures.Family(name: "PaLoRA θ(λ), λ₁ = 0 … 1", points: losses, curve: losses),
             ParetoFigures.Family(name: "tangent chain from the checkpoint", points: [], curve: chain.curve.map(\.objectives))],
            title: "the segment and the tangent chain in test-loss space", objectiveNames: ["test loss, task 1", "test loss, task 2"])
        let figure = Figure(title: "MultiMNIST: the PaLoRA segment around the (½, ½) LS checkpoint",
                            panels: byPreference.panels + inLossSpace.panels, columns: 1, panelWidth: 760, identifier: paloraName)
        let rows = evaluation.points.map { p in
            "| \(fixed(p.preference[0], 1)) | \(fixed(p.test.loss[0], 4)) | \(fixed(p.test.loss[1], 4)) | \(fixed(p.test.accuracy[0], 4)) | \(fixed(p.test.accuracy[1], 4)) |"
        }.joined(separator: "\n")
        let markdown = """
            # MultiMNIST: the PaLoRA segment around an LS checkpoint

            Command: `\(settings.command(paloraName)) --runs runs/multimnist-seeds`, after
            `scripts/experiments/multimnist-many-seeds.sh runs/multimnist-seeds` (its hybrid's `palora` part: r = 1, a = 1,
            M = 5 annealed rays, 4 epochs with the base frozen, from the (½, ½) LS checkpoint). Test set: 10,000 composites.
            \(machineLine) (of this page's rendering).

            | λ₁ | test loss 1 | test loss 2 | accuracy 1 | accuracy 2 |
            | --- | --- | --- | --- | --- |
            \(rows)

            Hypervolume of the test losses w.r.t. (1, 1): \(fixed(evaluation.lossHypervolume)); of the accuracies w.r.t. (0, 0):
            \(fixed(evaluation.accuracyHypervolume)). Non-dominated by loss: \(evaluation.nonDominatedByLoss)/11; by accuracy:
            \(evaluation.nonDominatedByAccuracy)/11. Spearman correlation of λ₁ with each task's loss:
            \(evaluation.spearmanLoss.map { fixed($0, 3) }.joined(separator: ", ")). The tangent chain from the same checkpoint
            (hypervolume \(fixed(chain.hypervolume))) dominates the segment here; docs/stitching.md has the stitched hybrid.

            ![PaLoRA segment](\(paloraName).svg)

            Data: [\(paloraName).csv](\(paloraName).csv).
            """
        return NotebookOutput(name: paloraName, markdown: markdown, figure: figure, csv: csv)
    }
}
