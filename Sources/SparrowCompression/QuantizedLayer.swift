import SparrowModel

/// A pruned layer after weight sharing: every surviving weight is an index into a small codebook.
/// Codebook entry 0 is reserved for exact 0.0 (pruned weights and the fillers of the sparse
/// format), so k-means uses 2^bits − 1 clusters and survivors carry codes 1..<2^bits.
public struct QuantizedLayer: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var shape: [Int]
    public var bits: Int
    /// 2^bits shared weights; codebook[0] == 0. Training may fine-tune entries 1... and call `dense()`.
    public var codebook: [Float]
    /// Ascending flat row-major positions of the surviving weights.
    public var positions: [Int]
    /// Codebook index of each survivor, in 1..<2^bits.
    public var codes: [UInt8]

    public init(name: String, kind: LayerKind, shape: [Int], bits: Int, codebook: [Float], positions: [Int],
                codes: [UInt8]) {
        self.name = name
        self.kind = kind
        self.shape = shape
        self.bits = bits
        self.codebook = codebook
        self.positions = positions
        self.codes = codes
    }

    public var count: Int { Tensor.count(of: shape) }

    /// The shared weights materialised as a dense row-major array.
    public func dense() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for (p, c) in zip(positions, codes) { out[p] = codebook[Int(c)] }
        return out
    }

    /// The codebook index of every weight (0 where pruned): the per-weight cluster assignment.
    public func assignments() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for (p, c) in zip(positions, codes) { out[p] = c }
        return out
    }
}

/// Weight sharing by k-means over a layer's surviving weights.
public enum Quantizer {
    public static let bitRange = 1...8

    public static func quantize(_ pruned: PrunedLayer, name: String, kind: LayerKind, bits: Int,
                                initialization: CentroidInit = .linear, seed: UInt64 = 0,
                                tolerance: Double = 1e-7, maxIterations: Int = 300) -> QuantizedLayer {
        let bits = min(max(bits, bitRange.lowerBound), bitRange.upperBound)
        let kmeans = KMeans1D(clusters: (1 << bits) - 1, initialization: initialization,
                              maxIterations: maxIterations, tolerance: tolerance, seed: seed)
        let centroids = kmeans.fit(pruned.values)
        let mids = KMeans1D.midpoints(centroids)
        var codes = [UInt8](repeating: 0, count: pruned.values.count)
        mids.withUnsafeBufferPointer { m in
            pruned.values.withUnsafeBufferPointer { v in
                codes.withUnsafeMutableBufferPointer { out in
                    for i in v.indices { out[i] = UInt8(truncatingIfNeeded: 1 + KMeans1D.nearest(v[i], midpoints: m)) }
                }
            }
        }
        return QuantizedLayer(name: name, kind: kind, shape: pruned.shape, bits: bits, codebook: [0] + centroids,
                              positions: pruned.positions, codes: codes)
    }
}
