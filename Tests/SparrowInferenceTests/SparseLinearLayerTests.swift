import Testing
import SparrowCompression
import SparrowInference

/// Dense reference: expand the entries into a dense matrix (test-only) and run the textbook loop.
private func denseReference(_ m: SparseMatrix, _ x: [Float], batch: Int) -> [Float] {
    var w = [Float](repeating: 0, count: m.outFeatures * m.inFeatures)
    for e in m.entries { w[Int(e.row) * m.inFeatures + Int(e.column)] = m.codebook[Int(e.code)] }
    var y = [Float](repeating: 0, count: batch * m.outFeatures)
    for b in 0..<batch {
        for o in 0..<m.outFeatures {
            var s: Float = 0
            for i in 0..<m.inFeatures { s += w[o * m.inFeatures + i] * x[b * m.inFeatures + i] }
            y[b * m.outFeatures + o] = s
        }
    }
    return y
}

/// Runs the packed layer, starting from garbage in y so that every output must be written.
private func run(_ layer: SparseLinearLayer, _ x: [Float], batch: Int) -> [Float] {
    var y = [Float](repeating: .nan, count: batch * layer.outFeatures)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in layer.apply(xp.baseAddress!, batch: batch, into: yp.baseAddress!) }
    }
    return y
}

private func activations(count: Int, density: Double, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        Double(rng.next() % 1000) / 1000 < density ? Float(rng.next() % 2000) / 1000 - 1 : 0
    }
}

private func expectClose(_ a: [Float], _ b: [Float], _ note: Comment? = nil) {
    #expect(a.count == b.count)
    var worst: Float = 0
    for (u, v) in zip(a, b) { worst = max(worst, abs(u - v) / max(1, abs(v))) }
    #expect(worst <= 1e-5, note)
}

struct SparseLinearLayerTests {
    @Test(arguments: [(1, 37), (37, 1), (1, 1), (5, 9), (64, 48), (301, 129)])
    func matchesDenseAcrossShapesDensitiesThreadsBatches(shape: (Int, Int)) throws {
        let (out, inp) = shape
        let codebook = SparseMatrix.sharedWeights(bits: 4)
        for (d, density) in [0.0, 0.04, 0.3, 1.0].enumerated() {
            let m = try SparseMatrix.random(outFeatures: out, inFeatures: inp, density: density,
                                            codebook: codebook, seed: UInt64(out * 1000 + inp * 10 + d))
            for threads in 1...4 {
                for kernels in SparseKernelSet.supported {
                    let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0, kernels: kernels)
                    // Batch 1 at 40 % non-zero inputs scatters the active columns; all non-zero, it
                    // reads the row-major copy.
                    for (batch, inputDensity) in [(1, 0.4), (1, 1.0), (3, 0.4), (17, 0.4), (64, 0.4), (130, 0.4)] {
                        let x = activations(count: batch * inp, density: inputDensity, seed: UInt64(batch))
                        expectClose(run(layer, x, batch: batch), denseReference(m, x, batch: batch),
                                    "\(out)×\(inp) density \(density) threads \(threads) batch \(batch) inputs \(inputDensity) \(kernels)")
                    }
                }
            }
        }
    }

    /// 0 · ±inf and 0 · NaN are NaN in dense arithmetic: a row whose weight on a non-finite input
    /// was pruned is NaN, as the exported dense model computes it, on every path (columns, rows,
    /// batched, threads).
    @Test func nonFiniteInputsGiveWhatDenseArithmeticGives() throws {
        let m = try SparseMatrix.random(outFeatures: 64, inFeatures: 48, density: 0.3,
                                        codebook: SparseMatrix.sharedWeights(bits: 4), seed: 77)
        for kernels in SparseKernelSet.supported {
            for threads in [1, 2] {
                let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0, kernels: kernels)
                for (batch, inputDensity) in [(1, 0.4), (1, 1.0), (3, 0.4), (17, 0.4), (64, 1.0)] {
                    var x = activations(count: batch * 48, density: inputDensity, seed: UInt64(batch) + 5)
                    // One special value per sample (the first three): ±inf leaves rows with a stored
                    // weight ±inf and the others NaN; NaN makes the whole sample NaN.
                    for (k, special) in [Float.infinity, -.infinity, .nan].enumerated() where k < batch {
                        x[k * 48 + (k * 7 + batch) % 48] = special
                    }
                    let got = run(layer, x, batch: batch), want = denseReference(m, x, batch: batch)
                    let note: Comment = "batch \(batch) inputs \(inputDensity) threads \(threads) \(kernels)"
                    #expect(got.map(\.isNaN) == want.map(\.isNaN), note)
                    #expect(got.map { $0.isInfinite ? $0.sign : nil } == want.map { $0.isInfinite ? $0.sign : nil }, note)
                    let finite = zip(got, want).filter { $0.1.isFinite }
                    expectClose(finite.map(\.0), finite.map(\.1), note)
                    #expect(want.contains(where: \.isNaN) && want.contains(where: \.isInfinite), note)
                }
            }
        }
    }

    /// Samples as columns: full 64-sample blocks are read in place, partial ones through a tile.
    @Test(arguments: [1, 2, 17, 64, 100, 128, 576])
    func applyTransposedMatchesDense(batch: Int) throws {
        let (out, inp) = (23, 75)
        let m = try SparseMatrix.random(outFeatures: out, inFeatures: inp, density: 0.3,
                                        codebook: SparseMatrix.sharedWeights(bits: 4), seed: UInt64(batch))
        let x = activations(count: batch * inp, density: 0.5, seed: UInt64(batch) + 7)
        var xT = [Float](repeating: 0, count: x.count)
        for b in 0..<batch { for i in 0..<inp { xT[i * batch + b] = x[b * inp + i] } }
        let expected = denseReference(m, x, batch: batch)
        for threads in [1, 2] { for kernels in SparseKernelSet.supported {
            let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0, kernels: kernels)
            var yT = [Float](repeating: .nan, count: batch * out)
            xT.withUnsafeBufferPointer { xp in
                yT.withUnsafeMutableBufferPointer { layer.applyTransposed(xp.baseAddress!, batch: batch, into: $0.baseAddress!) }
            }
            var y = [Float](repeating: 0, count: yT.count)
            for b in 0..<batch { for o in 0..<out { y[b * out + o] = yT[o * batch + b] } }
            expectClose(y, expected, "batch \(batch) threads \(threads) \(kernels)")
        } }
    }

    @Test func referenceLoopMatchesDense() throws {
        let m = try SparseMatrix.random(outFeatures: 23, inFeatures: 31, density: 0.2,
                                        codebook: SparseMatrix.sharedWeights(bits: 4), seed: 7)
        let x = activations(count: 4 * 31, density: 0.5, seed: 8)
        var y = [Float](repeating: .nan, count: 4 * 23)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { m.referenceApply(xp.baseAddress!, batch: 4, into: $0.baseAddress!) }
        }
        expectClose(y, denseReference(m, x, batch: 4))
    }

    @Test func emptyRowsAndColumnsAndZeroActivations() throws {
        // Rows 0, 2, 5 and columns 1, 3 hold nothing.
        let entries = [(1, 0, 3), (3, 0, 9), (4, 2, 1), (1, 4, 15), (3, 4, 2), (4, 4, 8)]
            .map { SparseMatrix.Entry(row: $0.0, column: $0.1, code: $0.2) }
        let m = try SparseMatrix(outFeatures: 6, inFeatures: 5, codebook: SparseMatrix.sharedWeights(bits: 4),
                                 entries: entries)
        for threads in 1...4 {
            let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0)
            for batch in [1, 20] {
                let x = activations(count: batch * 5, density: 0.7, seed: 3)
                expectClose(run(layer, x, batch: batch), denseReference(m, x, batch: batch))
                let zeros = [Float](repeating: 0, count: batch * 5)
                #expect(run(layer, zeros, batch: batch) == [Float](repeating: 0, count: batch * 6))
            }
        }
    }

    /// The row-major copy has its own gaps (between columns of a row) and so its own fillers.
    @Test func rowMajorCopyBridgesLongColumnGaps() throws {
        let entries = [(0, 0, 1), (0, 40, 2), (0, 299, 3), (2, 17, 4), (2, 18, 5), (2, 250, 6)]
            .map { SparseMatrix.Entry(row: $0.0, column: $0.1, code: $0.2) }
        let m = try SparseMatrix(outFeatures: 3, inFeatures: 300, codebook: SparseMatrix.sharedWeights(bits: 4),
                                 entries: entries)
        for threads in [1, 2] {
            let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0)
            #expect(layer.rowMajorBytes > 0)
            let x = activations(count: 300, density: 1, seed: 5)
            expectClose(run(layer, x, batch: 1), denseReference(m, x, batch: 1), "threads \(threads)")
        }
    }

    @Test func longGapsAreBridgedWithFillers() throws {
        // One byte holds a 4-bit code and a 4-bit gap, so a run of 999 zero rows needs 62 fillers;
        // the dense run in column 0 keeps the fillers under half the non-zeros, so bytes are kept.
        let entries = (stride(from: 0, to: 1000, by: 2).map { ($0, 0, 1 + $0 % 15) }
            + [(1999, 0, 7), (999, 1, 2), (1999, 1, 3)])
            .map { SparseMatrix.Entry(row: $0.0, column: $0.1, code: $0.2) }
        let m = try SparseMatrix(outFeatures: 2000, inFeatures: 2, codebook: SparseMatrix.sharedWeights(bits: 4),
                                 entries: entries)
        let layer = try SparseLinearLayer(m, threads: 1)
        #expect(layer.wordBytes == 1 && layer.codeBits == 4 && layer.gapBits == 4)
        #expect(layer.nonZeroCount == 503)
        #expect(layer.fillerCount == 3 * 62)
        let x: [Float] = [0.5, -2]
        expectClose(run(layer, x, batch: 1), denseReference(m, x, batch: 1))
        let xb = activations(count: 2 * 33, density: 0.8, seed: 5)
        expectClose(run(layer, xb, batch: 33), denseReference(m, xb, batch: 33))
    }

    @Test func manyFillersSwitchToSixteenBitWords() throws {
        // Three rows 100 apart: byte words would need 6 fillers per weight, 16-bit words none.
        let entries = [(0, 0, 1), (100, 0, 2), (200, 0, 3)].map { SparseMatrix.Entry(row: $0.0, column: $0.1, code: $0.2) }
        let m = try SparseMatrix(outFeatures: 300, inFeatures: 1, codebook: SparseMatrix.sharedWeights(bits: 4),
                                 entries: entries)
        let layer = try SparseLinearLayer(m, threads: 1)
        #expect(layer.wordBytes == 2 && layer.gapBits == 12 && layer.fillerCount == 0)
        expectClose(run(layer, [3], batch: 1), denseReference(m, [3], batch: 1))
    }

    @Test func wideCodebooksUseSixteenBitWords() throws {
        // 256 non-zero shared weights plus the filler's zero need 9 bits of code.
        let codebook = (0..<256).map { Float($0 + 1) / 256 }
        // Tall and very sparse, so every row slice (up to 6 with 3 threads) still has gaps past 7 bits.
        let m = try SparseMatrix.random(outFeatures: 7000, inFeatures: 40, density: 0.002, codebook: codebook, seed: 11)
        for threads in [1, 3] {
            let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0)
            #expect(layer.wordBytes == 2 && layer.codeBits == 9 && layer.gapBits == 7)
            #expect(layer.fillerCount > 0)
            for batch in [1, 5] {
                let x = activations(count: batch * 40, density: 0.5, seed: 2)
                expectClose(run(layer, x, batch: batch), denseReference(m, x, batch: batch))
            }
        }
    }

    @Test func zeroWeightEntriesAreDropped() throws {
        let codebook: [Float] = [0.25, 0, -1]
        let entries = [(0, 0, 1), (1, 0, 0), (2, 1, 2), (0, 1, 1)]
            .map { SparseMatrix.Entry(row: $0.0, column: $0.1, code: $0.2) }
        let m = try SparseMatrix(outFeatures: 3, inFeatures: 2, codebook: codebook, entries: entries)
        let layer = try SparseLinearLayer(m, threads: 2)
        #expect(layer.nonZeroCount == 2)
        #expect(run(layer, [2, 3], batch: 1) == [0, 0.5, -3])
    }

    /// Every codebook size from 2 to 64 entries: byte words with 1- to 6-bit codes (the 8-words-per-load
    /// path of the batch-1 kernel included), the per-column scaled table up to 4 bits, and 16-bit
    /// words once a sparse tall layer makes them smaller.
    @Test(arguments: 1...6)
    func everyCodeWidthMatchesDense(bits: Int) throws {
        let codebook = SparseMatrix.sharedWeights(bits: bits)
        for (out, density) in [(300, 0.5), (3000, 0.003)] {
            let m = try SparseMatrix.random(outFeatures: out, inFeatures: 50, density: density, codebook: codebook,
                                            seed: UInt64(bits * 100 + out))
            for threads in [1, 2, 4] { for kernels in SparseKernelSet.supported {
                let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0, kernels: kernels)
                #expect(layer.codeBits == bits)
                for batch in [1, 20] {
                    let x = activations(count: batch * 50, density: 0.6, seed: UInt64(bits + batch))
                    expectClose(run(layer, x, batch: batch), denseReference(m, x, batch: batch),
                                "\(bits) bits, \(out) rows, \(threads) threads, batch \(batch), \(layer.wordBytes)-byte words, \(kernels)")
                }
            } }
        }
    }

    /// Many callers at once on one layer: every apply shares the process's helper threads, which
    /// may still be finishing another caller's run when a new one is posted.
    @Test func concurrentAppliesShareHelpersCorrectly() async throws {
        let m = try SparseMatrix.random(outFeatures: 200, inFeatures: 300, density: 0.2,
                                        codebook: SparseMatrix.sharedWeights(bits: 4), seed: 31)
        let layer = try SparseLinearLayer(m, threads: 3, minimumParallelWork: 0)
        let failures = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<8 {
                group.addTask {
                    var failures = 0
                    for round in 0..<20 {
                        let batch = [1, 5, 64][(caller + round) % 3]
                        let x = activations(count: batch * 300, density: 0.5, seed: UInt64(caller * 100 + round))
                        let (y, expected) = (run(layer, x, batch: batch), denseReference(m, x, batch: batch))
                        let worst = zip(y, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
                        if !(worst <= 1e-5) { failures += 1 }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }

    @Test func invalidInputIsATypedError() throws {
        let cb = SparseMatrix.sharedWeights(bits: 2)
        #expect(throws: SparseEngineError.entryOutOfRange(row: 3, column: 0, outFeatures: 3, inFeatures: 2)) {
            try SparseMatrix(outFeatures: 3, inFeatures: 2, codebook: cb, entries: [.init(row: 3, column: 0, code: 1)])
        }
        #expect(throws: SparseEngineError.codeOutOfRange(code: 4, codebookCount: 4)) {
            try SparseMatrix(outFeatures: 3, inFeatures: 2, codebook: cb, entries: [.init(row: 0, column: 0, code: 4)])
        }
        #expect(throws: SparseEngineError.invalidShape(outFeatures: 0, inFeatures: 2)) {
            try SparseMatrix(outFeatures: 0, inFeatures: 2, codebook: cb, entries: [])
        }
        #expect(throws: SparseEngineError.emptyCodebook) {
            try SparseMatrix(outFeatures: 1, inFeatures: 1, codebook: [], entries: [])
        }
        let dup = try SparseMatrix(outFeatures: 5, inFeatures: 2, codebook: cb,
                                   entries: [.init(row: 4, column: 1, code: 1), .init(row: 4, column: 1, code: 2)])
        #expect(throws: SparseEngineError.duplicateEntry(row: 4, column: 1)) { try SparseLinearLayer(dup, threads: 3) }
        let ok = try SparseMatrix(outFeatures: 1, inFeatures: 1, codebook: cb, entries: [])
        #expect(throws: SparseEngineError.invalidThreadCount(0)) { try SparseLinearLayer(ok, threads: 0) }
        // A kernel set the CPU cannot run is refused (on this machine only if it lacks AVX2).
        for kernels in SparseKernelSet.allCases where !kernels.isSupported {
            #expect(throws: SparseEngineError.unsupportedKernels(kernels.rawValue)) {
                try SparseLinearLayer(ok, kernels: kernels)
            }
        }
        #expect(SparseEngineError.unsupportedKernels("avx2").description == "this CPU cannot run the avx2 kernels")
    }
}

extension SparseLinearLayerTests {
    /// Batch 1 splits columns over workers by claiming; the partial sums are still added in one fixed
    /// order, so repeated applies give bit-identical outputs however the work was shared.
    @Test func batchOneIsDeterministicAcrossRuns() throws {
        let m = try SparseMatrix.random(outFeatures: 500, inFeatures: 800, density: 0.08,
                                        codebook: SparseMatrix.sharedWeights(bits: 5), seed: 77)
        let layer = try SparseLinearLayer(m, threads: 4, minimumParallelWork: 0)
        let x = activations(count: 800, density: 1, seed: 78)
        let first = run(layer, x, batch: 1)
        for _ in 0..<200 { #expect(run(layer, x, batch: 1) == first) }
    }

    /// The scattered path (a third of the inputs non-zero; the AVX2 set's lookup loop: 4-bit codes
    /// in byte words at 9 % weights and in 16-bit words at 3 %, and 2-bit codes under 6-bit gaps in
    /// byte words) splits the active columns into shrinking chunks; its outputs too must match the
    /// dense loop and repeat bit for bit whichever worker ran which chunk.
    @Test(arguments: SparseKernelSet.supported, [(0.09, 1, 4), (0.03, 2, 4), (0.09, 1, 2)])
    func scatteredBatchOneIsDeterministicAndExact(
        kernels: SparseKernelSet, format: (density: Double, wordBytes: Int, codeBits: Int)
    ) throws {
        let codebook = format.codeBits == 4 ? SparseMatrix.sharedWeights(bits: 4) : [-0.5, 0.25, 0.75]
        let m = try SparseMatrix.random(outFeatures: 700, inFeatures: 900, density: format.density,
                                        codebook: codebook, seed: 79)
        let x = activations(count: 900, density: 0.35, seed: 80)
        for threads in 2...4 {
            let layer = try SparseLinearLayer(m, threads: threads, minimumParallelWork: 0, kernels: kernels)
            #expect(layer.wordBytes == format.wordBytes && layer.codeBits == format.codeBits)
            let first = run(layer, x, batch: 1)
            expectClose(first, denseReference(m, x, batch: 1), "threads \(threads) \(kernels) \(format)")
            for _ in 0..<100 { #expect(run(layer, x, batch: 1) == first) }
        }
    }

    /// 16-bit words with 14-bit gaps (a 2-bit code): four gaps of 16383 rows in one 64-bit load would
    /// overflow a 16-bit prefix-sum lane, so such words must be decoded one by one.
    @Test(arguments: SparseKernelSet.supported)
    func sixteenBitGapsAtTheirLimitDecodeExactly(kernels: SparseKernelSet) throws {
        let rows = [16383, 32767, 49151, 65535]
        var entries = rows.map { SparseMatrix.Entry(row: $0, column: 0, code: 1) }
        for c in 1..<8 { entries += (0..<3).map { SparseMatrix.Entry(row: 7 * c + $0, column: c, code: 2) } }
        let m = try SparseMatrix(outFeatures: 65536, inFeatures: 8, codebook: [0, 0.5, -0.25], entries: entries)
        let layer = try SparseLinearLayer(m, threads: 1, kernels: kernels)
        #expect(layer.wordBytes == 2 && layer.gapBits == 14)
        // Only column 0 active: its words are scattered (CSC); all active: rows gathered (CSR).
        for x in [[Float](repeating: 0, count: 8).enumerated().map { $0.offset == 0 ? 2 : 0 },
                  [Float](repeating: 1, count: 8)] {
            expectClose(run(layer, x, batch: 1), denseReference(m, x, batch: 1), "\(kernels) \(x)")
        }
    }

    /// The words a batch-1 apply scatters: every stored word of the active columns, fillers included,
    /// and none where the inputs are mostly non-zero (the rows are read instead).
    @Test func scatteredWordCountCountsTheActiveColumnsWords() throws {
        // Column 0: rows 0 and 40, a gap of 39 rows bridged by two fillers (4 words); columns 1–7: rows 5–7.
        var entries: [SparseMatrix.Entry] = [.init(row: 0, column: 0, code: 1), .init(row: 40, column: 0, code: 2)]
        for c in 1..<8 { entries += (5...7).map { SparseMatrix.Entry(row: $0, column: c, code: 3) } }
        let m = try SparseMatrix(outFeatures: 64, inFeatures: 8, codebook: SparseMatrix.sharedWeights(bits: 4),
                                 entries: entries)
        let layer = try SparseLinearLayer(m, threads: 1)
        #expect(layer.wordBytes == 1 && layer.fillerCount == 2 && layer.storedWordCount == 25)
        func count(_ active: [Int]) -> Int? {
            let x = (0..<8).map { active.contains($0) ? Float(1) : 0 }
            return x.withUnsafeBufferPointer { layer.scatteredWordCount($0.baseAddress!) }
        }
        #expect(count([]) == 0)
        #expect(count([0]) == 4)
        #expect(count([0, 3]) == 7)
        #expect(count(Array(0..<8)) == nil)
    }
}
