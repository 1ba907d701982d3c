#if canImport(Glibc)
import Glibc
#endif

extension SparseLinearLayer {
    /// Packs a neutral-form matrix: drops zero weights, sorts each column by row, and picks the word
    /// width (8 or 16 bits; see `chooseFormat`); then packs the same weights row by row (CSR).
    /// `minimumParallelWork` is the size below which an apply does not hand work to other threads
    /// (stored words at batch 1, words × 16-sample groups batched): at about a nanosecond per unit,
    /// 16K units outweigh handing work to a helper and moving the data between cores.
    public convenience init(_ matrix: SparseMatrix, threads: Int = SparseLinearLayer.defaultThreads,
                            minimumParallelWork: Int = 1 << 14,
                            kernels: SparseKernelSet = .detected) throws(SparseEngineError)
    {
        guard (1...64).contains(threads) else { throw .invalidThreadCount(threads) }
        guard kernels.isSupported else { throw .unsupportedKernels(kernels.rawValue) }
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

        let (columnMajor, nonZeroCount) = try Self.packWords(matrix, byRow: false, codeBits: codeBits,
                                                             fillerCode: fillerCode)
        let (rowMajor, _) = try Self.packWords(matrix, byRow: true, codeBits: codeBits, fillerCode: fillerCode)

        // At least 16 entries, zero-padded: kernels load the table 16 floats at a time.
        let table = UnsafeMutablePointer<Float>.allocate(capacity: max(16, 1 << codeBits))
        table.initialize(repeating: 0, count: max(16, 1 << codeBits))
        for (i, v) in tableValues.enumerated() { table[i] = v }
        self.init(outFeatures: matrix.outFeatures, inFeatures: matrix.inFeatures, threads: threads,
                  codeBits: codeBits, gapBits: columnMajor.gapBits, wordBytes: columnMajor.wordBytes,
                  nonZeroCount: nonZeroCount, fillerCount: columnMajor.fillerCount,
                  minimumParallelWork: max(0, minimumParallelWork), kernels: kernels,
                  table: table, start: columnMajor.start, words: columnMajor.words, rowMajor: rowMajor)
    }

    /// The non-zero weights grouped by column (or, `byRow`, by row), in the word width that suits
    /// them (`chooseFormat`), with how many there are.
    static func packWords(_ matrix: SparseMatrix, byRow: Bool, codeBits: Int, fillerCode: Int)
        throws(SparseEngineError) -> (words: PackedWords, nonZeroCount: Int)
    {
        let buckets = try bucket(matrix, byRow: byRow)
        let format = chooseFormat(buckets: buckets, codeBits: codeBits)
        let packed = try pack(buckets, codeBits: codeBits, gapBits: format.gapBits, wordBytes: format.wordBytes,
                              fillerCode: fillerCode)
        return (PackedWords(start: packed.start, words: packed.words, wordBytes: format.wordBytes,
                            gapBits: format.gapBits, fillerCount: packed.fillers), buckets.keys.count)
    }

    /// Non-zero entries grouped by column, each group sorted by row; or, `byRow`, grouped by row and
    /// sorted by column. A key is minor << 32 | code, where minor is the row (or the column).
    struct Buckets {
        /// groups + 1 offsets into `keys`: group g is start[g] ..< start[g + 1].
        let start: [Int]
        let keys: [UInt64]
        var groups: Int { start.count - 1 }
    }

    static func bucket(_ m: SparseMatrix, byRow: Bool) throws(SparseEngineError) -> Buckets {
        let groups = byRow ? m.outFeatures : m.inFeatures
        // (group, minor) of an entry, and back to (row, column) for the duplicate error.
        func place(_ e: SparseMatrix.Entry) -> (group: Int, minor: Int) {
            byRow ? (Int(e.row), Int(e.column)) : (Int(e.column), Int(e.row))
        }
        func position(group g: Int, minor: Int) -> (row: Int, column: Int) { byRow ? (g, minor) : (minor, g) }
        var start = [Int](repeating: 0, count: groups + 1)
        for e in m.entries where m.codebook[Int(e.code)] != 0 { start[place(e).group + 1] += 1 }
        for g in 0..<groups { start[g + 1] += start[g] }
        var cursor = start
        var keys = [UInt64](repeating: 0, count: start[groups])
        for e in m.entries where m.codebook[Int(e.code)] != 0 {
            let (g, minor) = place(e)
            keys[cursor[g]] = UInt64(minor) << 32 | UInt64(e.code)
            cursor[g] += 1
        }
        for g in 0..<groups where start[g + 1] - start[g] > 1 {
            keys[start[g]..<start[g + 1]].sort()
            for i in (start[g] + 1)..<start[g + 1] where keys[i] >> 32 == keys[i - 1] >> 32 {
                let (row, column) = position(group: g, minor: Int(keys[i] >> 32))
                throw .duplicateEntry(row: row, column: column)
            }
        }
        return Buckets(start: start, keys: keys)
    }

    /// Byte-wide words (EIE's tight packing) when the code leaves room for a gap field, unless their
    /// fillers would exceed half the non-zero weights: every word costs the same decode work, so past
    /// that the 16-bit words' fewer words win over the byte words' fewer bytes.
    static func chooseFormat(buckets: Buckets, codeBits: Int) -> (wordBytes: Int, gapBits: Int) {
        let wide = (wordBytes: 2, gapBits: 16 - codeBits)
        guard codeBits <= 7 else { return wide }
        let narrow = (wordBytes: 1, gapBits: 8 - codeBits)
        let fillers = wordsPerGroup(buckets, gapBits: narrow.gapBits)[buckets.groups] - buckets.keys.count
        return 2 * fillers > buckets.keys.count ? wide : narrow
    }

    /// Word offsets of every group (fillers included), groups + 1 of them.
    static func wordsPerGroup(_ b: Buckets, gapBits: Int) -> [Int] {
        var offsets = [Int](repeating: 0, count: b.groups + 1)
        for g in 0..<b.groups {
            var previous = -1
            var words = 0
            for i in b.start[g]..<b.start[g + 1] {
                let row = Int(b.keys[i] >> 32)
                words += 1 + (row - previous - 1) >> gapBits
                previous = row
            }
            offsets[g + 1] = offsets[g] + words
        }
        return offsets
    }

    static func pack(_ b: Buckets, codeBits: Int, gapBits: Int, wordBytes: Int, fillerCode: Int)
        throws(SparseEngineError) -> (start: UnsafeMutablePointer<UInt32>, words: UnsafeMutableRawPointer, fillers: Int)
    {
        // Offsets are 32-bit: count first, so an oversized layer is an error, not a wrap.
        let offsets = wordsPerGroup(b, gapBits: gapBits)
        let total = offsets[b.groups]
        guard total <= Int(UInt32.max) else { throw .layerTooLarge(words: total) }
        let start = UnsafeMutablePointer<UInt32>.allocate(capacity: b.groups + 1)
        for g in 0...b.groups { start[g] = UInt32(offsets[g]) }
        let words = allocateWords(byteCount: total * wordBytes)
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
        for g in 0..<b.groups {
            var previous = -1
            for i in b.start[g]..<b.start[g + 1] {
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
        return (start, words, total - b.keys.count)
    }
}

extension SparseLinearLayer {
    /// Word storage. Large layers get 2 MiB-aligned memory marked for transparent huge pages: the
    /// batch-1 kernel jumps between scattered columns, and with 4 KiB pages nearly every active
    /// column costs a TLB miss (a two-level page walk under a hypervisor) once caches are cold.
    static func allocateWords(byteCount: Int) -> UnsafeMutableRawPointer {
        let hugePage = 2 << 20
        guard byteCount >= hugePage / 2 else {
            return UnsafeMutableRawPointer.allocate(byteCount: max(1, byteCount), alignment: 64)
        }
        let rounded = (byteCount + hugePage - 1) / hugePage * hugePage
        let p = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: hugePage)
        #if canImport(Glibc)
        _ = madvise(p, rounded, MADV_HUGEPAGE)  // advisory: without THP the layer still works
        #endif
        return p
    }
}
