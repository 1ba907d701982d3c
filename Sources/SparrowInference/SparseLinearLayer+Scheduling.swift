import Dispatch
import Synchronization

/// One apply's slices, shared out by claiming: the calling thread and `threads − 1` helpers take the
/// next unclaimed slice until none is left, and the caller returns once every slice is done.
///
/// Unlike concurrentPerform, the caller never waits for a helper that has not started: on a busy
/// machine a woken thread may wait milliseconds for a core, and by then the caller has done its
/// work. A late helper finds nothing to claim and never calls `body`, so `body` (which captures the
/// caller's buffers) is only ever invoked while the caller is still inside `run`.
final class SliceRun: @unchecked Sendable {
    let count: Int
    let body: (Int) -> Void
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    let finished = DispatchSemaphore(value: 0)

    init(count: Int, body: @escaping (Int) -> Void) {
        self.count = count
        self.body = body
    }

    func work() {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            body(i)
            if done.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == count { finished.signal() }
        }
    }

    /// Runs all slices with up to `helpers` extra threads and returns when they are all done.
    static func run(count: Int, helpers: Int, _ body: @escaping (Int) -> Void) {
        let run = SliceRun(count: count, body: body)
        for _ in 0..<min(helpers, count - 1) { DispatchQueue.global().async { run.work() } }
        run.work()
        if run.done.load(ordering: .acquiring) < count { run.finished.wait() }
    }
}
