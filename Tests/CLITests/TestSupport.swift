import Foundation
import XCTest

/// What a run of one of the package's executables gave.
struct CommandResult {
    let status: Int32
    let output: String
    let error: String
    /// Whether it exited (rather than dying of a signal).
    let exited: Bool
}

/// The directory of the built products (next to the test bundle).
var productsDirectory: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

/// Runs the product `name` (`pareto`, `pareto-bench`) with `arguments`, the environment
/// changed by `environment` (a `nil` value removes the variable); skips the test if it is not
/// built.
func runProduct(_ name: String, _ arguments: [String], environment changes: [String: String?] = [:]) throws -> CommandResult {
    let executable = productsDirectory.appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw XCTSkip("\(name) executable not found at \(executable.path)")
    }
    var environment = ProcessInfo.processInfo.environment
    for (key, value) in changes { environment[key] = value }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
        error: String(decoding: errorData, as: UTF8.self), exited: process.terminationReason == .exit)
}
