import CPrefetch
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

    /// Runs `body` once per row block: shared with helper threads when the work pays for the hand-off
    /// (a few microseconds), otherwise in turn on the calling thread. Blocks write disjoint rows.
    func forEachBlock(work: Int, _ body: @escaping (_ block: Int) -> Void) {
        if threads == 1 || work < minimumParallelWork {
            for b in 0..<blockCount { body(b) }
        } else {
            WorkRun.run(count: blockCount, helpers: threads - 1) { b, _ in body(b) }
        }
    }

    // MARK: batch 1: skip zero activations

    /// Threads split the active columns (each a sequential run of words) and accumulate into private
    /// full-length outputs that are summed at the end: on a cache-coherent CPU that costs one pass over
    /// `outFeatures` floats per extra thread, far less than each thread chasing its own scattered
    /// piece of every active column, which is what splitting rows (EIE's PEs) costs here.
    func applySingle(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let (n, m, blocks) = (inFeatures, outFeatures, blockCount)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { index in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { value in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: n + 1) { cumulative in
                    // Gather the non-zero activations with the running count of words to visit.
                    let (index, value, cumulative) = (index.baseAddress!, value.baseAddress!, cumulative.baseAddress!)
                    var active = 0
                    var total = 0
                    cumulative[0] = 0
                    for i in 0..<n where x[i] != 0 {
                        index[active] = Int32(truncatingIfNeeded: i)
                        value[active] = x[i]
                        total &+= Int(start[(i &+ 1) &* blocks]) &- Int(start[i &* blocks])
                        active &+= 1
                        cumulative[active] = total
                    }
                    y.initialize(repeating: 0, count: m)
                    let columns = ActiveColumns(index: index, value: value, count: active)
                    if active < 2 || threads == 1 || total < minimumParallelWork {
                        accumulate(columns, 0..<active, into: y)
                    } else {
                        accumulateInParallel(columns, cumulative: cumulative, total: total, into: y)
                    }
                }
            }
        }
    }

    struct ActiveColumns: @unchecked Sendable {
        let index: UnsafeMutablePointer<Int32>
        let value: UnsafeMutablePointer<Float>
        let count: Int
    }

    /// Chunks of active columns with about equal words, claimed by the workers; worker 0 (the caller)
    /// adds straight into y, the others into private outputs added to y at the end.
    func accumulateInParallel(_ columns: ActiveColumns, cumulative: UnsafeMutablePointer<Int>, total: Int,
                              into y: UnsafeMutablePointer<Float>) {
        let m = outFeatures
        let chunks = min(columns.count, 4 * threads)
        var bounds = [Int](repeating: 0, count: chunks + 1)
        var k = 0
        for c in 1...chunks {
            let target = total * c / chunks
            while k < columns.count && cumulative[k] < target { k += 1 }
            bounds[c] = c == chunks ? columns.count : k
        }
        let helpers = threads - 1
        let privateOutputs = UnsafeMutablePointer<Float>.allocate(capacity: helpers * m)
        defer { privateOutputs.deallocate() }
        let used = UnsafeMutablePointer<Bool>.allocate(capacity: threads)
        defer { used.deallocate() }
        used.initialize(repeating: false, count: threads)
        let shared = UncheckedSendable((y, privateOutputs, used, bounds))
        WorkRun.run(count: chunks, helpers: helpers) { c, worker in
            let (y, privateOutputs, used, bounds) = shared.value
            let out = worker == 0 ? y : privateOutputs + (worker - 1) * m
            if worker > 0 && !used[worker] {
                out.initialize(repeating: 0, count: m)
                used[worker] = true
            }
            self.accumulate(columns, bounds[c]..<bounds[c + 1], into: out)
        }
        for worker in 1..<threads where used[worker] {
            let out = privateOutputs + (worker - 1) * m
            for r in 0..<m { y[r] += out[r] }
        }
    }

    func accumulate(_ columns: ActiveColumns, _ range: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        if wordBytes == 1 {
            Self.accumulateColumns(UInt8.self, words: words, start: start, blocks: blockCount, codeBits: codeBits,
                                   table: table, columns: columns, range: range, into: y)
        } else {
            Self.accumulateColumns(UInt16.self, words: words, start: start, blocks: blockCount, codeBits: codeBits,
                                   table: table, columns: columns, range: range, into: y)
        }
    }

    /// Codebooks up to this many bits are pre-multiplied by each activation (at most 64 floats, four
    /// vector multiplies per column), so the inner loop is a lookup and an add.
    static var scaledTableBits: Int { 6 }

    /// The EIE inner loop: for each non-zero activation a_j, walk column j's words block by block,
    /// advancing the local row by gap + 1 and adding codebook[code]·a_j into output row
    /// local·blocks + block.
    @inline(__always)
    static func accumulateColumns<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, words raw: UnsafeMutableRawPointer, start: UnsafeMutablePointer<UInt32>, blocks: Int,
        codeBits: Int, table: UnsafeMutablePointer<Float>, columns: ActiveColumns, range: Range<Int>,
        into y: UnsafeMutablePointer<Float>
    ) {
        let bytes = UnsafeRawPointer(raw)
        let (index, value) = (columns.index, columns.value)
        let scaledVectors = codeBits <= scaledTableBits ? max(1, (1 << codeBits) / 16) : 0
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 4) { scaledBuffer in
            let scaledVector = scaledBuffer.baseAddress!
            let scaled = UnsafeMutableRawPointer(scaledVector).assumingMemoryBound(to: Float.self)
            let tableVector = UnsafeRawPointer(table)
            for k in range {
                let j = Int(index[k])
                let a = value[k]
                // Prefetch the column `lookahead` ahead: active columns are scattered, and one cold
                // miss per column in series would dominate. Its first lines are enough for the
                // hardware prefetcher to pick up the rest of the run.
                if k &+ lookahead < range.upperBound {
                    let ahead = Int(index[k &+ lookahead]) &* blocks
                    let from = bytes + Int(start[ahead]) &* MemoryLayout<W>.size
                    let to = bytes + Int(start[ahead &+ blocks]) &* MemoryLayout<W>.size
                    var line = from
                    while line < to && line < from + 256 {
                        sparrow_prefetch(line)
                        line += 64
                    }
                }
                if scaledVectors > 0 {
                    for v in 0..<scaledVectors {
                        scaledVector[v] = tableVector.loadUnaligned(fromByteOffset: v &* 64, as: SIMD16<Float>.self) * a
                    }
                    accumulateColumn(W.self, bytes, start: start, column: j, blocks: blocks, codeBits: codeBits,
                                     into: y) { scaled[$0] }
                } else {
                    accumulateColumn(W.self, bytes, start: start, column: j, blocks: blocks, codeBits: codeBits,
                                     into: y) { table[$0] * a }
                }
            }
        }
    }

    /// One column, block by block: y[local·blocks + block] += weight(code) for each stored word.
    /// Words are read eight (bytes) or four (16-bit) at a time through one 64-bit load.
    @inline(__always)
    static func accumulateColumn<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, _ bytes: UnsafeRawPointer, start: UnsafeMutablePointer<UInt32>, column j: Int, blocks: Int,
        codeBits: Int, into y: UnsafeMutablePointer<Float>, weight: (Int) -> Float
    ) {
        let words = bytes.assumingMemoryBound(to: W.self)
        let mask = W(truncatingIfNeeded: (1 << codeBits) - 1)
        let shift = W(truncatingIfNeeded: codeBits)
        let perLoad = 8 / MemoryLayout<W>.size
        var g = j &* blocks
        for b in 0..<blocks {
            var p = Int(start[g])
            let end = Int(start[g &+ 1])
            var r = -1
            let yb = y + b
            while p &+ perLoad <= end {
                var packed = bytes.loadUnaligned(fromByteOffset: p &* MemoryLayout<W>.size, as: UInt64.self)
                for _ in 0..<perLoad {
                    let w = W(truncatingIfNeeded: packed)
                    r &+= Int(truncatingIfNeeded: w &>> shift) &+ 1
                    yb[r &* blocks] += weight(Int(truncatingIfNeeded: w & mask))
                    packed &>>= UInt64(W.bitWidth)
                }
                p &+= perLoad
            }
            while p < end {
                let w = words[p]
                r &+= Int(truncatingIfNeeded: w &>> shift) &+ 1
                yb[r &* blocks] += weight(Int(truncatingIfNeeded: w & mask))
                p &+= 1
            }
            g &+= 1
        }
    }

    /// How many non-zero activations ahead the batch-1 kernel touches its next columns.
    static var lookahead: Int { 8 }

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

        let xTc = UnsafePointer(xT)
        let activeC = UnsafePointer(activeColumn)
        let (stride, out) = (blockCount, outFeatures)
        forEachBlock(work: storedWordCount * batch) { s in
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
        let (tileC, activeC) = (UnsafePointer(tile), UnsafePointer(activeColumn))
        let stride = blockCount
        forEachBlock(work: storedWordCount * batch) { s in
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

    func accumulate(block: Int, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int,
                    active: UnsafePointer<Bool>, into acc: UnsafeMutablePointer<Float>) {
        if wordBytes == 1 {
            Self.accumulateBlock(UInt8.self, words: words, start: start, block: block, blocks: blockCount,
                                 codeBits: codeBits, table: table, lanes: lanes, xT: xT, columnStride: columnStride,
                                 active: active, columns: inFeatures, into: acc)
        } else {
            Self.accumulateBlock(UInt16.self, words: words, start: start, block: block, blocks: blockCount,
                                 codeBits: codeBits, table: table, lanes: lanes, xT: xT, columnStride: columnStride,
                                 active: active, columns: inFeatures, into: acc)
        }
    }

    /// Per stored word of row block `block`, one axpy of `lanes` floats: acc[localRow] +=
    /// codebook[code]·xT[column], where column j's `lanes` samples start at xT + j·columnStride.
    @inline(__always)
    static func accumulateBlock<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, words raw: UnsafeMutableRawPointer, start: UnsafeMutablePointer<UInt32>, block: Int, blocks: Int,
        codeBits: Int, table: UnsafeMutablePointer<Float>, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int,
        active: UnsafePointer<Bool>, columns: Int, into acc: UnsafeMutablePointer<Float>
    ) {
        let words = UnsafePointer(raw.assumingMemoryBound(to: W.self))
        let mask = W(truncatingIfNeeded: (1 << codeBits) - 1)
        let shift = W(truncatingIfNeeded: codeBits)
        let accRaw = UnsafeMutableRawPointer(acc)
        let vectors = lanes / 16
        for j in 0..<columns where active[j] {
            let xRaw = UnsafeRawPointer(xT + j &* columnStride)
            let g = j &* blocks &+ block
            var p = Int(start[g])
            let end = Int(start[g &+ 1])
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
