import CCPU
import Dispatch

extension SparseLinearLayer {
    /// y[b·out + o] = Σ_i W[o][i]·x[b·in + i] for b in 0..<batch, computed on the packed form.
    /// Batch 1 visits only the columns whose activation is non-zero (or, when most are, reads the rows);
    /// larger batches run sparse × dense over tiles of up to 64 samples.
    public func apply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        guard batch > 0 else { return }
        if batch == 1 {
            applySingle(x, into: y, threads: threads)
        } else {
            applyBatched(x, batch: batch, into: y)
        }
    }

    // MARK: batch 1: skip zero activations

    /// Threads split the active columns (each a sequential run of words) and accumulate into private
    /// full-length outputs summed at the end (see accumulateInParallel): one pass over `outFeatures`
    /// floats per chunk, far less than each thread chasing its own scattered piece of every active
    /// column, which is what splitting rows (EIE's PEs) costs here.
    func applySingle(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let (n, m) = (inFeatures, outFeatures)
        // Gathering the activations takes microseconds; helpers woken now are spinning when the
        // columns are handed out.
        if threads > 1 && storedWordCount >= 2 * minimumParallelWork { WorkerPool.shared.wake() }
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
                        total &+= Int(start[i &+ 1]) &- Int(start[i])
                        active &+= 1
                        cumulative[active] = total
                    }
                    // Mostly non-zero inputs: reading every row (no zeros to skip, but no store per
                    // word either) costs less than scattering the active columns.
                    let rowWords = nonZeroCount &+ rowMajor.fillerCount
                    if Double(total) > Self.rowMajorCostRatio * Double(rowWords) {
                        applyRowMajor(x, into: y, threads: threads)
                        return
                    }
                    y.initialize(repeating: 0, count: m)
                    let columns = ActiveColumns(index: index, value: value, count: active)
                    if active < 2 || threads == 1 || total < minimumParallelWork {
                        accumulate(columns, 0..<active, into: y)
                    } else {
                        accumulateInParallel(columns, cumulative: cumulative, total: total, threads: threads, into: y)
                    }
                }
            }
        }
    }

    /// A row-major word costs about this fraction of a column-major one at batch 1 (a gather and an
    /// add into a register, against a load, an add and a store into y); see applyRowMajor.
    static var rowMajorCostRatio: Double { 0.5 }

    /// Batch 1 over the row-major copy (CSR): y[o] = Σ codebook[code]·x[column] along row o's words.
    /// Rows are split over the workers in chunks of about equal words; each chunk writes its own
    /// rows, so the result does not depend on the split.
    func applyRowMajor(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let shared = UncheckedSendable((x, y))
        forEachRowChunk(work: Int(rowMajor.start[outFeatures]), threads: threads) { rows in
            self.accumulateRows(shared.value.0, rows, into: shared.value.1)
        }
    }

    /// Runs `body` over the output rows, split into chunks of about equal row-major words that the
    /// workers claim when `work` pays for the hand-off; chunks write disjoint rows.
    func forEachRowChunk(work: Int, threads: Int, _ body: @escaping (Range<Int>) -> Void) {
        let m = outFeatures
        guard threads > 1 && work >= minimumParallelWork && m > 1 else {
            body(0..<m)
            return
        }
        let total = Int(rowMajor.start[m])
        let chunks = min(m, 4 * threads)
        var bounds = [Int](repeating: m, count: chunks + 1)
        bounds[0] = 0
        var r = 0
        for c in 1..<chunks {
            let target = total * c / chunks
            while r < m && Int(rowMajor.start[r]) < target { r += 1 }
            bounds[c] = r
        }
        WorkRun.run(count: chunks, helpers: threads - 1) { c, _ in body(bounds[c]..<bounds[c + 1]) }
    }

    func accumulateRows(_ x: UnsafePointer<Float>, _ rows: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        if rowMajor.wordBytes == 1 {
            Self.accumulateRows(decoder: WordDecoder<UInt8>(codeBits: codeBits, gapBits: rowMajor.gapBits),
                                words: rowMajor.words, start: rowMajor.start, table: table, x: x, rows: rows, into: y)
        } else {
            Self.accumulateRows(decoder: WordDecoder<UInt16>(codeBits: codeBits, gapBits: rowMajor.gapBits),
                                words: rowMajor.words, start: rowMajor.start, table: table, x: x, rows: rows, into: y)
        }
    }

    /// The CSR loop: per row, advance the column by gap + 1 and add codebook[code]·x[column] into one
    /// of four accumulators (the adds of one accumulator would otherwise wait on each other). Words
    /// are read eight (bytes) or four (16-bit) per 64-bit load.
    @inline(__always)
    static func accumulateRows<W: FixedWidthInteger & UnsignedInteger>(
        decoder: WordDecoder<W>, words bytes: UnsafeMutableRawPointer, start: UnsafeMutablePointer<UInt32>,
        table: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        let words = UnsafeRawPointer(bytes).assumingMemoryBound(to: W.self)
        let perLoad = WordDecoder<W>.perLoad
        decoder.withSummed { summed in
            for o in rows {
                var p = Int(start[o])
                let end = Int(start[o &+ 1])
                var column = -1
                var acc = SIMD4<Float>()
                while p &+ perLoad <= end {
                    let packed = UnsafeRawPointer(bytes).loadUnaligned(fromByteOffset: p &* MemoryLayout<W>.size,
                                                                       as: UInt64.self)
                    var u = 0
                    decoder.forEachWord(of: packed, summed: summed, position: &column) { c, code in
                        acc[u & 3] += table[code] * x[c]
                        u &+= 1
                    }
                    p &+= perLoad
                }
                var tail: Float = 0
                while p < end {
                    let code = decoder.decode(words[p], position: &column)
                    tail += table[code] * x[column]
                    p &+= 1
                }
                y[o] = (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
            }
        }
    }

    struct ActiveColumns: @unchecked Sendable {
        let index: UnsafeMutablePointer<Int32>
        let value: UnsafeMutablePointer<Float>
        let count: Int
    }

    /// Chunks of active columns with about equal words, claimed by the workers. Chunk 0 adds straight
    /// into y, every other chunk into an output of its own, and those are added to y in chunk order
    /// at the end: whichever worker ran which chunk, the sums happen in the same order, so a result
    /// is the same on every run.
    func accumulateInParallel(_ columns: ActiveColumns, cumulative: UnsafeMutablePointer<Int>, total: Int,
                              threads: Int, into y: UnsafeMutablePointer<Float>) {
        let m = outFeatures
        let chunks = min(columns.count, 4 * threads)
        var bounds = [Int](repeating: 0, count: chunks + 1)
        var k = 0
        for c in 1...chunks {
            let target = total * c / chunks
            while k < columns.count && cumulative[k] < target { k += 1 }
            bounds[c] = c == chunks ? columns.count : k
        }
        let chunkOutputs = UnsafeMutablePointer<Float>.allocate(capacity: (chunks - 1) * m)
        defer { chunkOutputs.deallocate() }
        let shared = UncheckedSendable((y, chunkOutputs, bounds))
        WorkRun.run(count: chunks, helpers: threads - 1) { c, _ in
            let (y, chunkOutputs, bounds) = shared.value
            let out = c == 0 ? y : chunkOutputs + (c - 1) * m
            if c > 0 { out.initialize(repeating: 0, count: m) }
            self.accumulate(columns, bounds[c]..<bounds[c + 1], into: out)
        }
        for c in 1..<chunks {
            let out = chunkOutputs + (c - 1) * m
            for r in 0..<m { y[r] += out[r] }
        }
    }

    func accumulate(_ columns: ActiveColumns, _ range: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        if wordBytes == 1 {
            Self.accumulateColumns(UInt8.self, words: words, start: start, codeBits: codeBits, gapBits: gapBits,
                                   table: table, columns: columns, range: range, into: y)
        } else {
            Self.accumulateColumns(UInt16.self, words: words, start: start, codeBits: codeBits, gapBits: gapBits,
                                   table: table, columns: columns, range: range, into: y)
        }
    }

    /// Codebooks up to this many bits are pre-multiplied by each activation (at most 64 floats, four
    /// vector multiplies per column), so the inner loop is a lookup and an add.
    static var scaledTableBits: Int { 6 }

    /// The EIE inner loop: for each non-zero activation a_j, walk column j's words, advancing the row
    /// by gap + 1 and adding codebook[code]·a_j into that output row.
    @inline(__always)
    static func accumulateColumns<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, words raw: UnsafeMutableRawPointer, start: UnsafeMutablePointer<UInt32>,
        codeBits: Int, gapBits: Int, table: UnsafeMutablePointer<Float>, columns: ActiveColumns, range: Range<Int>,
        into y: UnsafeMutablePointer<Float>
    ) {
        let bytes = UnsafeRawPointer(raw)
        let decoder = WordDecoder<W>(codeBits: codeBits, gapBits: gapBits)
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
                // miss per column in series would dominate. Up to 1 KiB of it (whole AlexNet/VGG
                // columns; the hardware prefetcher picks up longer runs): measured ahead of 256 B
                // on 10 of 12 cold-cache layer runs.
                if k &+ lookahead < range.upperBound {
                    let ahead = Int(index[k &+ lookahead])
                    let from = bytes + Int(start[ahead]) &* MemoryLayout<W>.size
                    let to = bytes + Int(start[ahead &+ 1]) &* MemoryLayout<W>.size
                    var line = from
                    while line < to && line < from + 1024 {
                        sparrow_prefetch(line)
                        line += 64
                    }
                }
                if scaledVectors > 0 {
                    for v in 0..<scaledVectors {
                        scaledVector[v] = tableVector.loadUnaligned(fromByteOffset: v &* 64, as: SIMD16<Float>.self) * a
                    }
                    accumulateColumn(W.self, bytes, start: start, column: j, decoder: decoder,
                                     into: y) { scaled[$0] }
                } else {
                    accumulateColumn(W.self, bytes, start: start, column: j, decoder: decoder,
                                     into: y) { table[$0] * a }
                }
            }
        }
    }

    /// One column: y[row] += weight(code) for each stored word. Words are read eight (bytes) or four
    /// (16-bit) at a time through one 64-bit load.
    @inline(__always)
    static func accumulateColumn<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, _ bytes: UnsafeRawPointer, start: UnsafeMutablePointer<UInt32>, column j: Int,
        decoder: WordDecoder<W>, into y: UnsafeMutablePointer<Float>, weight: (Int) -> Float
    ) {
        let words = bytes.assumingMemoryBound(to: W.self)
        let perLoad = WordDecoder<W>.perLoad
        var p = Int(start[j])
        let end = Int(start[j &+ 1])
        var r = -1
        decoder.withSummed { summed in
            while p &+ perLoad <= end {
                let packed = bytes.loadUnaligned(fromByteOffset: p &* MemoryLayout<W>.size, as: UInt64.self)
                decoder.forEachWord(of: packed, summed: summed, position: &r) { row, code in y[row] += weight(code) }
                p &+= perLoad
            }
        }
        while p < end {
            let code = decoder.decode(words[p], position: &r)
            y[r] += weight(code)
            p &+= 1
        }
    }

    /// How many non-zero activations ahead the batch-1 kernel touches its next columns.
    static var lookahead: Int { 8 }
}

/// Carries a value the compiler cannot prove Sendable across a concurrentPerform whose iterations
/// touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
