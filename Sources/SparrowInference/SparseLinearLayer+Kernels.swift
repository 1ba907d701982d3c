import Dispatch

extension SparseLinearLayer {
    /// y[b·out + o] = Σ_i W[o][i]·x[b·in + i] for b in 0..<batch, computed on the packed form.
    /// Batch 1 visits only the columns whose activation is non-zero; larger batches run sparse × dense
    /// over blocks of up to 64 samples.
    public func apply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        guard batch > 0 else { return }
        if batch == 1 {
            applySingle(x, into: y)
        } else {
            applyBatched(x, batch: batch, into: y)
        }
    }

    /// Runs `body` once per slice: shared with helper threads when the work pays for the hand-off
    /// (a few microseconds), otherwise in turn on the calling thread. Slices write disjoint rows.
    func forEachSlice(work: Int, _ body: @escaping (Slice) -> Void) {
        if threads == 1 || work < minimumParallelWork {
            for s in slices { body(s) }
        } else {
            let slices = self.slices
            SliceRun.run(count: slices.count, helpers: threads - 1) { body(slices[$0]) }
        }
    }

    // MARK: batch 1: skip zero activations

    func applySingle(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let n = inFeatures
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { index in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { value in
                // Gather the non-zero activations once; every slice walks the same columns.
                var active = 0
                for i in 0..<n where x[i] != 0 {
                    index[active] = Int32(truncatingIfNeeded: i)
                    value[active] = x[i]
                    active += 1
                }
                let index = UnsafePointer(index.baseAddress!)
                let value = UnsafePointer(value.baseAddress!)
                let table = UnsafePointer(self.table)
                let (codeBits, wordBytes, stride) = (self.codeBits, self.wordBytes, self.slices.count)
                forEachSlice(work: storedWordCount / n * active) { s in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: s.localRows) { acc in
                        let acc = acc.baseAddress!
                        acc.initialize(repeating: 0, count: s.localRows)
                        if wordBytes == 1 {
                            Self.accumulateColumns(s, UInt8.self, codeBits: codeBits, table: table,
                                                   index: index, value: value, count: active, into: acc)
                        } else {
                            Self.accumulateColumns(s, UInt16.self, codeBits: codeBits, table: table,
                                                   index: index, value: value, count: active, into: acc)
                        }
                        for r in 0..<s.localRows { y[s.thread + r * stride] = acc[r] }
                    }
                }
            }
        }
    }

    /// The EIE inner loop: for each non-zero activation a_j, walk column j's words, advancing the row
    /// by gap + 1 and adding codebook[code]·a_j into the slice's accumulator.
    @inline(__always)
    static func accumulateColumns<W: FixedWidthInteger & UnsignedInteger>(
        _ s: Slice, _: W.Type, codeBits: Int, table: UnsafePointer<Float>,
        index: UnsafePointer<Int32>, value: UnsafePointer<Float>, count: Int, into acc: UnsafeMutablePointer<Float>
    ) {
        let words = UnsafePointer(s.words.assumingMemoryBound(to: W.self))
        let start = UnsafePointer(s.columnStart)
        let mask = W(truncatingIfNeeded: (1 << codeBits) - 1)
        let shift = W(truncatingIfNeeded: codeBits)
        let bytes = UnsafeRawPointer(s.words)
        var touched: UInt8 = 0
        for k in 0..<count {
            let j = Int(index[k])
            let a = value[k]
            var p = Int(start[j])
            let end = Int(start[j &+ 1])
            // Touch the column `lookahead` ahead so that its first cache line is already on its way:
            // columns are scattered, and one miss per column in series would dominate on a cold cache.
            if k &+ lookahead < count {
                touched &+= bytes.load(fromByteOffset: Int(start[Int(index[k &+ lookahead])]) &* MemoryLayout<W>.size,
                                       as: UInt8.self)
            }
            var r = -1
            while p < end {
                let w = words[p]
                r &+= Int(truncatingIfNeeded: w &>> shift) &+ 1
                acc[r] += table[Int(truncatingIfNeeded: w & mask)] * a
                p &+= 1
            }
        }
        // Keeps the touches alive; the value itself is meaningless (and never non-finite).
        acc[0] += Float(touched) * 0
    }

    /// How many non-zero activations ahead the batch-1 kernel touches its next columns.
    static var lookahead: Int { 4 }

    // MARK: batch > 1: sparse × dense

    /// acc[o..<o+16] += w · x[o..<o+16] (byte offset o).
    @inline(__always)
    static func axpy(_ w: SIMD16<Float>, _ x: UnsafeRawPointer, _ acc: UnsafeMutableRawPointer, _ o: Int) {
        let sum = acc.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            + w * x.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
        acc.storeBytes(of: sum, toByteOffset: o, as: SIMD16<Float>.self)
    }

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

        let table = UnsafePointer(self.table)
        let xTc = UnsafePointer(xT)
        let activeC = UnsafePointer(activeColumn)
        let (codeBits, wordBytes, stride, out) = (self.codeBits, self.wordBytes, self.slices.count, self.outFeatures)
        forEachSlice(work: storedWordCount * batch) { s in
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: max(1, s.localRows * lanes))
            defer { acc.deallocate() }
            for k in 0..<blocks {
                acc.initialize(repeating: 0, count: s.localRows * lanes)
                if wordBytes == 1 {
                    Self.accumulateBlock(s, UInt8.self, codeBits: codeBits, table: table, lanes: lanes,
                                         xT: xTc + k * n * lanes, columnStride: lanes, active: activeC + k * n,
                                         columns: n, into: acc)
                } else {
                    Self.accumulateBlock(s, UInt16.self, codeBits: codeBits, table: table, lanes: lanes,
                                         xT: xTc + k * n * lanes, columnStride: lanes, active: activeC + k * n,
                                         columns: n, into: acc)
                }
                for b in 0..<min(lanes, batch - k * lanes) {
                    let yb = y + (k * lanes + b) * out + s.thread
                    for r in 0..<s.localRows { yb[r * stride] = acc[r * lanes + b] }
                }
            }
        }
    }

    // MARK: samples as columns (convolutions)

    /// `LinearOperator.applyTransposed` without any transpose: a full block of `lanes` samples is read
    /// in place (column j of block k starts at xT[j·batch + k·lanes]); only a partial last block is
    /// copied into a zero-padded tile. Each accumulator row is copied straight into its row of yT.
    public func applyTransposed(_ xT: UnsafePointer<Float>, batch: Int, into yT: UnsafeMutablePointer<Float>) {
        guard batch > 0 else { return }
        if batch == 1 {
            applySingle(xT, into: yT)
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
        let table = UnsafePointer(self.table)
        let (tileC, activeC) = (UnsafePointer(tile), UnsafePointer(activeColumn))
        let (codeBits, wordBytes, stride) = (self.codeBits, self.wordBytes, self.slices.count)
        forEachSlice(work: storedWordCount * batch) { s in
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: max(1, s.localRows * lanes))
            defer { acc.deallocate() }
            for k in 0..<blocks {
                let samples = k == blocks - 1 ? tail : lanes
                let (base, columnStride) = samples == lanes ? (xT + k * lanes, batch) : (tileC, lanes)
                acc.initialize(repeating: 0, count: s.localRows * lanes)
                if wordBytes == 1 {
                    Self.accumulateBlock(s, UInt8.self, codeBits: codeBits, table: table, lanes: lanes, xT: base,
                                         columnStride: columnStride, active: activeC + k * n, columns: n, into: acc)
                } else {
                    Self.accumulateBlock(s, UInt16.self, codeBits: codeBits, table: table, lanes: lanes, xT: base,
                                         columnStride: columnStride, active: activeC + k * n, columns: n, into: acc)
                }
                for r in 0..<s.localRows {
                    (yT + (s.thread + r * stride) * batch + k * lanes).update(from: acc + r * lanes, count: samples)
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
        let blocks = (batch + lanes - 1) / lanes
        for k in 0..<blocks {
            let base = xT + k &* n &* lanes
            let samples = min(lanes, batch &- k &* lanes)
            let rows = x + k &* lanes &* n
            for i in 0..<n {
                let column = base + i &* lanes
                var bits: UInt32 = 0
                for b in 0..<samples {
                    let v = rows[b &* n &+ i]
                    column[b] = v
                    bits |= v.bitPattern << 1  // ±0 count as zero
                }
                for b in samples..<lanes { column[b] = 0 }
                active[k &* n &+ i] = bits != 0
            }
        }
    }

    /// Per stored word, one axpy of `lanes` floats: acc[row] += codebook[code]·xT[column], where
    /// column j's `lanes` samples start at xT + j·columnStride.
    @inline(__always)
    static func accumulateBlock<W: FixedWidthInteger & UnsignedInteger>(
        _ s: Slice, _: W.Type, codeBits: Int, table: UnsafePointer<Float>, lanes: Int,
        xT: UnsafePointer<Float>, columnStride: Int, active: UnsafePointer<Bool>, columns: Int,
        into acc: UnsafeMutablePointer<Float>
    ) {
        let words = UnsafePointer(s.words.assumingMemoryBound(to: W.self))
        let start = UnsafePointer(s.columnStart)
        let mask = W(truncatingIfNeeded: (1 << codeBits) - 1)
        let shift = W(truncatingIfNeeded: codeBits)
        let accRaw = UnsafeMutableRawPointer(acc)
        let vectors = lanes / 16
        for j in 0..<columns where active[j] {
            let xRaw = UnsafeRawPointer(xT + j &* columnStride)
            var p = Int(start[j])
            let end = Int(start[j &+ 1])
            var r = -1
            while p < end {
                let w = words[p]
                r &+= Int(truncatingIfNeeded: w &>> shift) &+ 1
                let weight = SIMD16<Float>(repeating: table[Int(truncatingIfNeeded: w & mask)])
                let rowRaw = accRaw + r &* lanes &* 4
                if vectors == 4 {
                    axpy(weight, xRaw, rowRaw, 0)
                    axpy(weight, xRaw, rowRaw, 64)
                    axpy(weight, xRaw, rowRaw, 128)
                    axpy(weight, xRaw, rowRaw, 192)
                } else {
                    for v in 0..<vectors { axpy(weight, xRaw, rowRaw, v &* 64) }
                }
                p &+= 1
            }
        }
    }
}

/// Carries a value the compiler cannot prove Sendable across a concurrentPerform whose iterations
/// touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
