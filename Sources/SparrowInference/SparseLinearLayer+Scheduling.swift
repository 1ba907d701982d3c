import Dispatch
import Synchronization

/// One apply's work items, shared out by claiming: the calling thread (worker 0) and up to `helpers`
/// pool threads (workers 1...) take the next unclaimed item until none is left, and the caller
/// returns once every item is done.
///
/// The caller never waits for a helper that has not started: on a busy machine a woken thread may
/// wait milliseconds for a core, and by then the caller has done its work. A late helper finds
/// nothing to claim and never calls `body`, so `body` (which captures the caller's buffers) is only
/// ever invoked while the caller is still inside `run`. A worker index is handed to `body` so that it
/// can keep per-worker state (such as a private accumulator); indices are below `helpers + 1`.
final class WorkRun: @unchecked Sendable {
    let count: Int
    let helpers: Int
    let body: (_ item: Int, _ worker: Int) -> Void
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    let finished = DispatchSemaphore(value: 0)

    init(count: Int, helpers: Int, body: @escaping (_ item: Int, _ worker: Int) -> Void) {
        self.count = count
        self.helpers = helpers
        self.body = body
    }

    func work(as worker: Int) {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            body(i, worker)
            if done.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == count { finished.signal() }
        }
    }

    /// Runs all items with up to `helpers` extra threads and returns when they are all done.
    static func run(count: Int, helpers: Int, _ body: @escaping (_ item: Int, _ worker: Int) -> Void) {
        let helpers = min(helpers, count - 1)
        guard helpers > 0 else {
            for i in 0..<count { body(i, 0) }
            return
        }
        let run = WorkRun(count: count, helpers: helpers, body: body)
        WorkerPool.shared.post(run, helpers: helpers)
        run.work(as: 0)
        // Items a helper claimed are finishing on another core: poll briefly before sleeping.
        if !WorkerPool.spin(while: { run.done.load(ordering: .acquiring) < count }) {
            run.finished.wait()
        }
        WorkerPool.shared.retire(run)
    }
}
