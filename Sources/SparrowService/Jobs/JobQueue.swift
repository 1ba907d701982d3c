import FoundationEssentials
import SparrowHTTP

/// Why a job stopped before finishing its work.
public enum JobInterruption: Error, Equatable, Sendable {
    /// A client cancelled it.
    case cancelled
    /// The server is shutting down; the job should be re-queued, not failed.
    case shutdown
}

public enum JobQueueError: Error, Equatable, Sendable, CustomStringConvertible {
    case full(limit: Int)
    case shuttingDown
    case duplicate(String)

    public var description: String {
        switch self {
        case .full(let limit): return "the job queue is full (\(limit) waiting); retry later"
        case .shuttingDown: return "the server is shutting down"
        case .duplicate(let id): return "job \(id) is already queued or running"
        }
    }
}

/// Handed to a running job: it reports progress and learns, at each report, whether to stop.
public final class JobContext: @unchecked Sendable {
    public let jobID: String
    private let lock = ConditionLock()
    private var interruption: JobInterruption?
    private let onProgress: @Sendable (String, String, Double) -> Void

    init(jobID: String, onProgress: @escaping @Sendable (String, String, Double) -> Void) {
        self.jobID = jobID
        self.onProgress = onProgress
    }

    /// Records the stage and progress (clamped to 0...1), then throws if the job must stop.
    public func report(stage: String, progress: Double) throws {
        onProgress(jobID, stage, min(1, max(0, progress.isFinite ? progress : 0)))
        try checkInterruption()
    }

    /// Throws `JobInterruption` once the job was cancelled or the server is stopping.
    public func checkInterruption() throws {
        if let reason = currentInterruption { throw reason }
    }

    public var currentInterruption: JobInterruption? {
        lock.lock(); defer { lock.unlock() }
        return interruption
    }

    /// Whether this call set the reason: a job is interrupted once, for the first reason given.
    @discardableResult
    func interrupt(_ reason: JobInterruption) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard interruption == nil else { return false }
        interruption = reason
        return true
    }
}

/// A bounded FIFO of jobs served by a fixed pool of worker threads.
///
/// Workers are dedicated threads, so long compression jobs never occupy the threads that answer
/// HTTP requests. At most `queueLimit` jobs wait; beyond that `submit` throws `.full`.
public final class JobQueue: @unchecked Sendable {
    public typealias Work = @Sendable (JobContext) -> Void

    private struct Pending {
        let id: String
        let work: Work
    }

    public let workerCount: Int
    public let queueLimit: Int
    private let condition = ConditionLock()
    private var pending: [Pending] = []
    private var running: [String: JobContext] = [:]
    private var stopping = false
    private var liveWorkers = 0
    private let onProgress: @Sendable (String, String, Double) -> Void

    /// - Parameter onProgress: called on the worker thread with (job id, stage, progress).
    public init(workers: Int, queueLimit: Int,
                onProgress: @escaping @Sendable (String, String, Double) -> Void = { _, _, _ in }) {
        workerCount = max(1, workers)
        self.queueLimit = max(0, queueLimit)
        self.onProgress = onProgress
        for _ in 0..<workerCount {
            liveWorkers += 1
            if !DetachedThread.start(stackSize: 8 << 20, { [self] in workerLoop() }) {
                liveWorkers -= 1
            }
        }
    }

    /// Enqueues a job. `force` bypasses the limit (used to restore jobs after a restart).
    public func submit(id: String, force: Bool = false, work: @escaping Work) throws {
        condition.lock(); defer { condition.unlock() }
        guard !stopping else { throw JobQueueError.shuttingDown }
        guard running[id] == nil, !pending.contains(where: { $0.id == id }) else { throw JobQueueError.duplicate(id) }
        guard force || pending.count < queueLimit else { throw JobQueueError.full(limit: queueLimit) }
        pending.append(Pending(id: id, work: work))
        condition.signal()
    }

    public enum CancelResult: Equatable, Sendable {
        /// It had not started; it will never run.
        case removed
        /// It is running and will stop at its next progress report.
        case signalled
        /// It is running and was already told to stop (by an earlier cancel or the shutdown).
        case alreadySignalled
        case unknown
    }

    public func cancel(id: String) -> CancelResult {
        condition.lock(); defer { condition.unlock() }
        if let index = pending.firstIndex(where: { $0.id == id }) {
            pending.remove(at: index)
            return .removed
        }
        if let context = running[id] {
            return context.interrupt(.cancelled) ? .signalled : .alreadySignalled
        }
        return .unknown
    }

    /// Jobs waiting for a worker.
    public var queueDepth: Int {
        condition.lock(); defer { condition.unlock() }
        return pending.count
    }

    /// Workers currently running a job.
    public var busyWorkers: Int {
        condition.lock(); defer { condition.unlock() }
        return running.count
    }

    public func isRunning(_ id: String) -> Bool {
        condition.lock(); defer { condition.unlock() }
        return running[id] != nil
    }

    /// Stops accepting jobs, drops the waiting ones (their ids are returned; they stay queued in
    /// storage) and asks running jobs to stop, then waits up to `grace` seconds for the workers.
    /// Returns the ids that were still waiting.
    @discardableResult
    public func shutdown(grace: TimeInterval) -> [String] {
        condition.lock()
        stopping = true
        let dropped = pending.map(\.id)
        pending.removeAll()
        for context in running.values { context.interrupt(.shutdown) }
        condition.broadcast()
        let deadline = Date().addingTimeInterval(grace)
        while liveWorkers > 0 {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
        return dropped
    }

    private func workerLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if stopping {
                liveWorkers -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = pending.removeFirst()
            let context = JobContext(jobID: job.id, onProgress: onProgress)
            running[job.id] = context
            condition.unlock()

            job.work(context)

            condition.lock()
            running[job.id] = nil
            condition.broadcast()
            condition.unlock()
        }
    }
}
