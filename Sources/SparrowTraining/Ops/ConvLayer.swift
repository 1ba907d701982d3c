import SparrowModel

/// ONNX Conv over NCHW input with groups, pads, strides and dilations. Each group is one GEMM over
/// the whole mini-batch: W_g [M/g, C/g·kh·kw] · columns [C/g·kh·kw, N·oh·ow] (im2col, `ConvLowering`).
final class ConvLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0, 1, 2]
    private let node: Node
    private let group: Int
    private var window: Window2D?
    private var columns: [[Float]] = []
    /// Scratch for the GEMM products (overwritten before every use, kept to avoid reallocating).
    private var product: [Float] = []
    private var columnGradient: [Float] = []
    private var inShape: [Int] = []
    private var outHW = (h: 0, w: 0)

    init(node: Node, inputs: [Int], outputs: [Int]) throws {
        name = node.displayName
        inputSlots = inputs
        outputSlots = outputs
        self.node = node
        group = node.int("group", default: 1)
        guard inputs.count >= 2 else { throw TrainingError.invalidGraph("Conv \(name) needs X and W") }
        guard group >= 1 else { throw TrainingError.unsupportedOperator(node: name, reason: "group \(group)") }
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        let x = try input(values, 0), w = try input(values, 1)
        guard x.shape.count == 4, w.shape.count == 4 else {
            throw TrainingError.unsupportedOperator(node: name, reason: "only 2-D convolution (4-D X and W); got \(x.shape), \(w.shape)")
        }
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let m = w.shape[0]
        guard x.shape.allSatisfy({ $0 > 0 }), w.shape.allSatisfy({ $0 > 0 }) else {
            throw TrainingError.shapeMismatch(node: name, reason: "empty tensor: X \(x.shape), W \(w.shape)")
        }
        guard c % group == 0, m % group == 0, w.shape[1] == c / group else {
            throw TrainingError.shapeMismatch(node: name, reason: "X \(x.shape), W \(w.shape), group \(group)")
        }
        if let ks = node.ints("kernel_shape"), ks != [w.shape[2], w.shape[3]] {
            throw TrainingError.shapeMismatch(node: name, reason: "kernel_shape \(ks) differs from W \(w.shape)")
        }
        let win = try Window2D(node: node, kernel: (w.shape[2], w.shape[3]), inputHW: (h, wd))
        window = win
        inShape = x.shape
        outHW = win.outputSize(h, wd)
        guard outHW.h > 0, outHW.w > 0 else {
            throw TrainingError.shapeMismatch(node: name, reason: "the kernel does not fit the padded \(h)×\(wd) input")
        }
        let p = outHW.h * outHW.w
        let cg = c / group, mg = m / group
        let kc = cg * win.kernel.h * win.kernel.w
        var bias: [Float]? = nil
        if let b = optionalInput(values, 2) {
            guard b.data.count == m else { throw TrainingError.shapeMismatch(node: name, reason: "bias \(b.shape) for \(m) maps") }
            bias = b.data
        }
        if columns.count != group { columns = [[Float]](repeating: [], count: group) }
        var y = [Float](repeating: 0, count: n * m * p)
        if product.count != mg * n * p { product = [Float](repeating: 0, count: mg * n * p) }
        for g in 0..<group {
            let lowering = ConvLowering(n: n, c: c, h: h, w: wd, channelStart: g * cg, channels: cg, window: win,
                                        oh: outHW.h, ow: outHW.w)
            // The column buffer is kept for the backward pass and reused by the next batch of this
            // shape; im2col writes every entry (zeros included), so stale contents never leak.
            if columns[g].count != kc * n * p { columns[g] = [Float](repeating: 0, count: kc * n * p) }
            x.data.withUnsafeBufferPointer { px in
                columns[g].withUnsafeMutableBufferPointer { pc in
                    let (src, dst) = (UncheckedBox(px.baseAddress!), UncheckedBox(pc.baseAddress!))
                    Parallel.forEachRange(n, workPerItem: kc * p) { lowering.im2col(src.value, into: dst.value, samples: $0) }
                }
            }
            w.data.withUnsafeBufferPointer { pw in
                columns[g].withUnsafeBufferPointer { pc in
                    product.withUnsafeMutableBufferPointer { py in
                        Matrix.multiply(transA: false, transB: false, m: mg, n: n * p, k: kc, alpha: 1,
                                        a: pw.baseAddress! + g * mg * kc, lda: kc, b: pc.baseAddress!, ldb: n * p,
                                        beta: 0, c: py.baseAddress!, ldc: n * p)
                    }
                }
            }
            // [maps, sample, position] → [sample, maps, position], adding the bias.
            product.withUnsafeBufferPointer { pg in
                y.withUnsafeMutableBufferPointer { py in
                    let (src, dst) = (UncheckedBox(pg.baseAddress!), UncheckedBox(py.baseAddress!))
                    Parallel.forEachRange(n, workPerItem: mg * p) { samples in
                        for s in samples {
                            for oc in 0..<mg {
                                let channel = g * mg + oc
                                let b = bias?[channel] ?? 0
                                let to = dst.value + (s * m + channel) * p, from = src.value + oc * n * p + s * p
                                for i in 0..<p { to[i] = from[i] + b }
                            }
                        }
                    }
                }
            }
        }
        values[outputSlots[0]] = Activation(shape: [n, m, outHW.h, outHW.w], data: y)
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard let win = window, let w = try? input(values, 1) else { return }
        let dy = outputGradient(values, gradients)
        let (n, c, h, wd) = (inShape[0], inShape[1], inShape[2], inShape[3])
        let m = w.shape[0], p = outHW.h * outHW.w
        let cg = c / group, mg = m / group, kc = cg * win.kernel.h * win.kernel.w
        var dw = [Float](repeating: 0, count: w.data.count)
        var dx = wants(0, needsGradient) ? [Float](repeating: 0, count: n * c * h * wd) : []
        if product.count != mg * n * p { product = [Float](repeating: 0, count: mg * n * p) }
        if wants(0, needsGradient) && columnGradient.count != kc * n * p {
            columnGradient = [Float](repeating: 0, count: kc * n * p)
        }
        for g in 0..<group {
            // dY regrouped [sample, maps, position] → [maps, sample, position] (the forward GEMM's
            // layout) into the forward product's scratch, which is free again by now.
            dy.withUnsafeBufferPointer { pd in
                product.withUnsafeMutableBufferPointer { pg in
                    let (src, dst) = (UncheckedBox(pd.baseAddress!), UncheckedBox(pg.baseAddress!))
                    Parallel.forEachRange(n, workPerItem: mg * p) { samples in
                        for s in samples {
                            for oc in 0..<mg {
                                (dst.value + oc * n * p + s * p).update(from: src.value + (s * m + g * mg + oc) * p, count: p)
                            }
                        }
                    }
                }
            }
            if wants(1, needsGradient) {
                product.withUnsafeBufferPointer { pd in
                    columns[g].withUnsafeBufferPointer { pc in
                        dw.withUnsafeMutableBufferPointer { pw in
                            Matrix.multiply(transA: false, transB: true, m: mg, n: kc, k: n * p, alpha: 1,
                                            a: pd.baseAddress!, lda: n * p, b: pc.baseAddress!, ldb: n * p,
                                            beta: 0, c: pw.baseAddress! + g * mg * kc, ldc: kc)
                        }
                    }
                }
            }
            if wants(0, needsGradient) {
                w.data.withUnsafeBufferPointer { pw in
                    product.withUnsafeBufferPointer { pd in
                        columnGradient.withUnsafeMutableBufferPointer { pc in
                            Matrix.multiply(transA: true, transB: false, m: kc, n: n * p, k: mg, alpha: 1,
                                            a: pw.baseAddress! + g * mg * kc, lda: kc, b: pd.baseAddress!,
                                            ldb: n * p, beta: 0, c: pc.baseAddress!, ldc: n * p)
                        }
                    }
                }
                let lowering = ConvLowering(n: n, c: c, h: h, w: wd, channelStart: g * cg, channels: cg, window: win,
                                            oh: outHW.h, ow: outHW.w)
                columnGradient.withUnsafeBufferPointer { pc in
                    dx.withUnsafeMutableBufferPointer { px in
                        let (src, dst) = (UncheckedBox(pc.baseAddress!), UncheckedBox(px.baseAddress!))
                        Parallel.forEachRange(n, workPerItem: kc * p) { lowering.col2im(src.value, into: dst.value, samples: $0) }
                    }
                }
            }
        }
        if wants(0, needsGradient) { accumulate(&gradients, 0, dx) }
        if wants(1, needsGradient) { accumulate(&gradients, 1, dw) }
        if wants(2, needsGradient) {
            var db = [Float](repeating: 0, count: m)
            dy.withUnsafeBufferPointer { pd in
                for s in 0..<n {
                    for ch in 0..<m {
                        let base = pd.baseAddress! + (s * m + ch) * p
                        var sum: Float = 0
                        for i in 0..<p { sum += base[i] }
                        db[ch] += sum
                    }
                }
            }
            accumulate(&gradients, 2, db)
        }
    }
}
