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
    }

    private let condition = ConditionLock()
    private var states: [String: Snapshot] = [:]
    private var counter = 0

    public init() {}

    public func update(_ id: String, status: JobStatus, stage: String, progress: Double) {
        condition.lock()
        counter += 1
        states[id] = Snapshot(status: status, stage: stage, progress: progress, sequence: counter)
        condition.broadcast()
        condition.unlock()
    }

    /// Updates stage and progress of a running job, keeping its status.
    public func progress(_ id: String, stage: String, progress: Double) {
        condition.lock()
        counter += 1
        let status = states[id]?.status ?? .running
        states[id] = Snapshot(status: status, stage: stage, progress: progress, sequence: counter)
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
            if !condition.wait(until: deadline) { return nil }
        }
    }
}
