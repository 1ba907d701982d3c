import Dispatch

extension SparseBenchmark {
    /// The sparse engine alone on one layer, for work on its kernels: with no dense call in between,
    /// back-to-back calls run warm, and best-of figures are stable to a few per cent on a machine
    /// whose medians move by tens of per cent from minute to minute.
    public struct EngineTiming: Sendable, Codable {
        public let layer: String
        public let batch: Int
        /// `warmCalls` calls back to back.
        public let warmBestMicros: Double
        public let warmMedianMicros: Double
        /// `coldCalls` calls, each after the cache sweep on the engine's workers (as in `run`).
        public let coldBestMicros: Double
        public let coldQuartileMicros: Double
        public let coldMedianMicros: Double
        /// At batch 1, when the engine scatters: the stored words (fillers included) of the columns
        /// of the non-zero inputs (the mean over the input variants), and the time of those words'
        /// y updates alone on this machine, split over the threads (`measureScatterNanoseconds`):
        /// what a kernel that updates y once per stored word spends before any decoding. Nil at
        /// batch > 1 and where batch 1 reads the rows instead.
        public let scatteredWords: Int?
        public let scatterBoundMicros: Double?

        enum CodingKeys: String, CodingKey {
            case layer, batch
            case warmBestMicros = "warm_best_us", warmMedianMicros = "warm_median_us"
            case coldBestMicros = "cold_best_us", coldQuartileMicros = "cold_q1_us", coldMedianMicros = "cold_median_us"
            case scatteredWords = "scattered_words", scatterBoundMicros = "scatter_bound_us"
        }
    }

    public static func timeEngine(layers: [Layer] = eieLayers, batches: [Int] = [1, 64],
                                  threads: Int = SparseLinearLayer.defaultThreads, kernels: SparseKernelSet = .detected,
                                  warmCalls: Int = 400, coldCalls: Int = 100,
                                  progress: (EngineTiming) -> Void = { _ in }) throws -> [EngineTiming] {
        var results: [EngineTiming] = []
        for spec in layers {
            let sparse = try SparseLinearLayer(try randomMatrix(spec), threads: threads, kernels: kernels)
            for batch in batches {
                let x = inputVariants(spec, batch: batch, seed: activationSeed(spec, batch: batch))
                let stride = batch * spec.inFeatures
                var y = [Float](repeating: 0, count: batch * spec.outFeatures)
                var warm: [Double] = [], cold: [Double] = []
                var scatteredWords: Int?
                x.withUnsafeBufferPointer { xp in
                    if batch == 1 {
                        let counts = (0..<inputVariants).compactMap { sparse.scatteredWordCount(xp.baseAddress! + $0 * stride) }
                        if counts.count == inputVariants { scatteredWords = counts.reduce(0, +) / inputVariants }
                    }
                    y.withUnsafeMutableBufferPointer { yp in
                        let (input, output) = (xp.baseAddress!, yp.baseAddress!)
                        var calls = 0
                        let call = {
                            sparse.apply(input + calls % inputVariants * stride, batch: batch, into: output)
                            calls += 1
                        }
                        call()
                        for _ in 0..<max(1, warmCalls) { warm.append(time(call)) }
                        for _ in 0..<max(1, coldCalls) {
                            precedeSparse(coldCaches: true, workers: sparse.threads)
                            cold.append(time(call))
                        }
                    }
                }
                warm.sort()
                cold.sort()
                let scatterBound = scatteredWords.map { words in
                    let perColumn = Double(sparse.storedWordCount) / Double(spec.inFeatures)
                    let nanoseconds = measureScatterNanoseconds(outFeatures: spec.outFeatures, wordsPerColumn: perColumn,
                                                                threads: sparse.threads)
                    return Double(words) * nanoseconds / Double(sparse.threads) / 1000
                }
                let r = EngineTiming(layer: spec.name, batch: batch, warmBestMicros: warm[0], warmMedianMicros: median(warm),
                                     coldBestMicros: cold[0], coldQuartileMicros: cold[cold.count / 4],
                                     coldMedianMicros: median(cold), scatteredWords: scatteredWords,
                                     scatterBoundMicros: scatterBound)
                progress(r)
                results.append(r)
            }
        }
        return results
    }
}
