import Dispatch
import FoundationEssentials
import Glibc
import SparrowCompression

extension SparseBenchmark {
    /// Nanoseconds one thread takes per y[row] += w while `threads` threads run at once: the output
    /// updates of the batch-1 scatter alone (a load, an add and a store per stored word, nothing
    /// decoded) into an output of `outFeatures` floats, with rows rising through each column as a
    /// layer's `wordsPerColumn` words do. The best of `repeats` passes over 64 Ki updates whose rows
    /// stay in cache, as a kernel's words stream in.
    ///
    /// Multiplied by the stored words of the visited columns and divided by the threads, it is the
    /// least time any kernel that updates y once per stored word can take, however it decodes
    /// (`EngineTiming.scatterBoundMicros`).
    public static func measureScatterNanoseconds(outFeatures m: Int, wordsPerColumn: Double, threads: Int,
                                                 repeats: Int = 30) -> Double {
        let updates = 1 << 16
        let rows = UnsafeMutablePointer<UInt32>.allocate(capacity: updates)
        defer { rows.deallocate() }
        var rng = SplitMix64(seed: 5)
        // Steps of 1 + a geometric skip, mean m / wordsPerColumn; past the last row a new column starts.
        let meanStep = max(1, Double(m) / max(1, wordsPerColumn))
        var row = -1
        for i in 0..<updates {
            let skip = meanStep <= 1 ? 0 : Int(log(1 - rng.nextUnit()) / log(1 - 1 / meanStep))
            row += 1 + skip
            if row >= m { row = min(skip, m - 1) }
            rows[i] = UInt32(row)
        }
        let perThread = UnsafeMutablePointer<Double>.allocate(capacity: threads)
        defer { perThread.deallocate() }
        let shared = UncheckedSendable((UnsafePointer(rows), perThread))
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let (rows, perThread) = shared.value
            let y = UnsafeMutablePointer<Float>.allocate(capacity: m)
            defer { y.deallocate() }
            y.initialize(repeating: 0, count: m)
            var best = Double.infinity
            for _ in 0..<repeats {
                best = min(best, time { for i in 0..<updates { y[Int(rows[i])] += 0.5 } })
            }
            // Reading y keeps the updates observable.
            perThread[t] = best * 1000 / Double(updates) + (y[Int(rows[0])] < 0 ? 1 : 0)
        }
        return (0..<threads).reduce(0) { $0 + perThread[$1] } / Double(threads)
    }
}

extension SparseLinearLayer {
    /// Stored words (fillers included) in the columns of the non-zero inputs: what a batch-1 apply
    /// scatters, or nil where it reads the rows instead (mostly non-zero inputs; see applySingle).
    public func scatteredWordCount(_ x: UnsafePointer<Float>) -> Int? {
        var total = 0
        for i in 0..<inFeatures where x[i] != 0 { total += Int(start[i + 1]) - Int(start[i]) }
        return readsRows(scatteredWords: total) ? nil : total
    }
}
