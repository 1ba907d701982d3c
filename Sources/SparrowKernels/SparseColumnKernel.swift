// Batch 1 by columns (CSC words), compiled twice like SparseRowKernel.swift; see there.
import CCPU

/// EIE's inner loop: for each non-zero activation a_j, walk column j's words, advancing the row by
/// gap + 1 and adding codebook[code]·a_j into that output row.
public enum SparseColumnKernel {
    /// y[row] += codebook[code]·values[k] over the words of column columns[k], for k in `range`.
    /// `wordBytes` is 1 or 2; `table` holds at least 16 floats (zero-padded).
    public static func accumulate(
        wordBytes: Int, words: UnsafeRawPointer, start: UnsafePointer<UInt32>, codeBits: Int, gapBits: Int,
        table: UnsafePointer<Float>, columns: UnsafePointer<Int32>, values: UnsafePointer<Float>, range: Range<Int>,
        into y: UnsafeMutablePointer<Float>
    ) {
        if wordBytes == 1 {
            #if SPARROW_FMA
            if codeBits == 4 {
                // EIE's format, with its field widths as constants: fewer live registers in the loop.
                accumulateLookingUp(words: words, start: start, decoder: WordDecoder<UInt8>(codeBits: 4, gapBits: 4),
                                    table: table, columns: columns, values: values, range: range, into: y)
                return
            }
            if codeBits < 4 {
                accumulateLookingUp(words: words, start: start, decoder: WordDecoder<UInt8>(codeBits: codeBits, gapBits: gapBits),
                                    table: table, columns: columns, values: values, range: range, into: y)
                return
            }
            #endif
            accumulate(words: words, start: start, decoder: WordDecoder<UInt8>(codeBits: codeBits, gapBits: gapBits),
                       table: table, columns: columns, values: values, range: range, into: y)
        } else {
            #if SPARROW_FMA
            if codeBits == 4 {
                accumulateLookingUp(words: words, start: start, decoder: WordDecoder<UInt16>(codeBits: 4, gapBits: 12),
                                    table: table, columns: columns, values: values, range: range, into: y)
                return
            }
            #endif
            accumulate(words: words, start: start, decoder: WordDecoder<UInt16>(codeBits: codeBits, gapBits: gapBits),
                       table: table, columns: columns, values: values, range: range, into: y)
        }
    }

    /// How many non-zero activations ahead the loop touches its next columns.
    static var lookahead: Int { 8 }

    /// Codebooks up to this many bits are pre-multiplied by each activation (at most 64 floats, four
    /// vector multiplies per column), so the inner loop is a lookup and an add.
    static var scaledTableBits: Int { 6 }

    @inline(__always)
    static func accumulate<W: FixedWidthInteger & UnsignedInteger>(
        words: UnsafeRawPointer, start: UnsafePointer<UInt32>, decoder: WordDecoder<W>, table: UnsafePointer<Float>,
        columns: UnsafePointer<Int32>, values: UnsafePointer<Float>, range: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        let codeBits = Int(decoder.codeBits)
        let scaledVectors = codeBits <= scaledTableBits ? max(1, (1 << codeBits) / 16) : 0
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 4) { scaledBuffer in
            let scaledVector = scaledBuffer.baseAddress!
            let scaled = UnsafeMutableRawPointer(scaledVector).assumingMemoryBound(to: Float.self)
            let tableVector = UnsafeRawPointer(table)
            for k in range {
                prefetchColumn(k &+ lookahead, of: range, words: words, wordBytes: MemoryLayout<W>.size, start: start,
                               columns: columns)
                let j = Int(columns[k])
                let a = values[k]
                if scaledVectors > 0 {
                    for v in 0..<scaledVectors {
                        scaledVector[v] = tableVector.loadUnaligned(fromByteOffset: v &* 64, as: SIMD16<Float>.self) * a
                    }
                    accumulateColumn(words, start: start, column: j, decoder: decoder, into: y) { scaled[$0] }
                } else {
                    accumulateColumn(words, start: start, column: j, decoder: decoder, into: y) { table[$0] * a }
                }
            }
        }
    }

    #if SPARROW_FMA
    /// Codes of up to 4 bits: the 16 pre-multiplied weights stay in two vectors, and one lookup
    /// (sparrow_lookup16_avx2) fetches the weights of eight words instead of a load from a scaled
    /// table per word. On Alex-7 at batch 1 it measured 1.36× faster on the loop alone (warm, one
    /// thread) and 1.16× on `bench-layers`. For 16-bit words it pays only with the codes widened in
    /// the shim (sparrow_lookup16_u16_avx2): VGG-6 389 → 341 µs, VGG-7 131 → 115 µs (one thread,
    /// warm best), where Swift's SIMD conversion had cost as much as it saved.
    @inline(__always)
    static func accumulateLookingUp<W: FixedWidthInteger & UnsignedInteger>(
        words: UnsafeRawPointer, start: UnsafePointer<UInt32>, decoder: WordDecoder<W>, table: UnsafePointer<Float>,
        columns: UnsafePointer<Int32>, values: UnsafePointer<Float>, range: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        let tableLow = UnsafeRawPointer(table).loadUnaligned(as: SIMD8<Float>.self)
        let tableHigh = UnsafeRawPointer(table).loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let size = MemoryLayout<W>.size
        for k in range {
            prefetchColumn(k &+ lookahead, of: range, words: words, wordBytes: size, start: start, columns: columns)
            let j = Int(columns[k])
            let a = values[k]
            let (low, high) = (tableLow * a, tableHigh * a)
            var p = Int(start[j])
            let end = Int(start[j &+ 1])
            var r = -1
            decoder.withSummed { summed in
                // Four 64-bit loads a pass (32 byte words, or 16 16-bit words), written ahead of
                // their scatters: the loads issue earlier and a column takes a quarter (a half) of
                // the iterations; the compiler still interleaves some lookups with scatters. Against
                // a pass of half that (one thread, warm best): Alex-6/7 594 → 565 and 258 → 245 µs,
                // VGG-6/7 398 → 387 and 125 → 121 µs; longer passes were slower (registers spill,
                // and VGG's columns are short). Then byte words two loads a pass, then one.
                while p &+ 32 / size <= end {
                    scatterFourLoads(words + p &* size, decoder: decoder, summed: summed, low: low, high: high,
                                     position: &r, into: y)
                    p &+= 32 / size
                }
                if size == 1 {
                    while p &+ 16 <= end {
                        let first = words.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                        let second = words.loadUnaligned(fromByteOffset: p &+ 8, as: UInt64.self)
                        let firstWeights = lookUp(at: words + p, W.self, codeMask: decoder.codeMask, low: low, high: high)
                        let secondWeights = lookUp(at: words + (p &+ 8), W.self, codeMask: decoder.codeMask,
                                                   low: low, high: high)
                        scatter(first, firstWeights, from: 0, decoder: decoder, summed: summed, position: &r, into: y)
                        scatter(second, secondWeights, from: 0, decoder: decoder, summed: summed, position: &r, into: y)
                        p &+= 16
                    }
                }
                // Eight words per lookup: one 64-bit load of bytes, or two of 16-bit words.
                while p &+ 8 <= end {
                    let first = words.loadUnaligned(fromByteOffset: p &* size, as: UInt64.self)
                    let second = size == 1 ? 0 : words.loadUnaligned(fromByteOffset: p &* size &+ 8, as: UInt64.self)
                    let weights = lookUp(at: words + p &* size, W.self, codeMask: decoder.codeMask, low: low, high: high)
                    scatter(first, weights, from: 0, decoder: decoder, summed: summed, position: &r, into: y)
                    if size > 1 {
                        scatter(second, weights, from: 4, decoder: decoder, summed: summed, position: &r, into: y)
                    }
                    p &+= 8
                }
            }
            while p < end {
                let code = decoder.decode(words.load(fromByteOffset: p &* size, as: W.self), position: &r)
                y[r] += table[code] * a
                p &+= 1
            }
        }
    }

    /// The words of four 64-bit loads at `bytes` (32 bytes, or 16 16-bit words), the loads and
    /// lookups written ahead of the scatters.
    @inline(__always)
    static func scatterFourLoads<W: FixedWidthInteger & UnsignedInteger>(
        _ bytes: UnsafeRawPointer, decoder: WordDecoder<W>, summed: Bool, low: SIMD8<Float>, high: SIMD8<Float>,
        position: inout Int, into y: UnsafeMutablePointer<Float>
    ) {
        let w0 = bytes.loadUnaligned(as: UInt64.self)
        let w1 = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let w2 = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        let w3 = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        let mask = decoder.codeMask
        if W.bitWidth == 8 {
            let v0 = lookUp(at: bytes, W.self, codeMask: mask, low: low, high: high)
            let v1 = lookUp(at: bytes + 8, W.self, codeMask: mask, low: low, high: high)
            let v2 = lookUp(at: bytes + 16, W.self, codeMask: mask, low: low, high: high)
            let v3 = lookUp(at: bytes + 24, W.self, codeMask: mask, low: low, high: high)
            scatter(w0, v0, from: 0, decoder: decoder, summed: summed, position: &position, into: y)
            scatter(w1, v1, from: 0, decoder: decoder, summed: summed, position: &position, into: y)
            scatter(w2, v2, from: 0, decoder: decoder, summed: summed, position: &position, into: y)
            scatter(w3, v3, from: 0, decoder: decoder, summed: summed, position: &position, into: y)
        } else {
            let v0 = lookUp(at: bytes, W.self, codeMask: mask, low: low, high: high)
            let v1 = lookUp(at: bytes + 16, W.self, codeMask: mask, low: low, high: high)
            scatter(w0, v0, from: 0, decoder: decoder, summed: summed, position: &position, into: y)
            scatter(w1, v0, from: 4, decoder: decoder, summed: summed, position: &position, into: y)
            scatter(w2, v1, from: 0, decoder: decoder, summed: summed, position: &position, into: y)
            scatter(w3, v1, from: 4, decoder: decoder, summed: summed, position: &position, into: y)
        }
    }

    /// The scaled weights of the eight words at `pointer`: their codes looked up in the two vectors of
    /// scaled codebook entries.
    @inline(__always)
    static func lookUp<W: FixedWidthInteger & UnsignedInteger>(
        at pointer: UnsafeRawPointer, _: W.Type, codeMask: UInt64, low: SIMD8<Float>, high: SIMD8<Float>
    ) -> SIMD8<Float> {
        W.bitWidth == 8 ? sparrow_lookup16_u8_avx2(low, high, pointer, UInt8(truncatingIfNeeded: codeMask))
                        : sparrow_lookup16_u16_avx2(low, high, pointer, UInt16(truncatingIfNeeded: codeMask))
    }

    /// y[row] += weights[firstLane + i] for the i-th word of one load.
    @inline(__always)
    static func scatter<W: FixedWidthInteger & UnsignedInteger>(
        _ packed: UInt64, _ weights: SIMD8<Float>, from firstLane: Int, decoder: WordDecoder<W>, summed: Bool,
        position: inout Int, into y: UnsafeMutablePointer<Float>
    ) {
        if W.bitWidth == 8 && summed {
            decoder.forEachPositionInPairs(of: packed, position: &position) { lane, row in y[row] += weights[lane] }
            return
        }
        var lane = firstLane
        decoder.forEachWord(of: packed, summed: summed, position: &position) { row, _ in
            y[row] += weights[lane]
            lane &+= 1
        }
    }
    #endif

    /// Touches up to 1 KiB of the column `ahead` positions on: active columns are scattered, and a
    /// cold miss per column in series would dominate. 1 KiB holds whole AlexNet/VGG columns; the
    /// hardware prefetcher picks up longer runs.
    @inline(__always)
    static func prefetchColumn(_ k: Int, of range: Range<Int>, words: UnsafeRawPointer, wordBytes: Int,
                               start: UnsafePointer<UInt32>, columns: UnsafePointer<Int32>) {
        guard k < range.upperBound else { return }
        let ahead = Int(columns[k])
        let from = words + Int(start[ahead]) &* wordBytes
        let to = words + Int(start[ahead &+ 1]) &* wordBytes
        var line = from
        while line < to && line < from + 1024 {
            sparrow_prefetch(line)
            line += 64
        }
    }

    /// One column: y[row] += weight(code) for each stored word. Words are read eight (bytes) or four
    /// (16-bit) at a time through one 64-bit load.
    @inline(__always)
    static func accumulateColumn<W: FixedWidthInteger & UnsignedInteger>(
        _ bytes: UnsafeRawPointer, start: UnsafePointer<UInt32>, column j: Int, decoder: WordDecoder<W>,
        into y: UnsafeMutablePointer<Float>, weight: (_ code: Int) -> Float
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
}
