import Dispatch
import Foundation
import Testing
import SparrowHTTP

@Test func conditionLockWaitUntilAPastDeadlineReturnsFalse() {
    let lock = ConditionLock()
    lock.lock()
    #expect(lock.wait(until: Date(timeIntervalSinceNow: -1)) == false)
    #expect(lock.wait(until: Date(timeIntervalSinceNow: 0.01)) == false)
    lock.unlock()
}

@Test func conditionLockHandsStateBetweenThreads() {
    let lock = ConditionLock()
    nonisolated(unsafe) var produced: [Int] = []
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
        for i in 0..<100 {
            lock.withLock { produced.append(i) }
            lock.signal()
        }
    }
    lock.lock()
    // A generous deadline: only a lost wake-up (a bug) would let it pass.
    let deadline = Date(timeIntervalSinceNow: 30)
    while produced.count < 100 && Date() < deadline { lock.wait(until: deadline) }
    let count = produced.count
    lock.unlock()
    group.wait()
    #expect(count == 100)
    #expect(produced == Array(0..<100))
}

@Test func recursiveConditionLockMayBeTakenTwice() {
    let lock = ConditionLock(recursive: true)
    let value = lock.withLock { lock.withLock { 42 } }
    #expect(value == 42)
}
