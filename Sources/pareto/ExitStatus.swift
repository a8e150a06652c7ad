import ArgumentParser
import Foundation
import ParetoKit

/// The one rule for `pareto`'s exit statuses (docs/cli-exit-codes.md), after BSD's sysexits:
/// what went wrong decides the status, not which command or module noticed it.
enum ExitStatus: Int32, CaseIterable {
    /// The command did what it was asked.
    case success = 0
    /// A numerical failure: a non-finite loss, gradient or Hessian-vector product, a
    /// degenerate direction or solver breakdown that stopped the run.
    case numericalFailure = 1
    /// The command line is wrong: an unknown option, a value out of range, options that
    /// conflict, a resume with options that differ from the run's (EX_USAGE).
    case usage = 64
    /// An input file exists but is not valid: a corrupt or truncated checkpoint, IDX, CSV,
    /// state.json or front.json, or one for another architecture (EX_DATAERR).
    case invalidInput = 65
    /// An input file, directory or data set does not exist (EX_NOINPUT).
    case missingInput = 66
    /// An output cannot be created: an unwritable path, a run directory that holds another
    /// run or is locked by a running one (EX_CANTCREAT).
    case cannotCreateOutput = 73
    /// Another input/output error while reading or writing (EX_IOERR).
    case ioError = 74
    /// Interrupted (SIGINT) after the current point was finished or abandoned cleanly.
    case interrupted = 130

    /// The status for `error`, or `nil` for the argument parser's own errors (help, parse
    /// errors, `ValidationError`: it exits with 0 or 64 itself).
    static func classify(_ error: any Error) -> ExitStatus? {
        // The argument parser's own errors (help requests, parse errors, CleanExit, ExitCode,
        // ValidationError) keep its handling and statuses.
        if error is ValidationError || error is CleanExit || error is ExitCode
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            return nil
        }
        switch error {
        case let error as CommandLineError: return error.status
        case let error as RunLockError:
            switch error { case .locked: return .cannotCreateOutput }
        case is InterruptedError: return .interrupted
        case let error as CheckpointError:
            switch error {
            case .unreadable(let path, _): return FileManager.default.fileExists(atPath: path) ? .invalidInput : .missingInput
            case .unwritable: return .cannotCreateOutput
            default: return .invalidInput
            }
        case is SafetensorsError: return .invalidInput
        case let error as DatasetError:
            switch error {
            case .fileNotFound, .directoryNotFound, .sourceNotFound, .noIDXFiles, .incompleteIDXPair: return .missingInput
            case .invalidArgument: return .usage
            case .unreadableFile: return .ioError
            default: return .invalidInput
            }
        case let error as FrontFileError:
            switch error {
            case .unreadable: return .missingInput
            case .invalid: return .invalidInput
            }
        case let error as NetworkRunError:
            switch error {
            case .existingRun: return .cannotCreateOutput
            case .noRun, .noChain: return .missingInput
            case .corruptState: return .invalidInput
            case .incompatibleResume, .unsupported: return .usage
            case .nonStationarySeed: return .numericalFailure
            }
        case let error as ExpansionError:
            switch error {
            case .degenerateDirection: return .numericalFailure
            case .nonFinite: return .numericalFailure
            case .dimensionMismatch, .invalidOption, .invalidCoordinate: return .usage
            }
        case let error as TrainingError:
            switch error {
            case .nonFiniteLoss: return .numericalFailure
            default: return .usage
            }
        case let error as StitchingError:
            switch error {
            case .notARun, .missingSource: return .missingInput
            case .incompatible: return .invalidInput
            case .notANetwork, .notAnalytic: return .usage
            }
        case is ProblemError, is ModelRegistryError: return .usage
        case is AutodiffError, is KrylovError, is LBFGSError, is FusedMultiLeNetError: return .numericalFailure
        case let error as ReportError:
            switch error {
            case .missingFrontFile: return .missingInput
            case .unreadable: return .ioError
            case .corrupt: return .invalidInput
            case .unwritable: return .cannotCreateOutput
            }
        case let error as CocoaError:
            switch error.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return .missingInput
            case .fileWriteNoPermission, .fileWriteOutOfSpace, .fileWriteVolumeReadOnly, .fileWriteInvalidFileName,
                 .fileWriteFileExists, .fileWriteUnknown:
                return .cannotCreateOutput
            case .fileReadCorruptFile: return .invalidInput
            default: return .ioError
            }
        case is DecodingError: return .invalidInput
        default: return .ioError
        }
    }

    /// A one-line message for `error`: the library's own description, or for Foundation's
    /// file errors the path and what is wrong with it (never "NSCocoaErrorDomain Code=4").
    static func message(for error: any Error) -> String {
        if let error = error as? CocoaError {
            let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path ?? "a file"
            switch error.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "\(path): no such file or directory"
            case .fileWriteNoPermission, .fileReadNoPermission: return "\(path): permission denied"
            case .fileWriteOutOfSpace: return "\(path): no space left on the device"
            case .fileWriteVolumeReadOnly: return "\(path): the volume is read-only"
            case .fileWriteFileExists: return "\(path): exists already"
            default: return "\(path): \(error.localizedDescription)"
            }
        }
        if let error = error as? DecodingError { return "invalid JSON: \(error)" }
        return String(describing: error)
    }
}
