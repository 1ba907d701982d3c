import FoundationEssentials
import SparrowHTTP

/// Live job state that server-sent-event streams wait on.
///
/// Each change bumps a sequence number; `wait(for:after:timeout:)` returns as soon as the job's
/// sequence passes the one the caller saw, so a stream sends every stage change without polling.
public final class JobBoard: @unchecked Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var status: JobStatus
        public var stage: String
        public var progress: Double
        public var sequence: Int
        /// The last finished epoch while the job retrains.
        public var training: TrainingFigures? = nil
    }

    /// One finished training epoch, as the job's events report it.
    public struct TrainingFigures: Sendable, Equatable {
        public var epoch: Int
        public var epochs: Int
        public var loss: Double
        /// Training accuracy over the epoch's mini-batches.
        public var accuracy: Double

        public init(epoch: Int, epochs: Int, loss: Double, accuracy: Double) {
            self.epoch = epoch
            self.epochs = epochs
            self.loss = loss
            self.accuracy = accuracy
        }
    }

    private let condition = ConditionLock()
    private var states: [String: Snapshot] = [:]
    private var counter = 0
    private var closed = false

    /// True once the server began shutting down: waits return at once.
    public var isClosed: Bool {
        condition.lock(); defer { condition.unlock() }
        return closed
    }

    /// Wakes every waiter for good, so event streams end instead of holding a shutdown.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    public init() {}

    public func update(_ id: String, status: JobStatus, stage: String, progress: Double) {
        condition.lock()
        counter += 1
        states[id] = Snapshot(status: status, stage: stage, progress: progress, sequence: counter)
        condition.broadcast()
        condition.unlock()
    }

    /// Updates stage and progress of a running job, keeping its status.
    public func progress(_ id: String, stage: String, progress: Double, training: TrainingFigures? = nil) {
        condition.lock()
        counter += 1
        let status = states[id]?.status ?? .running
        states[id] = Snapshot(status: status, stage: stage, progress: progress, sequence: counter, training: training)
        condition.broadcast()
        condition.unlock()
    }

    public func snapshot(_ id: String) -> Snapshot? {
        condition.lock(); defer { condition.unlock() }
        return states[id]
    }

    public func forget(_ id: String) {
        condition.lock()
        states[id] = nil
        condition.broadcast()
        condition.unlock()
    }

    /// The job's state once its sequence exceeds `after`, or nil on timeout.
    public func wait(for id: String, after sequence: Int, timeout: TimeInterval) -> Snapshot? {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let s = states[id], s.sequence > sequence { return s }
            if closed || !condition.wait(until: deadline) { return nil }
        }
    }
}
