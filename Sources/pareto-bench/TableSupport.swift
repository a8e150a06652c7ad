import Foundation
import LinearAlgebra
import MultiObjective

/// Errors of the `table1` / `table2` harnesses, with messages that name the step and its log.
enum TableError: Error, CustomStringConvertible {
    /// A `pareto` subprocess failed.
    case stepFailed(step: String, status: Int32, log: String, tail: String)
    /// An output file is missing or malformed.
    case badOutput(path: String, reason: String)
    /// The `pareto` executable was not found.
    case executableNotFound(String)
    /// A command-line value is invalid.
    case invalidOption(String)

    var description: String {
        switch self {
        case .stepFailed(let step, let status, let log, let tail):
            return "\(step) failed with exit status \(status) (log: \(log))\(tail.isEmpty ? "" : ":\n\(tail)")"
        case .badOutput(let path, let reason): return "\(path): \(reason)"
        case .executableNotFound(let path): return "the pareto executable was not found at \(path) (build it, or pass --pareto PATH)"
        case .invalidOption(let message): return message
        }
    }
}

/// Runs the `pareto` executable as subprocesses, each with its standard output and standard
/// error captured in files, and reports what it does on standard error.
struct ParetoRunner {
    /// The `pareto` executable.
    let executable: URL
    /// The environment of the subprocesses.
    var environment = ProcessInfo.processInfo.environment

    /// `explicit`, or the `pareto` next to this executable.
    init(explicit: String?) throws {
        let url: URL
        if let explicit {
            url = URL(fileURLWithPath: explicit)
        } else {
            let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            url = me.deletingLastPathComponent().appendingPathComponent("pareto")
        }
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw TableError.executableNotFound(url.path) }
        executable = url
    }

    /// Runs `pareto arguments…`, standard output to `stdout`, standard error to `stderr`;
    /// returns the wall-clock seconds. Throws ``TableError/stepFailed(step:status:log:tail:)``
    /// on a non-zero exit status (with the last lines of its standard error).
    @discardableResult
    func run(_ step: String, _ arguments: [String], stdout: URL, stderr: URL) throws -> Double {
        let manager = FileManager.default
        try manager.createDirectory(at: stdout.deletingLastPathComponent(), withIntermediateDirectories: true)
        manager.createFile(atPath: stdout.path, contents: nil)
        manager.createFile(atPath: stderr.path, contents: nil)
        let out = try FileHandle(forWritingTo: stdout), err = try FileHandle(forWritingTo: stderr)
        defer { try? out.close(); try? err.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        process.waitUntilExit()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            let tail = text.split(separator: "\n").suffix(5).joined(separator: "\n")
            throw TableError.stepFailed(step: step, status: process.terminationStatus, log: stderr.path, tail: tail)
        }
        return elapsed
    }

    /// Whether `pareto expand` accepts `option` (read from its `--help`).
    func expandSupports(_ option: String) -> Bool {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["expand", "--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).contains(option)
    }
}

/// A progress line on standard error, prefixed with the harness's name and the UTC time.
/// One expansion of a table, run once: `pareto expand ARGUMENTS --out LOGS/ID` unless that
/// directory already holds a finished run (`front.json`); an interrupted run (`state.json`)
/// is continued with `--resume`. Progress lines name it `label` (default: `id`). Wall seconds add up over sessions in `LOGS/ID.wall`; the
/// command's output goes to `LOGS/ID.out` and `LOGS/ID.log`.
/// - Returns: the run's outcome and its wall seconds (`nan` when no session was timed).
func expandOnce(
    _ runner: ParetoRunner, harness: String, position: String, id: String, arguments: [String], in logs: URL, label: String? = nil,
    detail: String = ""
) throws -> (outcome: ExpansionOutcome, wall: Double) {
    let name = label ?? id
    let directory = logs.appendingPathComponent(id)
    let wallFile = logs.appendingPathComponent("\(id).wall")
    func recordedWall() -> Double {
        Double((try? String(contentsOf: wallFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? .nan
    }
    if FileManager.default.fileExists(atPath: directory.appendingPathComponent("front.json").path) {
        progress(harness, "[\(position)] \(name): exists, skipped")
    } else {
        let resuming = FileManager.default.fileExists(atPath: directory.appendingPathComponent("state.json").path)
        progress(harness, "[\(position)] \(name)\(detail)\(resuming ? " (resume)" : "") …")
        let wall = try runner.run(
            "pareto expand (\(id))", arguments + (resuming ? ["--resume"] : []) + ["--out", directory.path],
            stdout: logs.appendingPathComponent("\(id).out"), stderr: logs.appendingPathComponent("\(id).log"))
        let previous = recordedWall()
        try String(format: "%.3f\n", (previous.isNaN ? 0 : previous) + wall).write(to: wallFile, atomically: true, encoding: .utf8)
        progress(harness, String(format: "[%@] %@: %.1f s", position, name, wall))
    }
    return (try ExpansionOutcome(directory: directory), recordedWall())
}

func progress(_ harness: String, _ message: String) {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    FileHandle.standardError.write(Data("[\(harness) \(formatter.string(from: Date()))] \(message)\n".utf8))
}

/// Reads a JSON object from `url`.
func readJSONObject(_ url: URL) throws -> [String: Any] {
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw TableError.badOutput(path: url.path, reason: "cannot be read (\(error.localizedDescription))") }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TableError.badOutput(path: url.path, reason: "not a JSON object")
    }
    return object
}

/// `object` with every non-finite number (a ratio to a zero hypervolume, an unknown wall time)
/// replaced by `null`, which JSON can hold.
func jsonSafe(_ object: Any) -> Any {
    switch object {
    case let value as Double: return value.isFinite ? value : NSNull()
    case let dictionary as [String: Any]: return dictionary.mapValues(jsonSafe)
    case let array as [Any]: return array.map(jsonSafe)
    default: return object
    }
}

/// A table cell: `value` with `digits` decimals (× `scale`, then `suffix`), or "—" when it is
/// missing or not finite.
func cell(_ value: Any?, _ digits: Int, scale: Double = 1, suffix: String = "") -> String {
    guard let number = value as? Double, number.isFinite else { return "—" }
    return fixed(number * scale, digits) + suffix
}

/// Writes `object` as pretty, key-sorted JSON to `url`, atomically (non-finite numbers as null).
func writeJSONObject(_ object: Any, to url: URL) throws {
    let data = try JSONSerialization.data(withJSONObject: jsonSafe(object), options: [.prettyPrinted, .sortedKeys])
    try data.write(to: url, options: .atomic)
}

/// `object[key]` as an array of doubles.
func doubles(_ object: [String: Any], _ key: String, in path: String) throws -> [Double] {
    guard let values = object[key] as? [Any] else { throw TableError.badOutput(path: path, reason: "no array \"\(key)\"") }
    return try values.map {
        guard let number = $0 as? NSNumber else { throw TableError.badOutput(path: path, reason: "\"\(key)\" holds a non-number") }
        return number.doubleValue
    }
}

/// The outcome of one `pareto expand` run directory, read from its `front.json`.
struct ExpansionOutcome {
    /// Test losses of the accepted points.
    var pointTestLosses: [[Double]]
    /// Test losses of the points without a parent: the seed after its own ParetoOptimize.
    var rootTestLosses: [[Double]]
    /// Test losses of the curve samples.
    var curveTestLosses: [[Double]]
    /// `evaluations` (objectives, gradients, HVPs), as the CLI counts them: one call = one.
    var objectives: Int, gradients: Int, hvps: Int
    /// `evaluations_by_phase` when present (mini-batch ParetoOptimize and later).
    var byPhase: [String: Any]?
    /// `stationarity` (before, after, …) when present.
    var stationarity: [String: Any]?
    /// front.json's own `hypervolume`, `hypervolume_before` and `reference`.
    var hypervolume: Double, hypervolumeBefore: Double?, reference: [Double]
    /// `candidates` and `rejected`.
    var candidates: Int, rejected: Int

    /// Training composites of the objectives (`train_images`) and of the HVP batch (`hvp_images`).
    var trainImages: Int, hvpImages: Int
    /// Mini-batch gradient calls among `gradients` (state.json's `mini_batch_gradients`; 0 when absent).
    var miniBatchGradients: Int

    /// The work of the run in mini-batch evaluations of `batch` images (the training unit):
    /// a full-set call costs `⌈train_images/batch⌉` of them, an HVP `⌈hvp_images/batch⌉`, a
    /// mini-batch gradient one; every gradient call is values + Jacobian (`1 + m`).
    func batchEquivalents(tasks m: Int, batch: Int) -> Int {
        let full = (trainImages + batch - 1) / batch, hvp = (hvpImages + batch - 1) / batch
        return objectives * full + (1 + m) * ((gradients - miniBatchGradients) * full + miniBatchGradients) + hvps * hvp
    }

    /// Total calls (`objectives + gradients + hvps`).
    var calls: Int { objectives + gradients + hvps }

    /// The cost in Ma et al.'s unit (one mini-batch objective, gradient or HVP evaluation =
    /// one), as far as front.json allows: every gradient call of the expansion is a values +
    /// Jacobian call (MGDA corrections, the Jacobian at each point), i.e. `1 + m` evaluations;
    /// objective and HVP calls count one each. Full-set calls count one like mini-batch ones.
    func paperUnit(tasks m: Int) -> Int { objectives + (1 + m) * gradients + hvps }

    /// The counts of one phase of `evaluations_by_phase` (zero when absent).
    func phase(_ name: String) -> (objectives: Int, gradients: Int, hvps: Int) {
        guard let counts = byPhase?[name] as? [String: Any] else { return (0, 0, 0) }
        func value(_ key: String) -> Int { (counts[key] as? NSNumber)?.intValue ?? 0 }
        return (value("objectives"), value("gradients"), value("hvps"))
    }

    /// The seed's ParetoOptimize (phase `seed` of `evaluations_by_phase`) in Ma et al.'s unit;
    /// `nil` for runs without phases (their seed steps are inside ``expansionPaperUnit(tasks:)``).
    func seedPaperUnit(tasks m: Int) -> Int? {
        guard byPhase != nil else { return nil }
        let seed = phase("seed")
        return seed.objectives + (1 + m) * seed.gradients + seed.hvps
    }

    /// The expansion proper in Ma et al.'s unit: every phase but the seed's (tangent solves,
    /// corrections, …; test evaluations are never in `evaluations`). Runs without phases: all of
    /// ``paperUnit(tasks:)``.
    func expansionPaperUnit(tasks m: Int) -> Int { paperUnit(tasks: m) - (seedPaperUnit(tasks: m) ?? 0) }

    /// Reads `directory/front.json`.
    init(directory: URL) throws {
        let url = directory.appendingPathComponent("front.json")
        let front = try readJSONObject(url)
        let path = url.path
        guard let points = front["points"] as? [[String: Any]] else { throw TableError.badOutput(path: path, reason: "no \"points\"") }
        pointTestLosses = try points.map { try doubles($0, "test_loss", in: path) }
        rootTestLosses = try points.filter { $0["parent"] == nil || $0["parent"] is NSNull }.map { try doubles($0, "test_loss", in: path) }
        let curve = front["curve"] as? [[String: Any]] ?? []
        curveTestLosses = try curve.map { try doubles($0, "objectives", in: path) }
        guard let evaluations = front["evaluations"] as? [String: Any] else { throw TableError.badOutput(path: path, reason: "no \"evaluations\"") }
        objectives = (evaluations["objectives"] as? NSNumber)?.intValue ?? 0
        gradients = (evaluations["gradients"] as? NSNumber)?.intValue ?? 0
        hvps = (evaluations["hvps"] as? NSNumber)?.intValue ?? 0
        byPhase = front["evaluations_by_phase"] as? [String: Any]
        stationarity = front["stationarity"] as? [String: Any]
        guard let hv = (front["hypervolume"] as? NSNumber)?.doubleValue else { throw TableError.badOutput(path: path, reason: "no \"hypervolume\"") }
        hypervolume = hv
        hypervolumeBefore = (front["hypervolume_before"] as? NSNumber)?.doubleValue
        reference = try doubles(front, "reference", in: path)
        trainImages = (front["train_images"] as? NSNumber)?.intValue ?? 0
        hvpImages = (front["hvp_images"] as? NSNumber)?.intValue ?? 0
        let state = try? readJSONObject(directory.appendingPathComponent("state.json"))
        miniBatchGradients = (state?["mini_batch_gradients"] as? NSNumber)?.intValue ?? 0
        candidates = (front["candidates"] as? NSNumber)?.intValue ?? 0
        rejected = (front["rejected"] as? NSNumber)?.intValue ?? 0
    }
}

/// Hypervolume of `points` w.r.t. `reference` (minimisation; points beyond it add nothing).
func hypervolume(_ points: [[Double]], reference: [Double]) throws -> Double {
    try Hypervolume.compute(points, reference: reference)
}

/// Parses "a,b,…" into doubles, naming `option` in the error.
func parseDoubles(_ text: String, option: String) throws -> [Double] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    return try parts.map {
        guard let value = Double($0), value.isFinite else { throw TableError.invalidOption("\(option): '\($0)' is not a finite number") }
        return value
    }
}

/// Splits a pass-through option string ("--optimizer sgd --learning-rate 0.01") on whitespace.
/// The `pareto expand` command line of one tangent expansion of a table harness: the seed
/// checkpoint, the data and test options, Algorithm 1's K, N, s and k (Ma et al. §6, Tables 1
/// and 2), the HVP batch, curve samples, the common hypervolume reference and the β seed, then
/// `--force` when asked and the user's extra `expand` options (split on blanks), last so they win.
func tangentExpandArguments(
    from checkpoint: String, data: [String], trainSize: Int?, directions: Int, points: Int, stepSize: Double,
    minresIterations: Int, hvpBatch: Int, curveSamples: Int, reference: String, seed: Int, force: Bool, extra: String?
) -> [String] {
    var arguments = ["expand", "--from", checkpoint] + data
    if let trainSize { arguments += ["--train-size", "\(trainSize)"] }
    arguments += ["--method", "tangent", "--directions", "\(directions)", "--points", "\(points)", "--step-size", "\(stepSize)",
                  "--minres-iterations", "\(minresIterations)", "--hvp-batch", "\(hvpBatch)", "--curve-samples", "\(curveSamples)",
                  "--reference", reference, "--seed", "\(seed)"]
    if force { arguments.append("--force") }
    return arguments + splitArguments(extra)
}

func splitArguments(_ text: String?) -> [String] {
    (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
}

/// Formats a number for tables: fixed `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// A CSV field (quoted when needed).
func csvField(_ text: String) -> String {
    text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
}

/// The facts every table states: CPU, OpenBLAS core, `OPENBLAS_CORETYPE`, date, load average.
func machineFacts() -> [String: Any] {
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    return [
        "cpu": cpuModelName(), "blas_core": BLASRuntime.coreName,
        "openblas_coretype": ProcessInfo.processInfo.environment[BLASRuntime.coreTypeVariable] ?? "",
        "openblas_num_threads": ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "",
        "load_average_at_end": load, "date": ISO8601DateFormatter().string(from: Date()),
    ]
}
