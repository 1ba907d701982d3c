import Dispatch

extension SparseBenchmark {
    /// Nanoseconds one thread takes per y[row] += w while `threads` threads run at once: the output
    /// updates of the batch-1 scatter alone (a load, an add and a store per stored word, nothing
    /// decoded) into an output of `outFeatures` floats, the rows rising by the mean step of a layer
    /// with `wordsPerColumn` words per column. Eight updates per pass at rows computed from one base,
    /// so no update waits on another; the best of `repeats` runs of 64 Ki updates.
    ///
    /// Multiplied by the stored words of the visited columns and divided by the threads, it is the
    /// time of the y updates alone, which any kernel that updates y once per stored word must spend
    /// however it decodes (`EngineTiming.scatterBoundMicros`).
    public static func measureScatterNanoseconds(outFeatures m: Int, wordsPerColumn: Double, threads: Int,
                                                 repeats: Int = 30) -> Double {
        let updates = 1 << 16
        let step = max(1, Int((Double(m) / max(1, wordsPerColumn)).rounded()))
        let perThread = UnsafeMutablePointer<Double>.allocate(capacity: threads)
        defer { perThread.deallocate() }
        let shared = UncheckedSendable(perThread)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            // Room past the last row for the seven updates above a base just below `m`.
            let y = UnsafeMutablePointer<Float>.allocate(capacity: m + 8 * step)
            defer { y.deallocate() }
            y.initialize(repeating: 0, count: m + 8 * step)
            var best = Double.infinity
            for _ in 0..<repeats {
                best = min(best, time {
                    var base = 0
                    for _ in 0..<(updates / 8) {
                        let p = y + base
                        p[0] += 0.5; p[step] += 0.5; p[2 * step] += 0.5; p[3 * step] += 0.5
                        p[4 * step] += 0.5; p[5 * step] += 0.5; p[6 * step] += 0.5; p[7 * step] += 0.5
                        base += 8 * step
                        if base >= m { base -= m }
                    }
                })
            }
            // Reading y keeps the updates observable.
            shared.value[t] = best * 1000 / Double(updates) + (y[0] < 0 ? 1 : 0)
        }
        return (0..<threads).reduce(0) { $0 + perThread[$1] } / Double(threads)
    }
}
