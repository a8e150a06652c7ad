import CFuzzer
import Foundation

/// The input handler of the running fuzzer (libFuzzer's callback cannot capture context).
nonisolated(unsafe) private var handler: (([UInt8]) -> Void)?

/// Runs libFuzzer (`LLVMFuzzerRunDriver`) with the process's command line, calling `body` on
/// every input; exits with libFuzzer's status. `body` must trap (precondition, fatalError) on a
/// property violation, so that libFuzzer records the input as a crash.
public func runLibFuzzer(_ body: @escaping ([UInt8]) -> Void) -> Never {
    handler = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        handler!(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
    exit(status)
}
