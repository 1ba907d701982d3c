import FoundationEssentials
import Synchronization

/// Per model version counts and times of inference, as Triton's statistics extension reports
/// them (`GET /v2/models[/NAME[/versions/V]]/stats`). Sparrow runs each request as one execution
/// without a queue, so queue and cache figures stay zero.
public final class InferenceStatistics: Sendable {
    /// A count and the nanoseconds it took in all.
    public struct Duration: Sendable, Equatable {
        public var count = 0
        public var ns: UInt64 = 0

        mutating func add(_ nanoseconds: UInt64) {
            count += 1
            ns &+= nanoseconds
        }
    }

    /// The three phases of a request: decoding the inputs, running the model, encoding the outputs.
    public struct Phases: Sendable, Equatable {
        public var computeInput = Duration()
        public var computeInfer = Duration()
        public var computeOutput = Duration()

        mutating func add(input: UInt64, infer: UInt64, output: UInt64) {
            computeInput.add(input)
            computeInfer.add(infer)
            computeOutput.add(output)
        }
    }

    public struct Version: Sendable, Equatable {
        /// Milliseconds since the epoch of the last inference, 0 before the first.
        public var lastInference: UInt64 = 0
        public var inferenceCount = 0
        public var executionCount = 0
        public var success = Duration()
        public var fail = Duration()
        public var phases = Phases()
        /// Successful executions by batch size (the first dimension of the first input).
        public var batches: [Int: Phases] = [:]
    }

    struct Key: Hashable {
        var modelID: String
        var version: Int
    }

    private let table = Mutex<[Key: Version]>([:])

    public init() {}

    public func snapshot(modelID: String, version: Int) -> Version {
        table.withLock { $0[Key(modelID: modelID, version: version)] ?? Version() }
    }

    /// Records a request that succeeded: its batch size, each phase's nanoseconds and the total.
    public func recordSuccess(modelID: String, version: Int, batch: Int, input: UInt64, infer: UInt64,
                              output: UInt64, total: UInt64) {
        table.withLock { t in
            var v = t[Key(modelID: modelID, version: version)] ?? Version()
            v.lastInference = UInt64(Date().timeIntervalSince1970 * 1000)
            v.inferenceCount += batch
            v.executionCount += 1
            v.success.add(total)
            v.phases.add(input: input, infer: infer, output: output)
            v.batches[batch, default: Phases()].add(input: input, infer: infer, output: output)
            t[Key(modelID: modelID, version: version)] = v
        }
    }

    /// Records a request for a known model version that failed after `total` nanoseconds.
    public func recordFailure(modelID: String, version: Int, total: UInt64) {
        table.withLock { t in
            t[Key(modelID: modelID, version: version), default: Version()].fail.add(total)
        }
    }

    /// Forgets a deleted model.
    public func forget(modelID: String) {
        table.withLock { t in
            for key in t.keys where key.modelID == modelID { t[key] = nil }
        }
    }
}
