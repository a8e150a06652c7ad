import Foundation
import MultiObjective
import Problems

/// Why a report cannot be read or written. Every case names the file concerned.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Neither the path nor `path/front.json` exists.
    case missingFrontFile(path: String)
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not the JSON `front.json` documents (with the offending key path).
    case corrupt(path: String, reason: String)
    /// The report cannot be written.
    case unwritable(path: String, reason: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .missingFrontFile(let path): return "no front.json at \(path) (expected a run directory written by `pareto expand` or its front.json)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .corrupt(let path, let reason): return "\(path) is not a valid front.json: \(reason)"
        case .unwritable(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}

/// Reads a run directory (or its `front.json`) into a ``ReportInput``.
///
/// Keys follow docs/file-formats.md. Only `problem`, `method` and `points` (each with `id` and
/// `objectives`) are required; every other key — the rest of the analytic run's keys and all of
/// the network run's (`architecture`, `reference_rule`, `hypervolume_before`/`_after`,
/// `checkpoint`, `train_loss`, `test_loss`, `test_accuracy`, `stationarity{before,after}`,
/// `timing{…}`, `train_images`, `test_images`, `hvp_images`) — may be missing or `null`;
/// unknown keys are ignored. A network run's `state.json`, when present and readable, supplies
/// the MINRES residual histories (`points[].residual_norms`), and its `timing.json` the
/// wall-clock costs when `front.json` has no `timing`. Preference families carry `preference`
/// instead of `t` on points and curve samples.
public enum RunDirectoryReport {
    /// Loads `url`: a run directory containing `front.json`, or a `front.json` file itself. For
    /// analytic problems ParetoKit knows (ZDT1–6, the ZDT2 variant), adds 501 points of the
    /// analytic front, and the front's hypervolume w.r.t. the run's reference from a
    /// 100,001-point staircase (below the exact value by less than 10⁻⁵ on ZDT's unit box).
    /// - Throws: ``ReportError`` naming the file when it is missing, unreadable or corrupt.
    public static func load(from url: URL) throws -> ReportInput {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let file = exists && isDirectory.boolValue ? url.appendingPathComponent("front.json") : url
        guard FileManager.default.fileExists(atPath: file.path) else { throw ReportError.missingFrontFile(path: file.path) }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ReportError.unreadable(path: file.path, reason: error.localizedDescription)
        }
        var input = try decode(data, path: file.path)
        input.source = file.path
        if let problem = try? Problems.named(input.problem) {
            input.analyticFront = problem.paretoFront(count: 501)
            if let reference = input.reference {
                input.hypervolumes.analytic = try? Hypervolume.compute(problem.paretoFront(count: 100_001), reference: reference)
            }
        }
        let timing = file.deletingLastPathComponent().appendingPathComponent("timing.json")
        if input.timing == nil, let bytes = try? Data(contentsOf: timing) {
            do { input.timing = makeTiming(try JSONDecoder().decode(FrontJSON.TimingJSON.self, from: bytes)) } catch let error as DecodingError {
                throw ReportError.corrupt(path: timing.path, reason: describe(error))
            }
        }
        // A stitched run: each family's own curve, from its run directory (when it is still there).
        if !input.families.isEmpty, let stitch = (try? JSONDecoder().decode(FrontJSON.self, from: data))?.stitch {
            for (index, family) in stitch.families.enumerated() where index < input.families.count {
                guard let run = family.run else { continue }
                let source = URL(fileURLWithPath: run, relativeTo: file.deletingLastPathComponent()).appendingPathComponent("front.json")
                if let bytes = try? Data(contentsOf: source), let front = try? JSONDecoder().decode(FrontJSON.self, from: bytes) {
                    input.families[index].curve = (front.curve ?? []).map(\.objectives)
                }
            }
        }
        let state = file.deletingLastPathComponent().appendingPathComponent("state.json")
        if let bytes = try? Data(contentsOf: state), let record = try? JSONDecoder().decode(StateFile.self, from: bytes) {
            input.residualHistories = record.points.compactMap(\.residualNorms).filter { !$0.isEmpty }
        }
        return input
    }

    /// Decodes `front.json` bytes; `path` names the file in errors.
    /// - Throws: ``ReportError/corrupt(path:reason:)`` with the key path of the first problem.
    public static func decode(_ data: Data, path: String) throws -> ReportInput {
        let file: FrontJSON
        do { file = try JSONDecoder().decode(FrontJSON.self, from: data) } catch let error as DecodingError {
            throw ReportError.corrupt(path: path, reason: describe(error))
        } catch {
            throw ReportError.corrupt(path: path, reason: error.localizedDescription)
        }
        let points = file.points.map { p in
            ReportPoint(id: p.id, parent: p.parent, t: p.t, preference: p.preference, parameters: p.parameters, objectives: p.objectives, favours: p.favours,
                        distanceToFront: p.distance_to_front, distanceToSet: p.distance_to_set, minresIterations: p.minres_iterations,
                        optimizeIterations: p.optimize_iterations, stationarity: p.stationarity, checkpoint: p.checkpoint,
                        trainLoss: p.train_loss, testLoss: p.test_loss, testAccuracy: p.test_accuracy)
        }
        let curve = (file.curve ?? []).map { ReportCurveSample(t: $0.t, preference: $0.preference, objectives: $0.objectives, dominated: $0.dominated ?? false, testAccuracy: $0.test_accuracy) }
        return ReportInput(
            problem: file.problem, method: file.method, architecture: file.architecture, seed: file.seed, reference: file.reference,
            referenceRule: file.reference_rule,
            hypervolumes: ReportHypervolumes(continuous: file.hypervolume, points: file.points_hypervolume, before: file.hypervolume_before, after: file.hypervolume_after),
            points: points, curve: curve,
            evaluations: file.evaluations.map { ReportEvaluations(objectives: $0.objectives, gradients: $0.gradients, hvps: $0.hvps) },
            candidates: file.candidates, rejected: file.rejected,
            failures: (file.failures ?? []).map { "point \($0.parent.map(String.init) ?? "?"), direction \($0.direction.map(String.init) ?? "?"): \($0.reason ?? "no reason recorded")" },
            stationarity: file.stationarity.map { ReportStationarity(before: $0.before, after: $0.after) },
            timing: file.timing.map(makeTiming),
            images: (file.train_images ?? file.test_images ?? file.hvp_images) == nil ? nil
                : ReportImageCounts(train: file.train_images, test: file.test_images, hvp: file.hvp_images),
            families: file.stitch.map { stitch in
                stitch.families.enumerated().map { index, family in
                    ReportFamily(name: family.name, hypervolume: family.hypervolume,
                                 objectives: file.points.filter { $0.family == index }.map(\.objectives))
                }
            } ?? [],
            gaps: (file.stitch?.gaps ?? []).map { [$0.from, $0.to] })
    }

    private static func makeTiming(_ t: FrontJSON.TimingJSON) -> ReportTiming {
        ReportTiming(totalSeconds: t.total_seconds, stepSeconds: t.step_seconds ?? [], hvpSecondsMean: t.hvp_seconds_mean,
                     gradientSecondsMean: t.gradient_seconds_mean, minresIterations: t.minres_iterations ?? [])
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "top level" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing key '\(key.stringValue)'\(at)"
        case .typeMismatch(let type, let context): return "at \(path(context)): expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context): return "at \(path(context)): expected \(type), found null"
        case .dataCorrupted(let context): return "at \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// The documented keys of `front.json`, snake_case as in the file.
struct FrontJSON: Decodable {
    struct Point: Decodable {
        let id: Int
        let parent: Int?, t: Double?, preference: [Double]?, parameters: [Double]?, objectives: [Double], favours: Int?
        let distance_to_front: Double?, distance_to_set: Double?
        let minres_iterations: Int?, optimize_iterations: Int?, stationarity: Double?
        let checkpoint: String?, train_loss: [Double]?, test_loss: [Double]?, test_accuracy: [Double]?
        let family: Int?
    }
    struct Stitch: Decodable {
        struct Family: Decodable { let name: String, hypervolume: Double?, run: String? }
        struct Gap: Decodable { let from: Int, to: Int }
        let families: [Family], gaps: [Gap]?
    }
    struct Sample: Decodable {
        let t: Double?, preference: [Double]?, objectives: [Double], dominated: Bool?, test_accuracy: [Double]?
    }
    struct Failure: Decodable { let parent: Int?, direction: Int?, reason: String? }
    struct Evaluations: Decodable { let objectives: Int?, gradients: Int?, hvps: Int? }
    struct Stationarity: Decodable { let before: Double?, after: Double? }
    struct TimingJSON: Decodable {
        let total_seconds: Double?, step_seconds: [Double]?, hvp_seconds_mean: Double?, gradient_seconds_mean: Double?
        let minres_iterations: [Int]?
    }
    let problem: String, method: String, points: [Point]
    let seed: UInt64?, reference: [Double]?, hypervolume: Double?, points_hypervolume: Double?
    let curve: [Sample]?, evaluations: Evaluations?, candidates: Int?, rejected: Int?, failures: [Failure]?
    let architecture: String?, reference_rule: String?, hypervolume_before: Double?, hypervolume_after: Double?
    let stationarity: Stationarity?, timing: TimingJSON?, train_images: Int?, test_images: Int?, hvp_images: Int?
    let stitch: Stitch?
}

/// The part of a network run's `state.json` the report uses.
private struct StateFile: Decodable {
    struct Point: Decodable {
        let residualNorms: [Double]?
        enum CodingKeys: String, CodingKey { case residualNorms = "residual_norms" }
    }
    let points: [Point]
}
