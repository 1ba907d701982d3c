import SparrowModel

/// ONNX Conv over NCHW input with groups, pads, strides and dilations. Each group is one GEMM over
/// the whole mini-batch: W_g [M/g, C/g·kh·kw] · columns [C/g·kh·kw, N·oh·ow] (im2col).
final class ConvLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0, 1, 2]
    private let node: Node
    private let group: Int
    private var window: Window2D?
    private var columns: [[Float]] = []
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
        var y = [Float](repeating: 0, count: n * m * p)
        columns = []
        for g in 0..<group {
            let cols = im2col(x.data, n: n, c: c, h: h, w: wd, channelStart: g * cg, channels: cg, window: win)
            var yg = [Float](repeating: 0, count: mg * n * p)
            w.data.withUnsafeBufferPointer { pw in
                cols.withUnsafeBufferPointer { pc in
                    yg.withUnsafeMutableBufferPointer { py in
                        Matrix.multiply(transA: false, transB: false, m: mg, n: n * p, k: kc, alpha: 1,
                                        a: pw.baseAddress! + g * mg * kc, lda: kc, b: pc.baseAddress!, ldb: n * p,
                                        beta: 0, c: py.baseAddress!, ldc: n * p)
                    }
                }
            }
            for oc in 0..<mg {
                let channel = g * mg + oc
                let b = bias?[channel] ?? 0
                for s in 0..<n {
                    let dst = (s * m + channel) * p, src = oc * n * p + s * p
                    for i in 0..<p { y[dst + i] = yg[src + i] + b }
                }
            }
            columns.append(cols)
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
        for g in 0..<group {
            var dyg = [Float](repeating: 0, count: mg * n * p)
            for oc in 0..<mg {
                for s in 0..<n {
                    let src = (s * m + g * mg + oc) * p, dst = oc * n * p + s * p
                    for i in 0..<p { dyg[dst + i] = dy[src + i] }
                }
            }
            if wants(1, needsGradient) {
                dyg.withUnsafeBufferPointer { pd in
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
                var dcols = [Float](repeating: 0, count: kc * n * p)
                w.data.withUnsafeBufferPointer { pw in
                    dyg.withUnsafeBufferPointer { pd in
                        dcols.withUnsafeMutableBufferPointer { pc in
                            Matrix.multiply(transA: true, transB: false, m: kc, n: n * p, k: mg, alpha: 1,
                                            a: pw.baseAddress! + g * mg * kc, lda: kc, b: pd.baseAddress!,
                                            ldb: n * p, beta: 0, c: pc.baseAddress!, ldc: n * p)
                        }
                    }
                }
                col2im(dcols, into: &dx, n: n, c: c, h: h, w: wd, channelStart: g * cg, channels: cg, window: win)
            }
        }
        if wants(0, needsGradient) { accumulate(&gradients, 0, dx) }
        if wants(1, needsGradient) { accumulate(&gradients, 1, dw) }
        if wants(2, needsGradient) {
            var db = [Float](repeating: 0, count: m)
            for s in 0..<n { for ch in 0..<m { let base = (s * m + ch) * p; for i in 0..<p { db[ch] += dy[base + i] } } }
            accumulate(&gradients, 2, db)
        }
    }

    /// Rows (channel, ki, kj) × columns (sample, oy, ox); zero where the window reads padding.
    private func im2col(_ x: [Float], n: Int, c: Int, h: Int, w: Int, channelStart: Int, channels: Int,
                        window win: Window2D) -> [Float] {
        var cols = [Float](repeating: 0, count: channels * win.kernel.h * win.kernel.w * n * outHW.0 * outHW.1)
        x.withUnsafeBufferPointer { px in
            cols.withUnsafeMutableBufferPointer { pc in
                forEachTap(n: n, c: c, h: h, w: w, channelStart: channelStart, channels: channels, window: win) {
                    column, image in pc[column] = px[image]
                }
            }
        }
        return cols
    }

    /// The adjoint of `im2col`: adds each column entry back onto the input position it was read from.
    private func col2im(_ cols: [Float], into dx: inout [Float], n: Int, c: Int, h: Int, w: Int, channelStart: Int,
                        channels: Int, window win: Window2D) {
        cols.withUnsafeBufferPointer { pc in
            dx.withUnsafeMutableBufferPointer { px in
                forEachTap(n: n, c: c, h: h, w: w, channelStart: channelStart, channels: channels, window: win) {
                    column, image in px[image] += pc[column]
                }
            }
        }
    }

    /// Visits every (column-matrix index, input index) pair of the lowering that reads inside the
    /// image; im2col and col2im walk the same pairs in opposite directions.
    @inline(__always)
    private func forEachTap(n: Int, c: Int, h: Int, w: Int, channelStart: Int, channels: Int, window win: Window2D,
                            _ body: (_ column: Int, _ image: Int) -> Void) {
        let (oh, ow) = outHW
        let p = oh * ow
        let kh = win.kernel.h, kw = win.kernel.w
        for ch in 0..<channels {
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = (ch * kh + ki) * kw + kj
                    for s in 0..<n {
                        let plane = (s * c + channelStart + ch) * h * w
                        let base = row * n * p + s * p
                        for oy in 0..<oh {
                            let iy = oy * win.stride.h - win.pads.t + ki * win.dilation.h
                            if iy < 0 || iy >= h { continue }
                            for ox in 0..<ow {
                                let ix = ox * win.stride.w - win.pads.l + kj * win.dilation.w
                                if ix < 0 || ix >= w { continue }
                                body(base + oy * ow + ox, plane + iy * w + ix)
                            }
                        }
                    }
                }
            }
        }
    }
}
