import Foundation
import NMPSweep

/// Runs a sweep's points on `jobs` threads of this process, each taking the next point not
/// yet done, and appends each result to the outputs as it finishes (under one lock, so
/// lines never interleave). Threads rather than child processes: a point's simulation is
/// self-contained (no shared mutable state; Swift 6 checks it), the model config is read
/// once, and the tests can run a sweep in-process. The rows' order follows completion; each
/// row's bytes depend only on its point.
final class SweepRunner: @unchecked Sendable {
    private let job: SweepJob
    private let pending: [Int]
    private let outputs: [(file: SweepOutput, csv: Bool)]
    private let progress: ((_ done: Int, _ failed: Int) -> Void)?
    private let lock = NSLock()
    private var next = 0
    private(set) var done = 0
    private(set) var failed = 0
    private var writeError: CommandError?

    init(job: SweepJob, pending: [Int], outputs: [(file: SweepOutput, csv: Bool)], progress: ((Int, Int) -> Void)?) {
        self.job = job
        self.pending = pending
        self.outputs = outputs
        self.progress = progress
    }

    /// Runs every pending point; throws the first write error (after the points in flight end).
    func run(jobs: Int) throws(CommandError) {
        let group = DispatchGroup()
        for _ in 0..<max(1, min(jobs, pending.count)) {
            group.enter()
            let thread = Thread { [self] in
                work()
                group.leave()
            }
            // A simulation in a debug build needs more than a secondary thread's default stack.
            thread.stackSize = 64 << 20
            thread.start()
        }
        group.wait()
        if let writeError { throw writeError }
    }

    private func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard writeError == nil, next < pending.count else { return nil }
        next += 1
        return pending[next - 1]
    }

    private func work() {
        while let index = take() {
            let result = job.result(index)
            lock.lock()
            do throws(CommandError) {
                for output in outputs where !output.file.finished.contains(index) {
                    try output.file.append(output.csv ? result.csv : result.json)
                }
            } catch {
                writeError = writeError ?? error
            }
            done += 1
            if result.failed { failed += 1 }
            progress?(done, failed)
            lock.unlock()
        }
    }
}
