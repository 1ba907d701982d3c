import SparrowModel

/// MaxPool, AveragePool (1-D and 2-D) and GlobalAveragePool over NC… float tensors.
extension DenseRuntime {
    static func maxPool(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...2)
        guard context.node.outputs.count < 2 || context.node.outputs[1].isEmpty else {
            throw RuntimeError("the Indices output of MaxPool is not supported")
        }
        guard try context.int("storage_order", default: 0) == 0 else {
            throw RuntimeError("storage_order 1 is not supported")
        }
        let window = try WindowAttributes(context, kernelRequired: true)
        return poolKernel(window) { x, g, y in
            // Windows wholly inside the input (rows ohLo..<ohHi, columns owLo..<owHi) skip bounds checks.
            let (ohLo, ohHi) = insideRange(out: g.outH, stride: g.sH, pad: g.padTop, extent: (g.kH - 1) * g.dH + 1, size: g.inH)
            let (owLo, owHi) = insideRange(out: g.outW, stride: g.sW, pad: g.padLeft, extent: (g.kW - 1) * g.dW + 1, size: g.inW)
            if g.kH == 2 && g.kW == 2 && g.sH == 2 && g.sW == 2 && g.dH == 1 && g.dW == 1
                && ohLo == 0 && ohHi == g.outH && owLo == 0 && owHi == g.outW {
                maxPool2x2(x, inW: g.inW, outH: g.outH, outW: g.outW, into: y)
                return
            }
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    let inside = oh >= ohLo && oh < ohHi && ow >= owLo && ow < owHi
                    if inside && g.kH == 2 && g.kW == 2 && g.dH == 1 && g.dW == 1 {
                        let p = x + (oh * g.sH - g.padTop) * g.inW + (ow * g.sW - g.padLeft)
                        y[oh * g.outW + ow] = maxNaN(maxNaN(p[0], p[1]), maxNaN(p[g.inW], p[g.inW + 1]))
                        continue
                    }
                    var m = -Float.infinity
                    if inside {
                        let p = x + (oh * g.sH - g.padTop) * g.inW + (ow * g.sW - g.padLeft)
                        for ki in 0..<g.kH {
                            for kj in 0..<g.kW { m = maxNaN(m, p[ki * g.dH * g.inW + kj * g.dW]) }
                        }
                        y[oh * g.outW + ow] = m
                        continue
                    }
                    for ki in 0..<g.kH {
                        let ih = oh * g.sH - g.padTop + ki * g.dH
                        guard ih >= 0 && ih < g.inH else { continue }
                        for kj in 0..<g.kW {
                            let iw = ow * g.sW - g.padLeft + kj * g.dW
                            guard iw >= 0 && iw < g.inW else { continue }
                            m = maxNaN(m, x[ih * g.inW + iw])
                        }
                    }
                    y[oh * g.outW + ow] = m
                }
            }
        }
    }

    /// The common 2×2, stride-2 pool with every window inside the input, a vector of outputs at a time:
    /// the two input rows' element-wise max, then the max of its even and odd lanes.
    static func maxPool2x2(_ x: UnsafePointer<Float>, inW: Int, outH: Int, outW: Int, into y: UnsafeMutablePointer<Float>) {
        let (raw, out) = (UnsafeRawPointer(x), UnsafeMutableRawPointer(y))
        for oh in 0..<outH {
            let top: Int = 8 &* oh &* inW
            let bottom: Int = top &+ 4 &* inW
            let dst: Int = 4 &* oh &* outW
            var ow = 0
            while 2 &* ow &+ 16 <= inW && ow &+ 8 <= outW {
                let a = raw.loadUnaligned(fromByteOffset: top &+ 8 &* ow, as: SIMD16<Float>.self)
                let b = raw.loadUnaligned(fromByteOffset: bottom &+ 8 &* ow, as: SIMD16<Float>.self)
                let rows = b.replacing(with: a, where: a .> b)
                let (even, odd) = (rows.evenHalf, rows.oddHalf)
                out.storeBytes(of: odd.replacing(with: even, where: even .> odd), toByteOffset: dst &+ 4 &* ow,
                               as: SIMD8<Float>.self)
                ow &+= 8
            }
            while ow < outW {
                let p: UnsafePointer<Float> = x + (2 &* oh &* inW &+ 2 &* ow)
                let upper = maxNaN(p[0], p[1]), lower = maxNaN(p[inW], p[inW &+ 1])
                y[oh &* outW &+ ow] = maxNaN(upper, lower)
                ow &+= 1
            }
        }
    }

    /// A branch-free max (compiles to a select): random activations make a compare-and-branch mispredict
    /// half the time. NaN handling follows the select, not IEEE maxNum.
    @inline(__always)
    static func maxNaN(_ a: Float, _ b: Float) -> Float { a > b ? a : b }

    /// Output indices o in lo..<hi whose window [o·stride − pad, … + extent) lies inside [0, size).
    static func insideRange(out: Int, stride: Int, pad: Int, extent: Int, size: Int) -> (Int, Int) {
        let lo = Swift.min(out, (pad + stride - 1) / stride)
        let span = size + pad - extent
        let hi = span < 0 ? 0 : Swift.min(out, span / stride + 1)
        return (lo, Swift.max(lo, hi))
    }

    /// AveragePool: with count_include_pad the divisor counts padded positions (but not the overhang
    /// ceil_mode adds past the end padding); otherwise only positions inside the input.
    static func averagePool(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let window = try WindowAttributes(context, kernelRequired: true, allowDilations: context.opset >= 19)
        let includePad = try context.int("count_include_pad", default: 0) != 0
        return poolKernel(window) { x, g, y in
            for oh in 0..<g.outH {
                for ow in 0..<g.outW {
                    var sum: Float = 0, valid = 0, padded = 0
                    for ki in 0..<g.kH {
                        let ih = oh * g.sH - g.padTop + ki * g.dH
                        guard ih >= -g.padTop && ih < g.inH + g.padBottom else { continue }
                        let rowInside = ih >= 0 && ih < g.inH
                        for kj in 0..<g.kW {
                            let iw = ow * g.sW - g.padLeft + kj * g.dW
                            guard iw >= -g.padLeft && iw < g.inW + g.padRight else { continue }
                            padded += 1
                            if rowInside && iw >= 0 && iw < g.inW {
                                sum += x[ih * g.inW + iw]
                                valid += 1
                            }
                        }
                    }
                    let divisor = includePad ? padded : valid
                    y[oh * g.outW + ow] = divisor > 0 ? sum / Float(divisor) : 0
                }
            }
        }
    }

    /// Runs `plane` over every (n, c) plane of a 3-D or 4-D float input.
    static func poolKernel(_ window: WindowAttributes,
                           _ plane: @escaping @Sendable (UnsafePointer<Float>, WindowGeometry, UnsafeMutablePointer<Float>) -> Void) -> Kernel {
        return { args in
            let x = try args.required(0, "X")
            let xv = try x.requireFloats("X")
            guard x.rank == 3 || x.rank == 4 else { throw RuntimeError("X must be 3-D or 4-D (N, C, spatial…), has shape \(x.shape)") }
            let g = try window.resolve(spatial: Array(x.shape[2...]))
            let planes = x.shape[0] * x.shape[1]
            let outShape = x.rank == 3 ? [x.shape[0], x.shape[1], g.outW] : [x.shape[0], x.shape[1], g.outH, g.outW]
            var y = [Float](repeating: 0, count: try Tensor.checkedCount(outShape))
            if !y.isEmpty && !xv.isEmpty {
                xv.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        for i in 0..<planes {
                            plane(xp.baseAddress! + i * g.inPlane, g, yp.baseAddress! + i * g.outPlane)
                        }
                    }
                }
            }
            return [Tensor(shape: outShape, floats: y)]
        }
    }

    static func globalAveragePool(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        return { args in
            let x = try args.required(0, "X")
            let xv = try x.requireFloats("X")
            guard x.rank >= 3 else { throw RuntimeError("X must have spatial dims, has shape \(x.shape)") }
            let planes = x.shape[0] * x.shape[1]
            let size = x.shape[2...].reduce(1, *)
            var y = [Float](repeating: 0, count: planes)
            if size > 0 {
                xv.withUnsafeBufferPointer { xp in
                    for i in 0..<planes {
                        var s: Float = 0
                        for j in 0..<size { s += xp[i * size + j] }
                        y[i] = s / Float(size)
                    }
                }
            } else {
                for i in 0..<planes { y[i] = .nan }
            }
            return [Tensor(shape: Array(x.shape[..<2]) + [Int](repeating: 1, count: x.rank - 2), floats: y)]
        }
    }
}
