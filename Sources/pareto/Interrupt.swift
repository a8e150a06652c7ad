import Dispatch
import Foundation

/// The run was interrupted (SIGINT) and stopped cleanly after its last saved point.
struct InterruptedError: Error, CustomStringConvertible {
    /// What to do next (e.g. the command with `--resume`).
    let advice: String
    var description: String { "interrupted: \(advice)" }
}

/// SIGINT for long runs: the first Ctrl-C asks the run to stop at its next safe point (after
/// the point being computed is saved, or before the next one starts), the second one ends the
/// process at once (the default action). The signal is received by a dispatch source, not in
/// a signal handler, so no code runs in signal context.
final class InterruptRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var source: (any DispatchSourceSignal)?

    /// Starts listening for SIGINT.
    init() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.withLock { self.requested = true }
            FileHandle.standardError.write(Data("\ninterrupt: finishing the current point, then stopping (Ctrl-C again to abort)\n".utf8))
            signal(SIGINT, SIG_DFL)
        }
        source.resume()
        self.source = source
    }

    /// Whether SIGINT was received.
    var isRequested: Bool { lock.withLock { requested } }

    deinit {
        source?.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
