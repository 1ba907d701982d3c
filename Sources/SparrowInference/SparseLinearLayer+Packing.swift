extension SparseLinearLayer {
    /// Packs a neutral-form matrix: drops zero weights, splits rows over `threads` interleaved slices,
    /// sorts each column by row, and picks the word width (8 or 16 bits) that stores the layer in the
    /// fewest bytes, counting the fillers each gap width needs. `minimumParallelWork` (stored words ×
    /// samples) is the size below which an apply does not hand work to other threads.
    public convenience init(_ matrix: SparseMatrix, threads: Int = SparseLinearLayer.defaultThreads,
                            minimumParallelWork: Int = 1 << 15) throws(SparseEngineError)
    {
        guard (1...64).contains(threads) else { throw .invalidThreadCount(threads) }
        var tableValues = matrix.codebook
        let fillerCode: Int
        if let zero = matrix.codebook.firstIndex(of: 0) {
            fillerCode = zero
        } else {
            fillerCode = tableValues.count
            tableValues.append(0)
        }
        let codeBits = max(1, Int.bitWidth - (tableValues.count - 1).leadingZeroBitCount)
        guard codeBits <= 15 else { throw .codebookTooLarge(count: matrix.codebook.count) }

        let buckets = try Self.bucketByThreadAndColumn(matrix, threads: threads)
        let format = Self.chooseFormat(buckets: buckets, codeBits: codeBits)

        let table = UnsafeMutablePointer<Float>.allocate(capacity: 1 << codeBits)
        table.initialize(repeating: 0, count: 1 << codeBits)
        for (i, v) in tableValues.enumerated() { table[i] = v }

        var slices: [Slice] = []
        var fillers = 0
        do {
            for t in 0..<threads {
                let (slice, sliceFillers) = try Self.packSlice(buckets, thread: t, rows: matrix.outFeatures,
                                                               codeBits: codeBits, gapBits: format.gapBits,
                                                               wordBytes: format.wordBytes, fillerCode: fillerCode)
                slices.append(slice)
                fillers += sliceFillers
            }
        } catch {
            table.deallocate()
            for s in slices { s.columnStart.deallocate(); s.words.deallocate() }
            throw error
        }
        self.init(outFeatures: matrix.outFeatures, inFeatures: matrix.inFeatures, threads: threads,
                  codeBits: codeBits, gapBits: format.gapBits, wordBytes: format.wordBytes,
                  nonZeroCount: buckets.keys.count, fillerCount: fillers,
                  minimumParallelWork: max(0, minimumParallelWork), table: table, slices: slices)
    }

    /// Non-zero entries grouped by (thread, column), each group sorted by local row. A key is
    /// localRow << 32 | code.
    struct Buckets {
        let threads: Int
        let columns: Int
        /// threads·columns + 1 offsets into `keys`; group (t, c) is start[t·columns + c] ..< next.
        let start: [Int]
        let keys: [UInt64]
    }

    static func bucketByThreadAndColumn(_ m: SparseMatrix, threads: Int) throws(SparseEngineError) -> Buckets {
        let n = m.inFeatures
        var start = [Int](repeating: 0, count: threads * n + 1)
        for e in m.entries where m.codebook[Int(e.code)] != 0 {
            start[(Int(e.row) % threads) * n + Int(e.column) + 1] += 1
        }
        for i in 0..<(threads * n) { start[i + 1] += start[i] }
        var cursor = start
        var keys = [UInt64](repeating: 0, count: start[threads * n])
        for e in m.entries where m.codebook[Int(e.code)] != 0 {
            let row = Int(e.row)
            let g = (row % threads) * n + Int(e.column)
            keys[cursor[g]] = UInt64(row / threads) << 32 | UInt64(e.code)
            cursor[g] += 1
        }
        for g in 0..<(threads * n) where start[g + 1] - start[g] > 1 {
            keys[start[g]..<start[g + 1]].sort()
            for i in (start[g] + 1)..<start[g + 1] where keys[i] >> 32 == keys[i - 1] >> 32 {
                throw .duplicateEntry(row: Int(keys[i] >> 32) * threads + g / n, column: g % n)
            }
        }
        return Buckets(threads: threads, columns: n, start: start, keys: keys)
    }

    /// Byte-wide words when the code leaves room for a gap field and that is smaller overall.
    static func chooseFormat(buckets: Buckets, codeBits: Int) -> (wordBytes: Int, gapBits: Int) {
        var candidates: [(wordBytes: Int, gapBits: Int)] = []
        if codeBits <= 7 { candidates.append((1, 8 - codeBits)) }
        candidates.append((2, 16 - codeBits))
        var best = candidates[0]
        var bestBytes = Int.max
        for c in candidates {
            let bytes = (buckets.keys.count + fillerCount(buckets, gapBits: c.gapBits)) * c.wordBytes
            if bytes < bestBytes { (best, bestBytes) = (c, bytes) }
        }
        return best
    }

    static func fillerCount(_ b: Buckets, gapBits: Int) -> Int {
        var fillers = 0
        for g in 0..<(b.threads * b.columns) {
            var previous = -1
            for i in b.start[g]..<b.start[g + 1] {
                let row = Int(b.keys[i] >> 32)
                fillers += (row - previous - 1) >> gapBits
                previous = row
            }
        }
        return fillers
    }

    static func packSlice(_ b: Buckets, thread t: Int, rows: Int, codeBits: Int, gapBits: Int, wordBytes: Int,
                          fillerCode: Int) throws(SparseEngineError) -> (Slice, fillers: Int) {
        let n = b.columns
        let localRows = (rows - t + b.threads - 1) / b.threads
        // Column offsets are 32-bit: count first, so an oversized layer is an error, not a wrap.
        var offsets = [Int](repeating: 0, count: n + 1)
        var fillers = 0
        for c in 0..<n {
            var previous = -1
            var words = 0
            for i in b.start[t * n + c]..<b.start[t * n + c + 1] {
                let row = Int(b.keys[i] >> 32)
                let f = (row - previous - 1) >> gapBits
                fillers += f
                words += 1 + f
                previous = row
            }
            offsets[c + 1] = offsets[c] + words
        }
        let total = offsets[n]
        guard total <= Int(UInt32.max) else { throw .layerTooLarge(words: total) }
        let columnStart = UnsafeMutablePointer<UInt32>.allocate(capacity: n + 1)
        for c in 0...n { columnStart[c] = UInt32(offsets[c]) }
        let words = UnsafeMutableRawPointer.allocate(byteCount: max(1, total * wordBytes), alignment: 64)
        let maxGap = (1 << gapBits) - 1
        var w = 0
        func emit(gap: Int, code: Int) {
            let word = gap << codeBits | code
            if wordBytes == 1 {
                words.storeBytes(of: UInt8(word), toByteOffset: w, as: UInt8.self)
            } else {
                words.storeBytes(of: UInt16(word), toByteOffset: 2 * w, as: UInt16.self)
            }
            w += 1
        }
        for c in 0..<n {
            var previous = -1
            for i in b.start[t * n + c]..<b.start[t * n + c + 1] {
                let row = Int(b.keys[i] >> 32)
                var gap = row - previous - 1
                while gap > maxGap {
                    emit(gap: maxGap, code: fillerCode)
                    gap -= maxGap + 1
                }
                emit(gap: gap, code: Int(b.keys[i] & 0xFFFF_FFFF))
                previous = row
            }
        }
        let slice = Slice(thread: t, localRows: localRows, columnStart: columnStart, words: words)
        return (slice, fillers)
    }
}
