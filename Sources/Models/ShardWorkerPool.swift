import Foundation
import Synchronization

/// Persistent worker threads that run the concurrent tasks of the fused kernels' sweeps.
///
/// `DispatchQueue.concurrentPerform` on Linux often starts its second iteration 1–3 ms late, or
/// runs both iterations in the calling thread, when its workers have been idle: measured with
/// per-task timestamps inside `FusedMultiLeNetLoss` at batch 256 (2-core AMD EPYC, a
/// Firecracker VM), where one task's share of a sweep is 3–4 ms. That made two tasks little
/// faster than one. This pool keeps its workers: worker `i` always runs task `i + 1` of a job
/// and the calling thread runs task 0, so a job needs no task queue. After a job a worker
/// spins for ``spinNanoseconds`` watching for the next one (consecutive Hessian-vector
/// products of a MINRES solve are well inside that window), then sleeps on a condition
/// variable, so an idle process uses no CPU. OpenBLAS's own workers do the same (for far
/// longer: `OPENBLAS_THREAD_TIMEOUT`).
///
/// Jobs are published with a release store of one word, the job's number and its task count,
/// that workers read with acquire loads (so a worker that sits a job out reads nothing else of
/// it); a worker signals completion with a release decrement the caller reads with an
/// acquire load, so the job's writes happen before ``run(tasks:_:)`` returns. One job runs at a
/// time: a caller that finds the pool busy (another thread's job) runs its tasks itself, in
/// order, which gives the same results because every task writes only its own outputs.
final class ShardWorkerPool: @unchecked Sendable {
    /// The process-wide pool; it grows to the largest task count asked for.
    static let shared = ShardWorkerPool()

    /// How long a worker watches for the next job before it sleeps (2 ms).
    static let spinNanoseconds: UInt64 = 2_000_000

    /// The latest published job: its number times 256 plus its task count (0: none yet).
    private let published = Atomic<Int>(0)
    /// The number of the latest job (only the caller holding ``entry`` changes it).
    private var jobNumber = 0
    /// The most tasks one job may have (the task count must fit in a byte of ``published``).
    static let maximumTasks = 255
    /// Tasks of the current job not yet finished by the workers.
    private let unfinished = Atomic<Int>(0)
    /// Serialises jobs; a second caller that cannot take it runs its job alone.
    private let entry = NSLock()
    /// Wakes sleeping workers; guards nothing but the sleep itself.
    private let wakeup = NSCondition()
    /// The current job's body: written by the caller before the release store of
    /// ``published``, read only by the workers that take part in the job (after their acquire
    /// load of it), which the caller waits for before it writes the next.
    private nonisolated(unsafe) var body: (Int) -> Void = { _ in }
    /// Workers started so far (only the caller holding ``entry`` changes it).
    private var workerCount = 0

    /// Runs `body(task)` for `task` in `0..<tasks` concurrently: task 0 in the calling thread,
    /// task `i` in worker `i − 1`. Returns when every task has returned. At most
    /// ``maximumTasks`` tasks run concurrently; more run in order in the calling thread.
    func run(tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 1, tasks <= Self.maximumTasks, entry.try() else {
            for task in 0..<Swift.max(tasks, 0) { body(task) }
            return
        }
        defer { entry.unlock() }
        while workerCount < tasks - 1 { startWorker(index: workerCount); workerCount += 1 }
        withoutActuallyEscaping(body) { body in
            self.body = body
            unfinished.store(tasks - 1, ordering: .relaxed)
            jobNumber += 1
            published.store((jobNumber << 8) | tasks, ordering: .releasing)
            wakeup.lock()
            wakeup.broadcast()
            wakeup.unlock()
            body(0)
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins % 256 == 0 { sched_yield() }
            }
            self.body = { _ in }
        }
    }

    private func startWorker(index: Int) {
        let thread = Thread { [self] in work(as: index) }
        thread.name = "ParetoKit shard worker \(index + 1)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Worker `index`'s loop: wait for a job (spinning, then sleeping), run task `index + 1`
    /// if the job has that many tasks, report it done.
    private func work(as index: Int) {
        var seen = 0
        while true {
            seen = nextJob(after: seen)
            let task = index + 1
            if task < seen & 0xFF {
                body(task)
                unfinished.subtract(1, ordering: .releasing)
            }
        }
    }

    /// The first job published after `seen` (its ``published`` word): watched for
    /// ``spinNanoseconds``, then waited for on ``wakeup``.
    private func nextJob(after seen: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var spins = 0
        while true {
            let job = published.load(ordering: .acquiring)
            if job != seen { return job }
            spins += 1
            if spins % 64 == 0, DispatchTime.now().uptimeNanoseconds > deadline { break }
        }
        wakeup.lock()
        defer { wakeup.unlock() }
        while true {
            let job = published.load(ordering: .acquiring)
            if job != seen { return job }
            wakeup.wait()
        }
    }
}
