// The sparse × dense inner loop, compiled twice (SparrowKernels for baseline CPUs and, through a
// symlink, SparrowKernelsAVX2 with -target-cpu haswell and SPARROW_FMA) so that the caller can pick
// the widest one the CPU runs. Nothing here is generic or @inlinable across the module boundary: a
// specialisation would be compiled with the caller's (baseline) flags instead.

/// Sparse × dense by rows (CSR words), with each output row's accumulators held in registers.
///
/// A row's `lanes` sums stay in four vectors while its words stream by, so a word costs the loads
/// of its input row and the multiply-adds only. (A column-major kernel, which loaded and stored a
/// row of an accumulator per word, measured 1.7–1.9× slower at batch 64.)
public enum SparseRowKernel {
    /// For each row o in `rows`: out[o·rowStride + b] = Σ codebook[code]·xT[column·columnStride + b]
    /// over the row's words, for b < `count` (lanes, a multiple of 16 up to 64, are computed; the
    /// inputs must hold `lanes` readable samples per column). `wordBytes` is 1 or 2.
    public static func accumulate(
        wordBytes: Int, words: UnsafeRawPointer, start: UnsafePointer<UInt32>, codeBits: Int,
        table: UnsafePointer<Float>, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int, rows: Range<Int>,
        into out: UnsafeMutablePointer<Float>, rowStride: Int, count: Int
    ) {
        if wordBytes == 1 {
            accumulate(UInt8.self, words: words, start: start, codeBits: codeBits, table: table, lanes: lanes, xT: xT,
                       columnStride: columnStride, rows: rows, into: out, rowStride: rowStride, count: count)
        } else {
            accumulate(UInt16.self, words: words, start: start, codeBits: codeBits, table: table, lanes: lanes, xT: xT,
                       columnStride: columnStride, rows: rows, into: out, rowStride: rowStride, count: count)
        }
    }

    @inline(__always)
    static func accumulate<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, words raw: UnsafeRawPointer, start: UnsafePointer<UInt32>, codeBits: Int,
        table: UnsafePointer<Float>, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int, rows: Range<Int>,
        into out: UnsafeMutablePointer<Float>, rowStride: Int, count: Int
    ) {
        let words = raw.assumingMemoryBound(to: W.self)
        let mask = W(truncatingIfNeeded: (1 << codeBits) - 1)
        let shift = W(truncatingIfNeeded: codeBits)
        let vectors = lanes / 16
        let x = UnsafeRawPointer(xT)
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 4) { partial in
            let partial = partial.baseAddress!
            for o in rows {
                var (a0, a1, a2, a3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                var column = -1
                for p in Int(start[o])..<Int(start[o &+ 1]) {
                    let w = words[p]
                    column &+= Int(truncatingIfNeeded: w &>> shift) &+ 1
                    let weight = SIMD16<Float>(repeating: table[Int(truncatingIfNeeded: w & mask)])
                    let row = x + column &* columnStride &* 4
                    a0 = fused(a0, weight, row.loadUnaligned(as: SIMD16<Float>.self))
                    if vectors > 1 { a1 = fused(a1, weight, row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)) }
                    if vectors > 2 { a2 = fused(a2, weight, row.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)) }
                    if vectors > 3 { a3 = fused(a3, weight, row.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)) }
                }
                let destination = UnsafeMutableRawPointer(out + o &* rowStride)
                if count == lanes {
                    destination.storeBytes(of: a0, as: SIMD16<Float>.self)
                    if vectors > 1 { destination.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self) }
                    if vectors > 2 { destination.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self) }
                    if vectors > 3 { destination.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self) }
                } else {
                    (partial[0], partial[1], partial[2], partial[3]) = (a0, a1, a2, a3)
                    destination.copyMemory(from: partial, byteCount: count &* 4)
                }
            }
        }
    }

    /// a + w·x, fused where the CPU has FMA.
    @inline(__always)
    static func fused(_ a: SIMD16<Float>, _ w: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> {
        #if SPARROW_FMA
        a.addingProduct(w, x)
        #else
        a + w * x
        #endif
    }
}
