import CCPU
import Dispatch
import Glibc
import Synchronization

/// The helper threads behind `WorkRun`. A helper that finds no work spins for `spinNanoseconds`
/// watching for the next run before it parks on a condition variable: the layers of one inference
/// follow each other within microseconds, while waking a parked thread costs tens of microseconds
/// (on a VM whose idle vCPUs halt at once, more than a whole small layer). Helpers are created on
/// first need and live for the process; helper i (1, 2, …) only joins runs that want at least i.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle helper, or a caller waiting for helpers to finish, polls before sleeping.
    static let spinNanoseconds: UInt64 = 100_000
    /// Helpers never outnumber this, whatever a layer asks for.
    static let maximumHelpers = 15

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let generation = Atomic<Int>(0)
    // Guarded by mutex.
    private var current: WorkRun?
    private var helperCount = 0
    private var parked = 0

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Offers `run` to helpers 1...helpers (starting any not yet running).
    func post(_ run: WorkRun, helpers: Int) {
        pthread_mutex_lock(mutex)
        let seen = generation.load(ordering: .relaxed)
        // Without a thread the caller simply does more of the work itself (WorkRun never waits for a
        // helper), so a failed pthread_create stops the growth for this run.
        while helperCount < min(helpers, Self.maximumHelpers) && spawn(index: helperCount + 1, seen: seen) {
            helperCount += 1
        }
        current = run
        _ = generation.wrappingAdd(1, ordering: .releasing)
        if parked > 0 { pthread_cond_broadcast(condition) }
        pthread_mutex_unlock(mutex)
    }

    /// Wakes parked helpers without work, so that they are spinning by the time a run is posted:
    /// a caller that has a few microseconds of serial work before its parallel part hides part of
    /// the wake-up. Does nothing when no helper is parked.
    func wake() {
        pthread_mutex_lock(mutex)
        if parked > 0 {
            current = nil
            _ = generation.wrappingAdd(1, ordering: .releasing)
            pthread_cond_broadcast(condition)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Drops the pool's reference to a finished run, so nothing it captured outlives its caller.
    func retire(_ run: WorkRun) {
        pthread_mutex_lock(mutex)
        if current === run { current = nil }
        pthread_mutex_unlock(mutex)
    }

    private func helperLoop(index: Int, seen initial: Int) {
        var seen = initial
        while true {
            if !Self.spin(while: { self.generation.load(ordering: .acquiring) == seen }) {
                pthread_mutex_lock(mutex)
                parked += 1
                while generation.load(ordering: .relaxed) == seen { pthread_cond_wait(condition, mutex) }
                parked -= 1
                pthread_mutex_unlock(mutex)
            }
            pthread_mutex_lock(mutex)
            seen = generation.load(ordering: .relaxed)
            let run = current
            pthread_mutex_unlock(mutex)
            if let run, index <= run.helpers { run.work(as: index) }
        }
    }

    /// Polls `condition` until it turns false (returning true) or the spin time runs out (false).
    static func spin(while condition: () -> Bool) -> Bool {
        var deadline: UInt64 = 0
        var polls = 0
        while condition() {
            polls &+= 1
            if polls & 63 == 0 {
                let now = DispatchTime.now().uptimeNanoseconds
                if deadline == 0 {
                    deadline = now &+ spinNanoseconds
                } else if now >= deadline {
                    return false
                }
            }
            sparrow_cpu_relax()
        }
        return true
    }

    /// Starts helper `index`; false if the thread could not be created.
    private func spawn(index: Int, seen: Int) -> Bool {
        let start = Unmanaged.passRetained(HelperStart { self.helperLoop(index: index, seen: seen) })
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let start = Unmanaged<HelperStart>.fromOpaque(context!).takeRetainedValue()
            start.body()
            return nil
        }, start.toOpaque())
        guard created == 0 else {
            start.release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

private final class HelperStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
