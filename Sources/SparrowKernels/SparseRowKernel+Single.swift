// Batch 1 by rows (CSR words); compiled twice, see SparseRowKernel.swift.

extension SparseRowKernel {
    /// y[o] = Σ codebook[code]·x[column] along row o's words, for o in `rows`: per row, advance the
    /// column by gap + 1 and add into one of four accumulators (the adds of one accumulator would
    /// otherwise wait on each other). Words are read eight (bytes) or four (16-bit) per 64-bit load.
    public static func accumulateSingle(
        wordBytes: Int, words: UnsafeRawPointer, start: UnsafePointer<UInt32>, codeBits: Int, gapBits: Int,
        table: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        if wordBytes == 1 {
            accumulateSingle(decoder: WordDecoder<UInt8>(codeBits: codeBits, gapBits: gapBits), words: words,
                             start: start, table: table, x: x, rows: rows, into: y)
        } else {
            accumulateSingle(decoder: WordDecoder<UInt16>(codeBits: codeBits, gapBits: gapBits), words: words,
                             start: start, table: table, x: x, rows: rows, into: y)
        }
    }

    @inline(__always)
    static func accumulateSingle<W: FixedWidthInteger & UnsignedInteger>(
        decoder: WordDecoder<W>, words bytes: UnsafeRawPointer, start: UnsafePointer<UInt32>,
        table: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        let words = bytes.assumingMemoryBound(to: W.self)
        let perLoad = WordDecoder<W>.perLoad
        decoder.withSummed { summed in
            for o in rows {
                var p = Int(start[o])
                let end = Int(start[o &+ 1])
                var column = -1
                var acc = SIMD4<Float>()
                while p &+ perLoad <= end {
                    let packed = bytes.loadUnaligned(fromByteOffset: p &* MemoryLayout<W>.size, as: UInt64.self)
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
}
