import SparrowCompression

extension SparseMatrix {
    /// A seeded random layer for tests and benchmarks: each weight is non-zero with probability
    /// `density`, its code uniform over the non-zero entries of `codebook`.
    public static func random(outFeatures: Int, inFeatures: Int, density: Double, codebook: [Float],
                              seed: UInt64) throws(SparseEngineError) -> SparseMatrix {
        var rng = SplitMix64(seed: seed)
        let codes = codebook.indices.filter { codebook[$0] != 0 }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(Double(outFeatures) * Double(inFeatures) * min(1, max(0, density)) * 1.01))
        if !codes.isEmpty {
            let threshold = UInt64(min(1, max(0, density)) * 0x1p53)
            for c in 0..<inFeatures {
                for r in 0..<outFeatures where rng.next() >> 11 < threshold {
                    entries.append(Entry(row: r, column: c, code: codes[Int(rng.next() % UInt64(codes.count))]))
                }
            }
        }
        return try SparseMatrix(outFeatures: outFeatures, inFeatures: inFeatures, codebook: codebook,
                                entries: entries)
    }

    /// A 2^bits-entry codebook like Deep Compression's: entry 0 is the zero weight (pruned positions
    /// and fillers), the others are spread over ±`scale`, none of them zero.
    public static func sharedWeights(bits: Int, scale: Float = 0.1) -> [Float] {
        let n = 1 << bits
        return (0..<n).map { i in
            i == 0 ? 0 : scale * (Float(i) - Float(n) / 2 - 0.5) / (Float(n) / 2)
        }
    }
}
