import SparrowKernels
import SparrowKernelsAVX2

extension SparseLinearLayer {
    // MARK: batch > 1: sparse × dense over the row-major copy

    /// A batched apply's work in the units of `minimumParallelWork`: one stored word's axpy over 16
    /// samples (one or two vector instructions) costs about what one word of the batch-1 scatter does.
    func batchedWork(batch: Int) -> Int { storedWordCount &* ((batch &+ 15) / 16) }

    /// Samples per tile: a row's sums for a tile are `lanes` floats, a multiple of 16.
    static func lanes(forBatch batch: Int) -> Int { min(64, (batch + 15) / 16 * 16) }

    /// Sparse × dense over the row-major copy: x is transposed into tiles of `lanes` samples (column j
    /// of tile k is `lanes` contiguous floats, zero-padded), each row's sums for a tile are formed in
    /// registers (SparseRowKernel) into a chunk-local buffer, and transposed back into y.
    func applyBatched(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        let (n, m) = (inFeatures, outFeatures)
        let lanes = Self.lanes(forBatch: batch)
        let tiles = (batch + lanes - 1) / lanes
        let xT = UnsafeMutablePointer<Float>.allocate(capacity: tiles * n * lanes)
        defer { xT.deallocate() }
        Self.transpose(x, batch: batch, features: n, lanes: lanes, into: xT)
        let (inputs, outputs) = (UncheckedSendable(UnsafePointer(xT)), UncheckedSendable(y))
        forEachRowChunk(work: batchedWork(batch: batch), threads: threads) { rows in
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows.count * lanes))
            defer { sums.deallocate() }
            for k in 0..<tiles {
                self.accumulateRowMajor(lanes: lanes, xT: inputs.value + k * n * lanes, columnStride: lanes, rows: rows,
                                        into: sums - rows.lowerBound * lanes, rowStride: lanes, count: lanes)
                for b in 0..<min(lanes, batch - k * lanes) {
                    let yb = outputs.value + (k * lanes + b) * m
                    for o in rows { yb[o] = sums[(o - rows.lowerBound) * lanes + b] }
                }
            }
        }
    }

    // MARK: samples as columns (convolutions)

    /// `LinearOperator.applyTransposed` without any transpose, over the row-major copy: each output
    /// row's sums for a tile of `lanes` samples stay in registers while its words stream by, and are
    /// stored straight into that row of yT (SparseRowKernel). Full tiles are read in place (column j
    /// of tile k starts at xT[j·batch + k·lanes]); only a partial last tile is copied, zero-padded.
    /// Workers split the rows in chunks of about equal words.
    public func applyTransposed(_ xT: UnsafePointer<Float>, batch: Int, into yT: UnsafeMutablePointer<Float>) {
        applyTransposed(xT, batch: batch, into: yT, threads: threads)
    }

    public func applyTransposedOnCallingThread(_ xT: UnsafePointer<Float>, batch: Int,
                                               into yT: UnsafeMutablePointer<Float>) {
        applyTransposed(xT, batch: batch, into: yT, threads: 1)
    }

    func applyTransposed(_ xT: UnsafePointer<Float>, batch: Int, into yT: UnsafeMutablePointer<Float>, threads: Int) {
        guard batch > 0 else { return }
        if batch == 1 {
            applySingle(xT, into: yT, threads: threads)
            return
        }
        let n = inFeatures
        let lanes = Self.lanes(forBatch: batch)
        let tiles = (batch + lanes - 1) / lanes
        let tail = batch - (tiles - 1) * lanes  // samples in the last tile, 1...lanes
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: tail < lanes ? n * lanes : 1)
        defer { padded.deallocate() }
        if tail < lanes {
            for j in 0..<n {
                let column = xT + (j &* batch &+ (tiles - 1) &* lanes), copy = padded + j &* lanes
                copy.update(from: column, count: tail)
                (copy + tail).update(repeating: 0, count: lanes - tail)
            }
        }
        let (inputs, outputs) = (UncheckedSendable(xT), UncheckedSendable(yT))
        let paddedTile = UncheckedSendable(UnsafePointer(padded))
        forEachRowChunk(work: batchedWork(batch: batch), threads: threads) { rows in
            for k in 0..<tiles {
                let samples = k == tiles - 1 ? tail : lanes
                let (base, columnStride) = samples == lanes ? (inputs.value + k * lanes, batch) : (paddedTile.value, lanes)
                self.accumulateRowMajor(lanes: lanes, xT: base, columnStride: columnStride, rows: rows,
                                        into: outputs.value + k * lanes, rowStride: batch, count: samples)
            }
        }
    }

    /// SparseRowKernel.accumulate of the layer's kernel set over its row-major words.
    func accumulateRowMajor(lanes: Int, xT: UnsafePointer<Float>, columnStride: Int, rows: Range<Int>,
                            into out: UnsafeMutablePointer<Float>, rowStride: Int, count: Int) {
        let kernel = kernels == .avx2 ? SparrowKernelsAVX2.SparseRowKernel.accumulate
                                      : SparrowKernels.SparseRowKernel.accumulate
        kernel(rowMajor.wordBytes, rowMajor.words, rowMajor.start, codeBits, table, lanes, xT, columnStride, rows,
               out, rowStride, count)
    }

    /// Transpose of x (batch × features, row-major) into per-tile column-major tiles, zero-padded
    /// past the batch. Each tile column is written contiguously while the reads walk `lanes` rows,
    /// whose cache lines stay in L1 across 16 consecutive features.
    static func transpose(_ x: UnsafePointer<Float>, batch: Int, features n: Int, lanes: Int,
                          into xT: UnsafeMutablePointer<Float>) {
        let count = (batch + lanes - 1) / lanes
        for k in 0..<count {
            let base = xT + k &* n &* lanes
            let samples = min(lanes, batch &- k &* lanes)
            let rows = UnsafeRawPointer(x + k &* lanes &* n)
            // 16 features at a time: one vector load per sample, 16 scalar stores into 16 tile
            // columns that stay in L1.
            var i0 = 0
            while i0 &+ 16 <= n {
                for b in 0..<samples {
                    let v = rows.loadUnaligned(fromByteOffset: (b &* n &+ i0) &* 4, as: SIMD16<Float>.self)
                    for t in 0..<16 { base[(i0 &+ t) &* lanes &+ b] = v[t] }
                }
                for t in 0..<16 {
                    for b in samples..<lanes { base[(i0 &+ t) &* lanes &+ b] = 0 }
                }
                i0 &+= 16
            }
            let xs = x + k &* lanes &* n
            for i in i0..<n {
                let column = base + i &* lanes
                for b in 0..<samples { column[b] = xs[b &* n &+ i] }
                for b in samples..<lanes { column[b] = 0 }
            }
        }
    }
}
