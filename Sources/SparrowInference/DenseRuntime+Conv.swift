import COpenBLAS
import SparrowModel

/// Conv (1-D and 2-D, groups, pads, strides, dilations, auto_pad, optional bias) by im2col + sgemm.
/// All images of a batch share one GEMM per group (columns = N · output positions); 1×1 stride-1
/// unpadded convolutions skip im2col and multiply the input planes directly.
extension DenseRuntime {
    static func conv(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...3)
        try context.requireOutputs(1...1)
        let window = try WindowAttributes(context, kernelRequired: false)
        let group = try context.int("group", default: 1)
        guard group >= 1 else { throw RuntimeError("group must be positive") }
        let op = context.linearOperator(forInput: 1)
        if op != nil {
            guard group == 1 else { throw RuntimeError("a linear operator weight needs group = 1") }
            guard window.kernel != nil else { throw RuntimeError("a linear operator weight needs the kernel_shape attribute") }
        }
        let scratch = ScratchPool()
        return { args in
            let x = try args.required(0, "X")
            let xv = try x.requireFloats("X")
            guard x.rank == 3 || x.rank == 4 else { throw RuntimeError("X must be 3-D or 4-D (N, C, spatial…), has shape \(x.shape)") }
            let batch = x.shape[0], channels = x.shape[1]
            let outChannels: Int, kernelShape: [Int]?
            var wv: [Float] = []
            if let op {
                outChannels = op.outFeatures
                kernelShape = nil
            } else {
                let w = try args.required(1, "W")
                wv = try w.requireFloats("W")
                guard w.rank == x.rank else { throw RuntimeError("W of shape \(w.shape) does not match X of shape \(x.shape)") }
                guard channels % group == 0, w.shape[1] == channels / group else {
                    throw RuntimeError("W of shape \(w.shape) with group \(group) does not match the \(channels) input channels of X")
                }
                outChannels = w.shape[0]
                kernelShape = Array(w.shape[2...])
                if let k = window.kernel, k != kernelShape! {
                    throw RuntimeError("kernel_shape \(k) does not match W of shape \(w.shape)")
                }
            }
            guard channels % group == 0, outChannels % group == 0 else {
                throw RuntimeError("channels \(channels) → \(outChannels) are not divisible by group \(group)")
            }
            let g = try window.resolve(spatial: Array(x.shape[2...]), kernelShape: kernelShape)
            let patch = (channels / group) * g.kH * g.kW
            if let op, op.inFeatures != patch {
                throw RuntimeError("the weight operator takes \(op.inFeatures) features, a patch has \(patch)")
            }
            var bias: [Float]?
            if let b = args.optional(2) {
                bias = try b.requireFloats("B")
                guard b.shape == [outChannels] else { throw RuntimeError("B must have shape [\(outChannels)], has \(b.shape)") }
            }
            let outShape = x.rank == 3 ? [batch, outChannels, g.outW] : [batch, outChannels, g.outH, g.outW]
            var y = [Float](repeating: 0, count: try Tensor.checkedCount(outShape))
            _ = try Tensor.checkedCount([patch, batch * g.outPlane])  // the im2col buffer
            // With no input values (zero channels or an empty image) every output is just the bias.
            if !y.isEmpty && patch > 0 && !xv.isEmpty {
                if let op {
                    convolveWithOperator(op, xv, batch: batch, channels: channels, geometry: g, scratch: scratch,
                                         into: &y)
                } else {
                    convolve(xv, wv, batch: batch, channels: channels, outChannels: outChannels, group: group,
                             geometry: g, into: &y)
                }
            }
            if let bias, !y.isEmpty { addChannelBias(bias, planes: batch, plane: g.outPlane, into: &y) }
            return [Tensor(shape: outShape, floats: y)]
        }
    }

    static func convolve(_ x: [Float], _ w: [Float], batch: Int, channels: Int, outChannels: Int, group: Int,
                         geometry g: WindowGeometry, into y: inout [Float]) {
        let cg = channels / group, mg = outChannels / group
        let patch = cg * g.kH * g.kW, positions = g.outPlane
        let pointwise = g.kH == 1 && g.kW == 1 && g.sH == 1 && g.sW == 1
            && g.padTop == 0 && g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0
        if pointwise {
            for n in 0..<batch {
                for gi in 0..<group {
                    sgemm(transA: false, transB: false, m: mg, n: positions, k: cg, alpha: 1, a: w, aOffset: gi * mg * cg,
                          lda: cg, b: x, bOffset: (n * channels + gi * cg) * g.inPlane, ldb: positions, beta: 0,
                          c: &y, cOffset: (n * outChannels + gi * mg) * positions, ldc: positions)
                }
            }
            return
        }
        let columns = batch * positions
        var col = scratchFloats(patch * columns)
        var product = batch > 1 ? scratchFloats(mg * columns) : []
        for gi in 0..<group {
            col.withUnsafeMutableBufferPointer { cp in
                x.withUnsafeBufferPointer { xp in
                    for n in 0..<batch {
                        im2col(xp.baseAddress! + (n * channels + gi * cg) * g.inPlane, channels: cg, geometry: g,
                               into: cp.baseAddress! + n * positions, rowStride: columns)
                    }
                }
            }
            if batch == 1 {
                sgemm(transA: false, transB: false, m: mg, n: positions, k: patch, alpha: 1, a: w, aOffset: gi * mg * patch,
                      lda: patch, b: col, ldb: positions, beta: 0, c: &y, cOffset: gi * mg * positions, ldc: positions)
            } else {
                sgemm(transA: false, transB: false, m: mg, n: columns, k: patch, alpha: 1, a: w, aOffset: gi * mg * patch,
                      lda: patch, b: col, ldb: columns, beta: 0, c: &product, cOffset: 0, ldc: columns)
                // product is [mg, N·P]; scatter each image's block to NCHW.
                product.withUnsafeBufferPointer { pp in
                    y.withUnsafeMutableBufferPointer { yp in
                        for m in 0..<mg {
                            for n in 0..<batch {
                                (yp.baseAddress! + (n * outChannels + gi * mg + m) * positions)
                                    .update(from: pp.baseAddress! + m * columns + n * positions, count: positions)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes the patch matrix of one image: row (c, ki, kj) holds, for each output position, the input
    /// value under that kernel tap (0 in the padding). Rows are `rowStride` apart. The in-bounds output
    /// rows of each ki and columns of each kj are found once per call (they need divisions, which would
    /// otherwise cost more than LeNet's 8–24-float row copies), and each tap is filled by a function of
    /// its own whose few live values stay in registers: inlined into this loop nest they spilled on
    /// every row (15 against 6.2 µs for LeNet-5's conv2 patch matrix, measured with its padding path).
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, geometry g: WindowGeometry,
                       into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        if g.sH == 1 && g.sW == 1 && g.padTop == 0 && g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0 {
            im2colUnpadded(x, channels: channels, geometry: g, into: col, rowStride: rowStride)
            return
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (g.kH + g.kW)) { bounds in
            let rowBounds = bounds.baseAddress!, columnBounds = bounds.baseAddress! + 2 * g.kH
            for ki in 0..<g.kH {
                let rows = PatchMatrix.insideOutputs(size: g.outH, extent: g.inH, stride: g.sH,
                                                     shift: ki * g.dH - g.padTop)
                (rowBounds[2 * ki], rowBounds[2 * ki + 1]) = (rows.lowerBound, rows.upperBound)
            }
            for kj in 0..<g.kW {
                let columns = PatchMatrix.insideOutputs(size: g.outW, extent: g.inW, stride: g.sW,
                                                        shift: kj * g.dW - g.padLeft)
                (columnBounds[2 * kj], columnBounds[2 * kj + 1]) = (columns.lowerBound, columns.upperBound)
            }
            var dst = col
            for c in 0..<channels {
                let plane = x + c &* g.inPlane
                for ki in 0..<g.kH {
                    let rows = (rowBounds[2 &* ki], rowBounds[2 &* ki &+ 1])
                    for kj in 0..<g.kW {
                        // The input under output (0, 0) of this tap (outside the plane when padded).
                        let origin = plane + ((ki &* g.dH &- g.padTop) &* g.inW &+ kj &* g.dW &- g.padLeft)
                        fillTap(from: origin, to: dst, rows: rows,
                                columns: (columnBounds[2 &* kj], columnBounds[2 &* kj &+ 1]), geometry: g)
                        dst += rowStride
                    }
                }
            }
        }
    }

    /// One patch row: output (oh, ow) takes origin[oh·sH·inW + ow·sW] for oh in `rows`, ow in `columns`
    /// (the in-bounds ranges), and 0 elsewhere.
    @inline(never)
    static func fillTap(from origin: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, rows: (Int, Int),
                        columns: (Int, Int), geometry g: WindowGeometry) {
        let (outH, outW) = (g.outH, g.outW)
        let (ohLo, ohHi) = rows, (owLo, owHi) = columns
        if ohLo > 0 { dst.update(repeating: 0, count: ohLo &* outW) }
        if ohHi < outH { (dst + ohHi &* outW).update(repeating: 0, count: (outH &- ohHi) &* outW) }
        guard ohLo < ohHi else { return }
        let rowStep = g.sH &* g.inW
        if g.sW == 1 {
            copyRows(from: origin + (ohLo &* rowStep &+ owLo), stride: rowStep, to: dst + (ohLo &* outW &+ owLo),
                     stride: outW, rows: ohHi &- ohLo, count: owHi &- owLo)
            if owLo == 0 && owHi == outW { return }
        }
        for oh in ohLo..<ohHi {
            let out = dst + oh &* outW
            let src = origin + oh &* rowStep
            if owLo > 0 { out.update(repeating: 0, count: owLo) }
            if g.sW != 1 { for ow in owLo..<owHi { out[ow] = src[ow &* g.sW] } }
            if owHi < outW { (out + owHi).update(repeating: 0, count: outW &- owHi) }
        }
    }

    /// im2col for stride 1 without padding (LeNet's case): every tap's window lies inside the plane,
    /// so each patch row is `outH` copies of `outW` floats, with no bounds to look up (half the time
    /// of the general path on LeNet-5's conv2: 3.2 against 6.2 µs).
    @inline(never)
    static func im2colUnpadded(_ x: UnsafePointer<Float>, channels: Int, geometry g: WindowGeometry,
                               into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        let (inW, inPlane, outH, outW, kW, taps) = (g.inW, g.inPlane, g.outH, g.outW, g.kW, g.kH &* g.kW)
        let (rowStep, columnStep) = (g.dH &* inW, g.dW)
        var dst = col
        var plane = x
        for _ in 0..<channels {
            var tapRow = plane
            var kj = 0
            for _ in 0..<taps {
                copyRows(from: tapRow + kj &* columnStep, stride: inW, to: dst, stride: outW, rows: outH, count: outW)
                dst += rowStride
                kj &+= 1
                if kj == kW {
                    kj = 0
                    tapRow += rowStep
                }
            }
            plane += inPlane
        }
    }

    /// `rows` row copies of `count` floats between strided rows. Rows of 8 floats (LeNet-5's conv2) are
    /// one vector copy each, without copyRow's loop: 3.2 against 6.2 µs for that patch matrix.
    @inline(__always)
    static func copyRows(from src: UnsafePointer<Float>, stride srcStride: Int, to dst: UnsafeMutablePointer<Float>,
                         stride dstStride: Int, rows: Int, count: Int) {
        var (s, d) = (src, dst)
        if count == 8 {
            for _ in 0..<rows {
                UnsafeMutableRawPointer(d).storeBytes(of: UnsafeRawPointer(s).loadUnaligned(as: SIMD8<Float>.self),
                                                      as: SIMD8<Float>.self)
                s += srcStride
                d += dstStride
            }
            return
        }
        for _ in 0..<rows {
            copyRow(from: s, to: d, count: count)
            s += srcStride
            d += dstStride
        }
    }

    /// A short row copy inline: LeNet-sized rows (8–24 floats) cost more in memmove's call and
    /// dispatch than in the copy itself.
    @inline(__always)
    static func copyRow(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        guard count <= 64 else {
            dst.update(from: src, count: count)
            return
        }
        var i = 0
        let (s, d) = (UnsafeRawPointer(src), UnsafeMutableRawPointer(dst))
        while i &+ 8 <= count {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), toByteOffset: i &* 4,
                         as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count {
            dst[i] = src[i]
            i &+= 1
        }
    }

    /// Conv through a linear operator, one image at a time: the image's im2col matrix [C·kh·kw, P] has
    /// the positions as columns, which is what `applyTransposed` takes, and its [M, P] result is the
    /// image's NCHW block as is. Per image the patch matrix stays cache-sized. A batch is split by
    /// image over the operator's threads, each with its own patch matrix, so im2col runs in parallel
    /// too and the workers meet once per batch rather than once per image.
    static func convolveWithOperator(_ op: any LinearOperator, _ x: [Float], batch: Int, channels: Int,
                                     geometry g: WindowGeometry, scratch: ScratchPool, into y: inout [Float]) {
        let patch = channels * g.kH * g.kW, positions = g.outPlane, m = op.outFeatures
        let workers = min(op.threads, batch)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                let (xs, ys) = (xp.baseAddress!, yp.baseAddress!)
                scratch.withBuffer(count: workers * patch * positions) { cols in
                    guard workers > 1 else {
                        for n in 0..<batch {
                            im2col(xs + n * channels * g.inPlane, channels: channels, geometry: g, into: cols,
                                   rowStride: positions)
                            op.applyTransposed(cols, batch: positions, into: ys + n * m * positions)
                        }
                        return
                    }
                    let shared = UncheckedSendable((xs, ys, cols))
                    WorkRun.run(count: batch, helpers: workers - 1) { n, worker in
                        let (xs, ys, cols) = shared.value
                        let col = cols + worker * patch * positions
                        im2col(xs + n * channels * g.inPlane, channels: channels, geometry: g, into: col,
                               rowStride: positions)
                        op.applyTransposedOnCallingThread(col, batch: positions, into: ys + n * m * positions)
                    }
                }
            }
        }
    }

    /// y[n, c, …] += bias[c] over `planes` images of `plane` positions per channel.
    static func addChannelBias(_ bias: [Float], planes: Int, plane: Int, into y: inout [Float]) {
        let channels = bias.count
        y.withUnsafeMutableBufferPointer { yp in
            for n in 0..<planes {
                for c in 0..<channels {
                    let b = bias[c]
                    let p = yp.baseAddress! + (n * channels + c) * plane
                    for i in 0..<plane { p[i] += b }
                }
            }
        }
    }
}
