// The sparse × dense inner loop, compiled twice (SparrowKernels for baseline CPUs and, through a
// symlink, SparrowKernelsAVX2 with -target-cpu haswell and SPARROW_FMA) so that the caller can pick
// the widest one the CPU runs. Nothing here is generic or @inlinable across the module boundary: a
// specialisation would be compiled with the caller's (baseline) flags instead.

/// Sparse × dense kernels over EIE-packed words (see SparseLinearLayer for the format).
public enum SparseBlockKernel {
    /// Per stored word of row block `block`, one axpy of `lanes` floats (a multiple of 16, at most 64):
    /// acc[localRow] += codebook[code]·xT[column], where column j's `lanes` samples start at
    /// xT + j·columnStride, over the columns marked active. `wordBytes` is 1 or 2.
    public static func accumulate(
        wordBytes: Int, words: UnsafeRawPointer, start: UnsafePointer<UInt32>, block: Int, blocks: Int,
        codeBits: Int, table: UnsafePointer<Float>, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int,
        active: UnsafePointer<Bool>, columns: Int, into acc: UnsafeMutablePointer<Float>
    ) {
        if wordBytes == 1 {
            accumulate(UInt8.self, words: words, start: start, block: block, blocks: blocks, codeBits: codeBits,
                       table: table, lanes: lanes, xT: xT, columnStride: columnStride, active: active,
                       columns: columns, into: acc)
        } else {
            accumulate(UInt16.self, words: words, start: start, block: block, blocks: blocks, codeBits: codeBits,
                       table: table, lanes: lanes, xT: xT, columnStride: columnStride, active: active,
                       columns: columns, into: acc)
        }
    }

    @inline(__always)
    static func accumulate<W: FixedWidthInteger & UnsignedInteger>(
        _: W.Type, words raw: UnsafeRawPointer, start: UnsafePointer<UInt32>, block: Int, blocks: Int,
        codeBits: Int, table: UnsafePointer<Float>, lanes: Int, xT: UnsafePointer<Float>, columnStride: Int,
        active: UnsafePointer<Bool>, columns: Int, into acc: UnsafeMutablePointer<Float>
    ) {
        let words = raw.assumingMemoryBound(to: W.self)
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

    /// acc[o..<o+16] += w · x[o..<o+16] (byte offset o); fused where the CPU has FMA.
    @inline(__always)
    static func axpy(_ w: SIMD16<Float>, _ x: UnsafeRawPointer, _ acc: UnsafeMutableRawPointer, _ o: Int) {
        let a = acc.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
        let v = x.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
        #if SPARROW_FMA
        acc.storeBytes(of: a.addingProduct(w, v), toByteOffset: o, as: SIMD16<Float>.self)
        #else
        acc.storeBytes(of: a + w * v, toByteOffset: o, as: SIMD16<Float>.self)
        #endif
    }
}
