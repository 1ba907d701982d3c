import Dispatch

/// Splits the elementwise work of a layer (lowering, pooling, scatters) between `Matrix.threadCount`
/// threads. Each index range is handled by exactly one thread with the same operation order as a
/// single-threaded run, so results are bit-identical whatever the thread count.
enum Parallel {
    /// Below this many units of work (≈ multiply-adds) the dispatch costs more than it saves.
    static let minimumWork = 1 << 15

    /// Runs `body` over contiguous sub-ranges of 0..<count that together cover it exactly once.
    /// `workPerItem` estimates an item's cost to skip threading for small jobs.
    static func forEachRange(_ count: Int, workPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = min(Matrix.threadCount, count)
        if threads <= 1 || count * max(1, workPerItem) < minimumWork {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = count * t / threads, hi = count * (t + 1) / threads
                if lo < hi { shared.value(lo..<hi) }
            }
        }
    }
}

/// Carries a value the compiler cannot prove Sendable into a concurrentPerform whose iterations
/// touch disjoint memory.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
