import COpenBLAS
import Dispatch
import FoundationEssentials
import Glibc
import SparrowCompression

/// EIE's benchmark (Han et al., ISCA 2016, Table III) on this machine: random layers at the paper's
/// weight and activation densities with 4-bit shared weights, timed as dense float32 BLAS
/// (cblas_sgemv / cblas_sgemm) and on the sparse engine in the same run, interleaved, medians of
/// `repeats` rounds; each round takes the next of the layer's input vectors (see inputVariants).
/// Every timed call starts from cold caches (a sweep over a buffer larger than the
/// last-level cache, as when a layer follows other layers). After a BLAS call the benchmark pauses
/// so that OpenBLAS's busy-waiting worker threads have gone to sleep, otherwise they take the cores
/// from the sparse engine's workers on a 2-core machine; the sparse call's own helpers are awake
/// (see precedeSparse) unless `idleHelpers`.
public enum SparseBenchmark {
    /// One row of Table III. Sizes are in × out as the paper lists them (Alex-6 is 9216 inputs —
    /// pool5's 256·6·6 — to 4096 outputs); the weight matrix is out × in. `paper…Micros` are the
    /// paper's Table IV CPU rows (Core i7-5930K, MKL, batch 1).
    public struct Layer: Sendable {
        public let name: String
        public let inFeatures: Int
        public let outFeatures: Int
        public let weightDensity: Double
        public let activationDensity: Double
        public let paperDenseMicros: Double
        public let paperSparseMicros: Double
    }

    public static let eieLayers: [Layer] = [
        Layer(name: "Alex-6", inFeatures: 9216, outFeatures: 4096, weightDensity: 0.09, activationDensity: 0.351,
              paperDenseMicros: 7516.2, paperSparseMicros: 3066.5),
        Layer(name: "Alex-7", inFeatures: 4096, outFeatures: 4096, weightDensity: 0.09, activationDensity: 0.353,
              paperDenseMicros: 6187.1, paperSparseMicros: 1282.1),
        Layer(name: "Alex-8", inFeatures: 4096, outFeatures: 1000, weightDensity: 0.25, activationDensity: 0.375,
              paperDenseMicros: 1134.9, paperSparseMicros: 890.5),
        Layer(name: "VGG-6", inFeatures: 25088, outFeatures: 4096, weightDensity: 0.04, activationDensity: 0.183,
              paperDenseMicros: 35022.8, paperSparseMicros: 3774.3),
        Layer(name: "VGG-7", inFeatures: 4096, outFeatures: 4096, weightDensity: 0.04, activationDensity: 0.375,
              paperDenseMicros: 5372.8, paperSparseMicros: 545.1),
        Layer(name: "VGG-8", inFeatures: 4096, outFeatures: 1000, weightDensity: 0.23, activationDensity: 0.411,
              paperDenseMicros: 774.2, paperSparseMicros: 777.3),
        Layer(name: "NT-We", inFeatures: 4096, outFeatures: 600, weightDensity: 0.10, activationDensity: 1.0,
              paperDenseMicros: 605.0, paperSparseMicros: 261.2),
        Layer(name: "NT-Wd", inFeatures: 600, outFeatures: 8791, weightDensity: 0.11, activationDensity: 1.0,
              paperDenseMicros: 1361.4, paperSparseMicros: 437.4),
        Layer(name: "NT-LSTM", inFeatures: 1201, outFeatures: 2400, weightDensity: 0.10, activationDensity: 1.0,
              paperDenseMicros: 470.5, paperSparseMicros: 260.0),
    ]

    public struct Result: Sendable, Codable {
        public let layer: String
        public let batch: Int
        public let inFeatures: Int
        public let outFeatures: Int
        public let weightDensity: Double
        public let activationDensity: Double
        /// Medians over the rounds.
        public let denseMicros: Double
        public let sparseMicros: Double
        /// The fastest round of each: on a shared machine the median carries the neighbours' noise,
        /// the best round shows what the code does when it has the cores to itself.
        public let denseBestMicros: Double
        public let sparseBestMicros: Double
        /// dense / sparse, the median of the per-round ratios.
        public let speedup: Double
        /// Bytes of the packed layer (words, column pointers, codebook).
        public let compressedBytes: Int
        public let fillerFraction: Double
        /// compressedBytes / measured streaming bandwidth.
        public let floorMicros: Double
        /// The median over rounds of sparse time / that round's floor, where the bandwidth is timed
        /// on a second cache sweep right before the sparse call: bandwidth and sparse time see the
        /// same state of the machine, as dense and sparse do in `speedup`. Nil where no sweep runs
        /// on the engine's workers (warm caches, parked helpers).
        public let perSameRoundFloor: Double?
        public let paperDenseMicros: Double?
        public let paperSparseMicros: Double?
        /// Largest |sparse − dense| / max|dense| seen, a sanity check that both compute the same.
        public let maxRelativeError: Double

        enum CodingKeys: String, CodingKey {
            case layer, batch
            case inFeatures = "in_features", outFeatures = "out_features"
            case weightDensity = "weight_density", activationDensity = "activation_density"
            case denseMicros = "dense_us", sparseMicros = "sparse_us", speedup
            case denseBestMicros = "dense_best_us", sparseBestMicros = "sparse_best_us"
            case compressedBytes = "compressed_bytes", fillerFraction = "filler_fraction"
            case floorMicros = "floor_us", perSameRoundFloor = "per_floor_same_round"
            case paperDenseMicros = "paper_dense_us", paperSparseMicros = "paper_sparse_us"
            case maxRelativeError = "max_relative_error"
        }
    }

    /// Times every layer at every batch size. `progress` sees each result as soon as it is measured.
    public static func run(layers: [Layer] = eieLayers, batches: [Int] = [1, 64], repeats: Int = 7,
                           threads: Int = SparseLinearLayer.defaultThreads, bandwidth: Double,
                           coldCaches: Bool = true, idleHelpers: Bool = false, kernels: SparseKernelSet = .detected,
                           progress: (Result) -> Void = { _ in }) throws -> [Result] {
        var results: [Result] = []
        for spec in layers {
            let matrix = try randomMatrix(spec)
            let sparse = try SparseLinearLayer(matrix, threads: threads, kernels: kernels)
            let dense = denseCopy(matrix)
            defer { dense.deallocate() }
            for batch in batches {
                let r = measure(spec, batch: batch, dense: dense, sparse: sparse, repeats: repeats,
                                bandwidth: bandwidth, coldCaches: coldCaches, idleHelpers: idleHelpers,
                                seed: activationSeed(spec, batch: batch))
                progress(r)
                results.append(r)
            }
        }
        return results
    }

    /// The layer's random weights: 4-bit shared weights at its weight density. Seeds follow the
    /// layer's row in Table III, so a layer gets the same weights and inputs whichever were selected.
    static func randomMatrix(_ spec: Layer) throws -> SparseMatrix {
        try SparseMatrix.random(outFeatures: spec.outFeatures, inFeatures: spec.inFeatures, density: spec.weightDensity,
                                codebook: SparseMatrix.sharedWeights(bits: 4), seed: 0xE1E_0000 + UInt64(tableRow(spec)))
    }

    static func activationSeed(_ spec: Layer, batch: Int) -> UInt64 { UInt64(tableRow(spec) * 1000 + batch) }

    static func tableRow(_ spec: Layer) -> Int { eieLayers.firstIndex { $0.name == spec.name } ?? eieLayers.count }

    /// Each layer's inputs: `inputVariants` activation vectors (same density, different seeds, the
    /// first on `seed`) back to back, `batch × inFeatures` floats each. Timed call k uses variant
    /// k mod inputVariants, so the branch predictor cannot learn one input's pattern of column
    /// lengths across calls, as it does over calls on one fixed vector (the engine alone then ran
    /// 2–4 % faster on Alex-7 and 3–10 % on VGG-7, cold, one thread).
    static func inputVariants(_ spec: Layer, batch: Int, seed: UInt64) -> [Float] {
        (0..<inputVariants).flatMap { randomActivations(spec, batch: batch, seed: seed &+ UInt64($0) &* 7919) }
    }

    static var inputVariants: Int { 8 }

    /// ReLU outputs: non-negative, zero with probability 1 − the layer's activation density.
    static func randomActivations(_ spec: Layer, batch: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        let threshold = UInt64(spec.activationDensity * 0x1p53)
        return (0..<(batch * spec.inFeatures)).map { _ in
            rng.next() >> 11 < threshold ? Float(rng.next() >> 40) / Float(1 << 24) : 0
        }
    }

    /// The benchmark's dense baseline only: the layer expanded to a row-major out × in float matrix.
    static func denseCopy(_ m: SparseMatrix) -> UnsafeMutablePointer<Float> {
        let w = UnsafeMutablePointer<Float>.allocate(capacity: m.outFeatures * m.inFeatures)
        w.initialize(repeating: 0, count: m.outFeatures * m.inFeatures)
        for e in m.entries { w[Int(e.row) * m.inFeatures + Int(e.column)] = m.codebook[Int(e.code)] }
        return w
    }

    static func measure(_ spec: Layer, batch: Int, dense w: UnsafeMutablePointer<Float>, sparse: SparseLinearLayer,
                        repeats: Int, bandwidth: Double, coldCaches: Bool, idleHelpers: Bool, seed: UInt64) -> Result {
        let (n, m) = (spec.inFeatures, spec.outFeatures)
        let x = inputVariants(spec, batch: batch, seed: seed)
        var yDense = [Float](repeating: 0, count: batch * m)
        var ySparse = [Float](repeating: 0, count: batch * m)
        var denseTimes: [Double] = []
        var sparseTimes: [Double] = []
        var ratios: [Double] = []
        var sameRoundFloorRatios: [Double] = []
        var worst = 0.0
        x.withUnsafeBufferPointer { xp in
            yDense.withUnsafeMutableBufferPointer { yd in
                ySparse.withUnsafeMutableBufferPointer { ys in
                    // One untimed round warms code paths and thread pools.
                    for round in 0...repeats {
                        let xb = xp.baseAddress! + round % inputVariants * batch * n
                        if coldCaches { evictCaches() }
                        let td = time { denseApply(w, out: m, in: n, x: xb, batch: batch, y: yd.baseAddress!) }
                        usleep(blasSpinMicros)
                        precedeSparse(coldCaches: coldCaches, workers: idleHelpers ? 1 : sparse.threads)
                        let roundBandwidth = coldCaches && !idleHelpers ? sweepBandwidth(workers: sparse.threads) : nil
                        let ts = time { sparse.apply(xb, batch: batch, into: ys.baseAddress!) }
                        if round > 0, let roundBandwidth {
                            sameRoundFloorRatios.append(ts / (Double(sparse.packedBytes) / roundBandwidth * 1e6))
                        }
                        guard round > 0 else { continue }
                        denseTimes.append(td)
                        sparseTimes.append(ts)
                        ratios.append(td / ts)
                    }
                    let scale = Double(yd.reduce(0) { max($0, abs($1)) })
                    for (a, b) in zip(yd, ys) { worst = max(worst, Double(abs(a - b)) / max(scale, 1e-30)) }
                }
            }
        }
        return Result(layer: spec.name, batch: batch, inFeatures: n, outFeatures: m,
                      weightDensity: spec.weightDensity, activationDensity: spec.activationDensity,
                      denseMicros: median(denseTimes), sparseMicros: median(sparseTimes),
                      denseBestMicros: denseTimes.min() ?? .nan, sparseBestMicros: sparseTimes.min() ?? .nan,
                      speedup: median(ratios),
                      compressedBytes: sparse.packedBytes,
                      fillerFraction: Double(sparse.fillerCount) / Double(max(1, sparse.storedWordCount)),
                      floorMicros: Double(sparse.packedBytes) / bandwidth * 1e6,
                      perSameRoundFloor: sameRoundFloorRatios.isEmpty ? nil : median(sameRoundFloorRatios),
                      paperDenseMicros: batch == 1 ? spec.paperDenseMicros : nil,
                      paperSparseMicros: batch == 1 ? spec.paperSparseMicros : nil,
                      maxRelativeError: worst)
    }

    /// y = x·Wᵀ with W out × in row-major: sgemv at batch 1, sgemm above.
    static func denseApply(_ w: UnsafePointer<Float>, out m: Int, in n: Int, x: UnsafePointer<Float>, batch: Int,
                           y: UnsafeMutablePointer<Float>) {
        if batch == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, w, Int32(n), x, 1, 0, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(m), Int32(n), 1,
                        x, Int32(n), w, Int32(n), 0, y, Int32(m))
        }
    }

    /// OpenBLAS reads how long its workers spin after a call (2^n cycles, default n = 28) from this
    /// variable, once, when the library loads.
    public static let blasSpinVariable = "OPENBLAS_THREAD_TIMEOUT"

    /// The pause after each BLAS call that lets its workers go to sleep before the sparse engine runs:
    /// 200 ms for the default 2^28 cycles. With the shortest spin (n = 4, which `sparrow bench-layers`
    /// sets) 2 ms are enough, and the cores stay awake: after a long idle this VM's vCPUs take longer
    /// to wake than a whole sparse layer takes to run, which no engine sees between layers.
    static var blasSpinMicros: UInt32 {
        guard let raw = getenv(blasSpinVariable), let n = Int(String(cString: raw)), n <= 20 else { return 200_000 }
        return 2_000 + UInt32(1 << max(4, n)) / 1_000  // 2^n cycles at ≥ 1 GHz, plus 2 ms
    }

    /// Two 64 MiB halves: the first is read through before each timed call so neither contender
    /// starts warm; the second is what `sweepBandwidth` times. Reading a half right after itself
    /// would find part of it still in the 32 MiB L3 and overstate the bandwidth.
    nonisolated(unsafe) static let sweep: UnsafeMutablePointer<Float> = {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 32 << 20)
        p.initialize(repeating: 1, count: 32 << 20)
        return p
    }()

    static func evictCaches() { sweepSlice(0, of: 1) }

    /// Reads slice `index` of `count` of the sweep buffer's first half (the second with `timed`).
    static func sweepSlice(_ index: Int, of count: Int, timedHalf: Bool = false) {
        let p = UnsafeMutableRawPointer(sweep) + (timedHalf ? 64 << 20 : 0)
        let bytes = (64 << 20) / count
        var acc = SIMD16<Float>()
        for o in stride(from: index * bytes, to: (index + 1) * bytes, by: 64) {
            acc += p.load(fromByteOffset: o, as: SIMD16<Float>.self)
        }
        // Written back so the sweep cannot be optimised away.
        p.storeBytes(of: acc.sum() * 0 + 1, toByteOffset: index * bytes, as: Float.self)
    }

    /// What runs just before a timed sparse call. By default it stands in for the earlier layers of
    /// the same inference: the sweep (or, with warm caches, a few microseconds of busy work per item)
    /// runs on the engine's own workers, so its helper threads are awake as they are between layers.
    /// With `workers` 1 (`--idle-helpers`) the helpers have parked, as for a request reaching an idle
    /// server; on this VM a parked helper then takes 40–170 µs to start.
    static func precedeSparse(coldCaches: Bool, workers: Int) {
        guard workers > 1 else {
            if coldCaches { evictCaches() }
            return
        }
        WorkRun.run(count: 64, helpers: workers - 1) { slice, _ in
            if coldCaches {
                sweepSlice(slice, of: 64)
            } else {
                let until = DispatchTime.now().uptimeNanoseconds + 5_000
                while DispatchTime.now().uptimeNanoseconds < until {}
            }
        }
    }

    /// Bytes per second of a sweep of the buffer's other half on `workers` workers, timed: the
    /// round's own bandwidth, from memory (the first half's sweep has just evicted it).
    static func sweepBandwidth(workers: Int) -> Double {
        let seconds = time {
            WorkRun.run(count: 64, helpers: workers - 1) { slice, _ in sweepSlice(slice, of: 64, timedHalf: true) }
        } / 1e6
        return Double(64 << 20) / seconds
    }

    /// Microseconds the closure takes.
    static func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
