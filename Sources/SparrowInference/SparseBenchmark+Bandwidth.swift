import Dispatch

extension SparseBenchmark {
    /// Streaming read bandwidth in bytes per second: `threads` workers each sum their share of a
    /// buffer far larger than the last-level cache; best of `repeats` passes.
    public static func measureReadBandwidth(megabytes: Int = 512, threads: Int = SparseLinearLayer.defaultThreads,
                                            repeats: Int = 5) -> Double {
        let count = max(1, megabytes) << 18  // floats
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for i in 0..<count { buffer[i] = Float(i & 1023) }
        let base = UncheckedSendable(UnsafePointer(buffer))
        let share = count / threads / 64 * 64
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0..<repeats {
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
            defer { sums.deallocate() }
            let out = UncheckedSendable(sums)
            let seconds = time {
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    let p = UnsafeRawPointer(base.value + t * share)
                    var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
                    for o in stride(from: 0, to: share * 4, by: 256) {
                        a += p.load(fromByteOffset: o, as: SIMD16<Float>.self)
                        b += p.load(fromByteOffset: o + 64, as: SIMD16<Float>.self)
                        c += p.load(fromByteOffset: o + 128, as: SIMD16<Float>.self)
                        d += p.load(fromByteOffset: o + 192, as: SIMD16<Float>.self)
                    }
                    out.value[t] = (a + b + c + d).sum()
                }
            } / 1e6
            for t in 0..<threads { sink += sums[t] }
            best = min(best, seconds)
        }
        // Keep the sums observable so the loads are not optimised away.
        if sink == -1 { print("") }
        return Double(share * threads * 4) / best
    }
}
