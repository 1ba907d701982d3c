extension SparseMatrix {
    /// The reference loop the fast kernels are tested against: y[b·out + o] = Σ_i W[o][i]·x[b·in + i],
    /// one entry at a time, straight from the neutral form.
    public func referenceApply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        y.update(repeating: 0, count: batch * outFeatures)
        for b in 0..<batch {
            for e in entries {
                y[b * outFeatures + Int(e.row)] += codebook[Int(e.code)] * x[b * inFeatures + Int(e.column)]
            }
        }
    }

    /// Number of entries whose shared weight is not zero.
    public var nonZeroCount: Int { entries.reduce(0) { $0 + (codebook[Int($1.code)] != 0 ? 1 : 0) } }
}
