/// How the k-means centroids start (Han et al. 2016, §3.2, compare linear, density and random).
public enum CentroidInit: String, Sendable, Codable, Equatable, CaseIterable {
    /// Evenly spaced between the smallest and largest weight (the paper's best).
    case linear
    /// Evenly spaced in the CDF of the weights (quantiles).
    case density
    /// Forgy: k distinct weights drawn at random.
    case random
    /// k-means++ (Arthur and Vassilvitskii 2007): each new centroid drawn ∝ squared distance.
    case kmeansPlusPlus = "kmeans++"
}

/// One-dimensional k-means. The values are sorted once; clusters are then contiguous ranges of the
/// sorted array bounded by the midpoints between neighbouring centroids, so one exact Lloyd
/// iteration is k binary searches plus k range means from prefix sums: O(k log n).
public struct KMeans1D: Sendable {
    public var clusters: Int
    public var initialization: CentroidInit
    public var maxIterations: Int
    /// Stop when no centroid moves by more than tolerance × (max − min).
    public var tolerance: Double
    public var seed: UInt64

    public init(clusters: Int, initialization: CentroidInit = .linear, maxIterations: Int = 300,
                tolerance: Double = 1e-7, seed: UInt64 = 0) {
        self.clusters = max(1, clusters)
        self.initialization = initialization
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.seed = seed
    }

    /// Sorted centroids for the values (`clusters` of them; duplicates possible when there are fewer
    /// distinct values than clusters). Empty input gives all-zero centroids.
    public func fit(_ values: [Float]) -> [Float] {
        guard !values.isEmpty else { return [Float](repeating: 0, count: clusters) }
        let sorted = KMeans1D.radixSorted(values)
        var prefix = [Double](repeating: 0, count: sorted.count + 1)
        for i in sorted.indices { prefix[i + 1] = prefix[i] + Double(sorted[i]) }
        var centroids = initialCentroids(sorted)
        let span = Double(sorted[sorted.count - 1]) - Double(sorted[0])
        var bounds = [Int](repeating: 0, count: clusters + 1)
        for _ in 0..<maxIterations {
            rangeBounds(sorted, centroids, into: &bounds)
            var moved = 0.0
            for j in 0..<clusters where bounds[j + 1] > bounds[j] {
                let mean = Float((prefix[bounds[j + 1]] - prefix[bounds[j]]) / Double(bounds[j + 1] - bounds[j]))
                moved = max(moved, abs(Double(mean) - Double(centroids[j])))
                centroids[j] = mean
            }
            centroids.sort()
            if moved <= tolerance * span { break }
        }
        return centroids
    }

    /// Floats in ascending order by an LSD radix sort (3 passes of 11 bits) over order-preserving
    /// keys: O(n), several times faster than a comparison sort on millions of weights.
    public static func radixSorted(_ values: [Float]) -> [Float] {
        let n = values.count
        guard n > 64 else { return values.sorted() }
        // Flip all bits of negatives, only the sign bit of positives: unsigned order = float order.
        var keys = values.map { v -> UInt32 in
            let b = v.bitPattern
            return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        }
        var scratch = [UInt32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 2048)
        for shift in [0, 11, 22] as [UInt32] {
            keys.withUnsafeBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { dst in
                    counts.withUnsafeMutableBufferPointer { c in
                        for i in c.indices { c[i] = 0 }
                        for k in src { c[Int((k >> shift) & 2047)] += 1 }
                        var total = 0
                        for i in c.indices { let x = c[i]; c[i] = total; total += x }
                        for k in src {
                            let d = Int((k >> shift) & 2047)
                            dst[c[d]] = k
                            c[d] += 1
                        }
                    }
                }
            }
            swap(&keys, &scratch)
        }
        return keys.map { k in Float(bitPattern: k & 0x8000_0000 != 0 ? k & 0x7FFF_FFFF : ~k) }
    }

    /// The reference: the same initialisation and stopping rule, but every iteration assigns each
    /// value to its nearest centroid by a linear scan and averages in a second pass: O(n k).
    public func fitReference(_ values: [Float]) -> [Float] {
        guard !values.isEmpty else { return [Float](repeating: 0, count: clusters) }
        let sorted = values.sorted()
        var centroids = initialCentroids(sorted)
        let span = Double(sorted[sorted.count - 1]) - Double(sorted[0])
        for _ in 0..<maxIterations {
            var sums = [Double](repeating: 0, count: clusters)
            var counts = [Int](repeating: 0, count: clusters)
            for v in sorted {
                let j = KMeans1D.nearestReference(v, centroids)
                sums[j] += Double(v)
                counts[j] += 1
            }
            var moved = 0.0
            for j in 0..<clusters where counts[j] > 0 {
                let mean = Float(sums[j] / Double(counts[j]))
                moved = max(moved, abs(Double(mean) - Double(centroids[j])))
                centroids[j] = mean
            }
            centroids.sort()
            if moved <= tolerance * span { break }
        }
        return centroids
    }

    /// Index of the centroid nearest to v in sorted centroids; a value exactly halfway goes to the
    /// higher one (the same rule as `rangeBounds`).
    @inline(__always)
    public static func nearest(_ v: Float, midpoints: [Float]) -> Int {
        midpoints.withUnsafeBufferPointer { nearest(v, midpoints: $0) }
    }

    @inline(__always)
    static func nearest(_ v: Float, midpoints m: UnsafeBufferPointer<Float>) -> Int {
        var lo = 0, hi = m.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if m[mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Midpoints between neighbouring sorted centroids, computed as `nearest` expects them.
    public static func midpoints(_ centroids: [Float]) -> [Float] {
        guard centroids.count > 1 else { return [] }
        return (0..<(centroids.count - 1)).map { Float((Double(centroids[$0]) + Double(centroids[$0 + 1])) / 2) }
    }

    static func nearestReference(_ v: Float, _ centroids: [Float]) -> Int {
        nearest(v, midpoints: midpoints(centroids))
    }

    /// bounds[j]..<bounds[j+1] is cluster j's range of the sorted values.
    private func rangeBounds(_ sorted: [Float], _ centroids: [Float], into bounds: inout [Int]) {
        let mids = KMeans1D.midpoints(centroids)
        bounds[0] = 0
        bounds[clusters] = sorted.count
        for j in 0..<mids.count {
            // First index whose value is ≥ the midpoint.
            var lo = bounds[j], hi = sorted.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if sorted[mid] < mids[j] { lo = mid + 1 } else { hi = mid }
            }
            bounds[j + 1] = lo
        }
    }

    func initialCentroids(_ sorted: [Float]) -> [Float] {
        let n = sorted.count, k = clusters
        let lo = Double(sorted[0]), hi = Double(sorted[n - 1])
        var rng = SplitMix64(seed: seed)
        switch initialization {
        case .linear:
            if k == 1 { return [Float((lo + hi) / 2)] }
            return (0..<k).map { Float(lo + (hi - lo) * Double($0) / Double(k - 1)) }
        case .density:
            return (0..<k).map { sorted[min(n - 1, Int((Double($0) + 0.5) / Double(k) * Double(n)))] }
        case .random:
            // Partial Fisher–Yates over indices: k distinct draws (with repeats only if n < k).
            var picks: [Float] = []
            var chosen: [Int: Int] = [:]
            for j in 0..<k {
                let slot = j % n
                if slot == 0 && j > 0 { chosen.removeAll() }
                let r = slot + Int(rng.next() % UInt64(n - slot))
                let a = chosen[r] ?? r
                chosen[r] = chosen[slot] ?? slot
                picks.append(sorted[a])
            }
            return picks.sorted()
        case .kmeansPlusPlus:
            var centers = [sorted[Int(rng.next() % UInt64(n))]]
            var d2 = sorted.map { Double($0 - centers[0]) * Double($0 - centers[0]) }
            while centers.count < k {
                let total = d2.reduce(0, +)
                var pick = n - 1
                if total > 0 {
                    var target = rng.nextUnit() * total
                    for i in 0..<n { target -= d2[i]; if target < 0 { pick = i; break } }
                } else {
                    pick = Int(rng.next() % UInt64(n))
                }
                let c = sorted[pick]
                centers.append(c)
                for i in 0..<n { d2[i] = min(d2[i], Double(sorted[i] - c) * Double(sorted[i] - c)) }
            }
            return centers.sorted()
        }
    }
}
