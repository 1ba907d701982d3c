import Foundation
import Testing
import SparrowService

/// A latch a test opens to let blocked jobs continue.
private final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var open = false
    private(set) var entered = 0

    func pass() {
        condition.lock()
        entered += 1
        condition.broadcast()
        while !open { condition.wait() }
        condition.unlock()
    }

    func waitEntered(_ n: Int) -> Bool {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(10)
        while entered < n { if !condition.wait(until: deadline) { return false } }
        return true
    }

    func release() {
        condition.lock()
        open = true
        condition.broadcast()
        condition.unlock()
    }
}

private final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

@Test func jobQueueRunsJobsInOrderOnWorkers() {
    let queue = JobQueue(workers: 1, queueLimit: 10)
    let log = Log()
    let done = DispatchSemaphore(value: 0)
    for i in 0..<5 {
        try? queue.submit(id: "j\(i)") { _ in
            log.add("j\(i)")
            done.signal()
        }
    }
    for _ in 0..<5 { #expect(done.wait(timeout: .now() + 10) == .success) }
    #expect(log.all == (0..<5).map { "j\($0)" })
    queue.shutdown(grace: 5)
}

@Test func jobQueueRejectsBeyondItsLimit() throws {
    let gate = Gate()
    let queue = JobQueue(workers: 1, queueLimit: 2)
    try queue.submit(id: "running") { _ in gate.pass() }
    #expect(gate.waitEntered(1))
    try queue.submit(id: "a") { _ in }
    try queue.submit(id: "b") { _ in }
    #expect(queue.queueDepth == 2)
    #expect(queue.busyWorkers == 1)
    #expect(throws: JobQueueError.full(limit: 2)) { try queue.submit(id: "c") { _ in } }
    #expect(throws: JobQueueError.duplicate("a")) { try queue.submit(id: "a", force: true) { _ in } }
    try queue.submit(id: "restored", force: true) { _ in }
    gate.release()
    queue.shutdown(grace: 5)
}

@Test func jobQueueCancelsWaitingAndRunningJobs() throws {
    let gate = Gate()
    let queue = JobQueue(workers: 1, queueLimit: 5)
    let log = Log()
    let finished = DispatchSemaphore(value: 0)
    try queue.submit(id: "long") { context in
        gate.pass()
        do {
            for step in 0..<1_000_000 {
                try context.report(stage: "work", progress: Double(step) / 1e6)
                usleep(100)
            }
            log.add("long:completed")
        } catch {
            log.add("long:\(error)")
        }
        finished.signal()
    }
    try queue.submit(id: "waiting") { _ in log.add("waiting:ran") }
    #expect(gate.waitEntered(1))
    gate.release()
    #expect(queue.cancel(id: "waiting") == .removed)
    #expect(queue.cancel(id: "long") == .signalled)
    #expect(queue.cancel(id: "waiting") == .unknown)  // removed already
    #expect(queue.cancel(id: "long") == .alreadySignalled || queue.cancel(id: "long") == .unknown)  // told once
    #expect(queue.cancel(id: "nope") == .unknown)
    #expect(finished.wait(timeout: .now() + 10) == .success)
    queue.shutdown(grace: 5)
    #expect(log.all == ["long:cancelled"])
}

@Test func jobQueueShutdownInterruptsRunningJobsAndReturnsWaitingOnes() throws {
    let gate = Gate()
    let queue = JobQueue(workers: 1, queueLimit: 5)
    let log = Log()
    try queue.submit(id: "long") { context in
        gate.pass()
        while true {
            do { try context.report(stage: "s", progress: 0.5) } catch {
                log.add("\(error)")
                return
            }
            usleep(1000)
        }
    }
    try queue.submit(id: "next") { _ in log.add("next ran") }
    #expect(gate.waitEntered(1))
    gate.release()
    let dropped = queue.shutdown(grace: 10)
    #expect(dropped == ["next"])
    #expect(log.all == ["shutdown"])
    #expect(throws: JobQueueError.shuttingDown) { try queue.submit(id: "late") { _ in } }
}

@Test func jobQueueReportsClampedProgress() throws {
    let log = Log()
    let queue = JobQueue(workers: 2, queueLimit: 5) { id, stage, progress in log.add("\(id) \(stage) \(progress)") }
    let done = DispatchSemaphore(value: 0)
    try queue.submit(id: "p") { context in
        try? context.report(stage: "prune", progress: 1.5)
        try? context.report(stage: "quantize", progress: -.infinity)
        done.signal()
    }
    #expect(done.wait(timeout: .now() + 10) == .success)
    queue.shutdown(grace: 5)
    #expect(log.all == ["p prune 1.0", "p quantize 0.0"])
}
