import SparrowKernels
import SparrowKernelsAVX2

extension SparseLinearLayer {
    // MARK: batch > 1: sparse × dense (each worker takes row blocks, as EIE's PEs take interleaved rows)

    /// A batched apply's work in the units of `minimumParallelWork`: one stored word's axpy over 16
    /// samples (one or two vector instructions) costs about what one word of the batch-1 scatter does.
    func batchedWork(batch: Int) -> Int { storedWordCount &* ((batch &+ 15) / 16) }

    /// Samples per block: the accumulator row of a block is `lanes` floats, a multiple of 16.
    static func lanes(forBatch batch: Int) -> Int { min(64, (batch + 15) / 16 * 16) }

    func applyBatched(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        let n = inFeatures
        let lanes = Self.lanes(forBatch: batch)
        let blocks = (batch + lanes - 1) / lanes
        // x transposed per block: column j of block k is `lanes` contiguous floats, zero-padded.
        let xT = UnsafeMutablePointer<Float>.allocate(capacity: blocks * n * lanes)
        defer { xT.deallocate() }
        let activeColumn = UnsafeMutablePointer<Bool>.allocate(capacity: blocks * n)
        defer { activeColumn.deallocate() }
        Self.transpose(x, batch: batch, features: n, lanes: lanes, into: xT, active: activeColumn)

        let xTc = UnsafePointer(xT)
        let activeC = UnsafePointer(activeColumn)
        let (stride, out) = (blockCount, outFeatures)
        forEachBlock(work: batchedWork(batch: batch), threads: threads) { s in
            let localRows = self.rows(ofBlock: s)
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: max(1, localRows * lanes))
            defer { acc.deallocate() }
            for k in 0..<blocks {
                acc.initialize(repeating: 0, count: localRows * lanes)
                self.accumulate(block: s, lanes: lanes, xT: xTc + k * n * lanes, columnStride: lanes,
                                active: activeC + k * n, into: acc)
                for b in 0..<min(lanes, batch - k * lanes) {
                    let yb = y + (k * lanes + b) * out + s
                    for r in 0..<localRows { yb[r * stride] = acc[r * lanes + b] }
                }
            }
        }
    }

    // MARK: samples as columns (convolutions)

    /// `LinearOperator.applyTransposed` without any transpose: a full block of `lanes` samples is read
    /// in place (column j of block k starts at xT[j·batch + k·lanes]); only a partial last block is
    /// copied into a zero-padded tile. Each accumulator row is copied straight into its row of yT.
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
        let blocks = (batch + lanes - 1) / lanes
        let tail = batch - (blocks - 1) * lanes  // samples in the last block, 1...lanes
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: tail < lanes ? n * lanes : 1)
        defer { tile.deallocate() }
        let activeColumn = UnsafeMutablePointer<Bool>.allocate(capacity: blocks * n)
        defer { activeColumn.deallocate() }
        for k in 0..<blocks {
            let samples = k == blocks - 1 ? tail : lanes
            for j in 0..<n {
                let column = xT + (j &* batch &+ k &* lanes)
                var bits: UInt32 = 0
                if samples == lanes {
                    for b in 0..<lanes { bits |= column[b].bitPattern << 1 }  // ±0 count as zero
                } else {
                    let padded = tile + j &* lanes
                    for b in 0..<samples {
                        padded[b] = column[b]
                        bits |= column[b].bitPattern << 1
                    }
                    for b in samples..<lanes { padded[b] = 0 }
                }
                activeColumn[k &* n &+ j] = bits != 0
            }
        }
        let (tileC, activeC) = (UnsafePointer(tile), UnsafePointer(activeColumn))
        let stride = blockCount
        forEachBlock(work: batchedWork(batch: batch), threads: threads) { s in
            let localRows = self.rows(ofBlock: s)
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: max(1, localRows * lanes))
            defer { acc.deallocate() }
            for k in 0..<blocks {
                let samples = k == blocks - 1 ? tail : lanes
                let (base, columnStride) = samples == lanes ? (xT + k * lanes, batch) : (tileC, lanes)
                acc.initialize(repeating: 0, count: localRows * lanes)
                self.accumulate(block: s, lanes: lanes, xT: base, columnStride: columnStride,
                                active: activeC + k * n, into: acc)
                for r in 0..<localRows {
                    (yT + (s + r * stride) * batch + k * lanes).update(from: acc + r * lanes, count: samples)
                }
            }
        }
    }

    /// Transpose of x (batch × features, row-major) into per-block column-major tiles, zero-padded
    /// past the batch; a column is active when any sample of the block has a non-zero there (found
    /// in the same pass). Each tile column is written contiguously while the reads walk `lanes` rows,
    /// whose cache lines stay in L1 across 16 consecutive features.
    static func transpose(_ x: UnsafePointer<Float>, batch: Int, features n: Int, lanes: Int,
                          into xT: UnsafeMutablePointer<Float>, active: UnsafeMutablePointer<Bool>) {
        let count = (batch + lanes - 1) / lanes
        for k in 0..<count {
            let base = xT + k &* n &* lanes
            let samples = min(lanes, batch &- k &* lanes)
            let rows = UnsafeRawPointer(x + k &* lanes &* n)
            // 16 features at a time: one vector load per sample, 16 scalar stores into 16 tile
            // columns that stay in L1, and the features' activity or-ed up as vectors.
            var i0 = 0
            while i0 &+ 16 <= n {
                var bits = SIMD16<UInt32>()
                for b in 0..<samples {
                    let v = rows.loadUnaligned(fromByteOffset: (b &* n &+ i0) &* 4, as: SIMD16<Float>.self)
                    bits |= unsafeBitCast(v, to: SIMD16<UInt32>.self) &<< 1  // ±0 count as zero
                    for t in 0..<16 { base[(i0 &+ t) &* lanes &+ b] = v[t] }
                }
                for t in 0..<16 {
                    for b in samples..<lanes { base[(i0 &+ t) &* lanes &+ b] = 0 }
                    active[k &* n &+ i0 &+ t] = bits[t] != 0
                }
                i0 &+= 16
            }
            let xs = x + k &* lanes &* n
            for i in i0..<n {
                let column = base + i &* lanes
                var bits: UInt32 = 0
                for b in 0..<samples {
                    let v = xs[b &* n &+ i]
                    column[b] = v
                    bits |= v.bitPattern << 1
                }
                for b in samples..<lanes { column[b] = 0 }
                active[k &* n &+ i] = bits != 0
            }
        }
    }

    func accumulate(block: Int, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int,
                    active: UnsafePointer<Bool>, into acc: UnsafeMutablePointer<Float>) {
        let kernel = kernels == .avx2 ? SparrowKernelsAVX2.SparseBlockKernel.accumulate
                                      : SparrowKernels.SparseBlockKernel.accumulate
        kernel(wordBytes, UnsafeRawPointer(words), UnsafePointer(start), block, blockCount, codeBits, UnsafePointer(table),
               lanes, xT, columnStride, active, inFeatures, acc)
    }
}
