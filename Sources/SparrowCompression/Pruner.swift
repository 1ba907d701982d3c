import SparrowModel

/// How a layer's weights are pruned (Han et al., NIPS 2015).
public enum PruningRule: Sendable, Equatable {
    /// Keep no weights below this fraction of smallest magnitudes (0 ≤ s < 1).
    case sparsity(Double)
    /// Prune |w| < quality × std(weights).
    case thresholdStd(Double)
    /// Keep every non-zero weight.
    case none
}

/// The survivors of pruning: flat row-major positions (ascending) and their values. Exact zeros
/// never survive, so a pruned layer and its dense form agree exactly.
public struct PrunedLayer: Sendable, Equatable {
    public var shape: [Int]
    public var positions: [Int]
    public var values: [Float]

    public init(shape: [Int], positions: [Int], values: [Float]) {
        self.shape = shape
        self.positions = positions
        self.values = values
    }

    public var count: Int { Tensor.count(of: shape) }
    public var density: Double { count == 0 ? 0 : Double(positions.count) / Double(count) }

    /// The dense weights with pruned positions set to zero.
    public func dense() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for (p, v) in zip(positions, values) { out[p] = v }
        return out
    }

    /// true where a weight survived: what masked retraining keeps fixed at zero elsewhere.
    public func mask() -> [Bool] {
        var out = [Bool](repeating: false, count: count)
        for p in positions { out[p] = true }
        return out
    }
}

/// Magnitude pruning.
public enum Pruner {
    /// Prunes with an exact k-th magnitude found by a two-pass radix select over the float bit
    /// patterns (O(n), no copy of the weights). Ties at the threshold are pruned in index order, so
    /// `.sparsity(s)` prunes exactly round(s × n) weights (more only if more are exactly zero).
    public static func prune(_ weights: [Float], shape: [Int], rule: PruningRule) -> PrunedLayer {
        let n = weights.count
        var positions: [Int] = []
        var values: [Float] = []
        func keep(_ i: Int) { positions.append(i); values.append(weights[i]) }
        switch rule {
        case .none:
            for i in 0..<n where weights[i] != 0 { keep(i) }
        case .thresholdStd(let quality):
            let t = Float(quality * standardDeviation(weights))
            for i in 0..<n where weights[i] != 0 && abs(weights[i]) >= t { keep(i) }
        case .sparsity(let s):
            let pruneCount = min(n, max(0, Int((s * Double(n)).rounded())))
            if pruneCount == 0 {
                for i in 0..<n where weights[i] != 0 { keep(i) }
                break
            }
            let (threshold, below) = kthSmallestMagnitudeKey(weights, k: pruneCount - 1)
            var tiesToPrune = pruneCount - below
            positions.reserveCapacity(n - pruneCount)
            values.reserveCapacity(n - pruneCount)
            weights.withUnsafeBufferPointer { w in
                for i in 0..<n {
                    let key = w[i].bitPattern & 0x7FFF_FFFF
                    if key < threshold { continue }
                    if key == threshold && tiesToPrune > 0 { tiesToPrune -= 1; continue }
                    if key != 0 { positions.append(i); values.append(w[i]) }
                }
            }
        }
        return PrunedLayer(shape: shape, positions: positions, values: values)
    }

    /// The reference: sort every index by (|w|, index) and drop the first round(s × n).
    public static func pruneReference(_ weights: [Float], shape: [Int], sparsity s: Double) -> PrunedLayer {
        let n = weights.count
        let pruneCount = min(n, max(0, Int((s * Double(n)).rounded())))
        let order = weights.indices.sorted { (abs(weights[$0]), $0) < (abs(weights[$1]), $1) }
        let kept = order[pruneCount...].filter { weights[$0] != 0 }.sorted()
        return PrunedLayer(shape: shape, positions: kept, values: kept.map { weights[$0] })
    }

    /// Population standard deviation, accumulated in Double.
    public static func standardDeviation(_ weights: [Float]) -> Double {
        guard !weights.isEmpty else { return 0 }
        var sum = 0.0, sumSquares = 0.0
        for w in weights { let d = Double(w); sum += d; sumSquares += d * d }
        let mean = sum / Double(weights.count)
        return (max(0, sumSquares / Double(weights.count) - mean * mean)).squareRoot()
    }

    /// The k-th smallest (0-based) of |w| as a bit pattern: for finite non-negative floats the
    /// bit patterns order like the values. Radix select on the high, then the low 16 bits.
    static func kthSmallestMagnitudeKey(_ weights: [Float], k: Int) -> (key: UInt32, below: Int) {
        var histogram = [Int](repeating: 0, count: 1 << 16)
        var below = 0
        var rank = k
        var high = 0
        weights.withUnsafeBufferPointer { w in
            histogram.withUnsafeMutableBufferPointer { h in
                for x in w { h[Int((x.bitPattern & 0x7FFF_FFFF) >> 16)] += 1 }
                while rank >= h[high] { rank -= h[high]; below += h[high]; high += 1 }
                for i in h.indices { h[i] = 0 }
                let highKey = UInt32(high)
                for x in w {
                    let key = x.bitPattern & 0x7FFF_FFFF
                    if key >> 16 == highKey { h[Int(key & 0xFFFF)] += 1 }
                }
            }
        }
        var low = 0
        while rank >= histogram[low] { rank -= histogram[low]; below += histogram[low]; low += 1 }
        // `below` counts the magnitudes strictly smaller than the k-th.
        return (UInt32(high) << 16 | UInt32(low), below)
    }
}
