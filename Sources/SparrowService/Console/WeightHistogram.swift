/// One compressed layer's weights before and after compression, binned on a common range, with
/// the layer's shared values (the k-means centroids): the data of Deep Compression's Figure 7
/// ("weight distribution before and after quantization") that the web console draws.
public struct WeightHistogram: Encodable, Sendable, Equatable {
    public var name: String
    public var min: Float
    public var max: Float
    /// Counts of the original weights per bin (all of them, pruned ones included).
    public var before: [Int]
    /// Counts of the weights that survived pruning, at their quantized values, per bin.
    public var after: [Int]
    /// The codebook: every value a kept weight can take.
    public var centroids: [Float]
    /// How many weights were pruned (zero after decoding), left out of `after`.
    public var pruned: Int

    /// Bins `original` and the nonzero entries of `decoded` into `bins` equal bins over the range
    /// of both. Non-finite values are not counted (they cannot be placed on an axis).
    public init(name: String, original: [Float], decoded: [Float], centroids: [Float], bins: Int) {
        let bins = Swift.max(1, bins)
        var lo = Float.infinity, hi = -Float.infinity
        for v in original where v.isFinite { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        for v in decoded where v.isFinite && v != 0 { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 0 }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let scale = Float(bins) / (hi - lo)
        func bin(_ v: Float) -> Int { Swift.min(bins - 1, Swift.max(0, Int((v - lo) * scale))) }
        var before = [Int](repeating: 0, count: bins), after = [Int](repeating: 0, count: bins)
        for v in original where v.isFinite { before[bin(v)] += 1 }
        var pruned = 0
        for v in decoded {
            if v == 0 { pruned += 1 } else if v.isFinite { after[bin(v)] += 1 }
        }
        self.name = name
        self.min = lo
        self.max = hi
        self.before = before
        self.after = after
        self.centroids = centroids
        self.pruned = pruned
    }
}
