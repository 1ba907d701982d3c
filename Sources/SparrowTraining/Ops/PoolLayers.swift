import SparrowModel

/// ONNX MaxPool, AveragePool and GlobalAveragePool over NCHW input.
final class PoolLayer: Layer {
    enum Kind { case max, average(countIncludePad: Bool), globalAverage }

    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0]
    private let node: Node
    private let kind: Kind
    private var inShape: [Int] = []
    /// For max pooling: the input offset each output read (-1 if its window was all padding).
    private var argmax: [Int] = []
    private var window: Window2D?
    private var outHW = (h: 0, w: 0)
    private var rowTaps: [Taps] = []
    private var columnTaps: [Taps] = []

    init(node: Node, kind: Kind, inputs: [Int], outputs: [Int]) throws {
        name = node.displayName
        self.node = node
        self.kind = kind
        inputSlots = inputs
        outputSlots = outputs
        if outputs.count > 1 && !outputs[1...].allSatisfy({ $0 < 0 }) {
            throw TrainingError.unsupportedOperator(node: name, reason: "the MaxPool Indices output is not supported")
        }
        if case .globalAverage = kind { return }
        guard let ks = node.ints("kernel_shape"), ks.count == 2 else {
            throw TrainingError.unsupportedOperator(node: name, reason: "only 2-D pooling with a kernel_shape")
        }
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        let x = try input(values, 0)
        guard x.shape.count == 4 else {
            throw TrainingError.unsupportedOperator(node: name, reason: "only 2-D pooling over NCHW; got \(x.shape)")
        }
        inShape = x.shape
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let win: Window2D
        if case .globalAverage = kind {
            var fake = Node(name: node.name, opType: "AveragePool", inputs: [], outputs: [])
            fake.attributes = [:]
            win = try Window2D(node: fake, kernel: (h, w), inputHW: (h, w))
        } else {
            let ks = node.ints("kernel_shape") ?? []
            win = try Window2D(node: node, kernel: (ks[0], ks[1]), inputHW: (h, w))
        }
        window = win
        outHW = win.outputSize(h, w)
        guard outHW.h > 0, outHW.w > 0 else {
            throw TrainingError.shapeMismatch(node: name, reason: "the window does not fit the padded \(h)×\(w) input")
        }
        let (oh, ow) = outHW
        var y = [Float](repeating: 0, count: n * c * oh * ow)
        if case .max = kind { argmax = [Int](repeating: -1, count: y.count) } else { argmax = [] }
        // The taps of every output row and column, shared by all planes and by the backward pass.
        rowTaps = (0..<oh).map { Taps(win, output: $0, vertical: true, extent: h) }
        columnTaps = (0..<ow).map { Taps(win, output: $0, vertical: false, extent: w) }
        let (kind, rowTaps, columnTaps) = (self.kind, self.rowTaps, self.columnTaps)
        var isMax = false
        if case .max = kind { isMax = true }
        x.data.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                argmax.withUnsafeMutableBufferPointer { pa in
                    let (src, dst, arg) = (UncheckedBox(px.baseAddress!), UncheckedBox(py.baseAddress!), UncheckedBox(isMax ? pa.baseAddress : nil))
                    Parallel.forEachRange(n * c, workPerItem: oh * ow * win.kernel.h * win.kernel.w) { planes in
                        for plane in planes {
                            let image = src.value + plane * h * w
                            var o = plane * oh * ow
                            for ys in rowTaps {
                                for xs in columnTaps {
                                    if let arg = arg.value {
                                        // The first maximum in (ki, kj) order; a window of padding only gives 0.
                                        // Selects rather than branches: the comparisons are data-dependent.
                                        if ys.count == 0 || xs.count == 0 { dst.value[o] = 0; arg[o] = -1; o += 1; continue }
                                        var bestAt = ys.first * w + xs.first, best = image[bestAt]
                                        for a in 0..<ys.count {
                                            let row = (ys.first + a * ys.step) * w
                                            for b in 0..<xs.count {
                                                let at = row + xs.first + b * xs.step, v = image[at]
                                                let better = v > best
                                                best = better ? v : best
                                                bestAt = better ? at : bestAt
                                            }
                                        }
                                        dst.value[o] = best
                                        arg[o] = plane * h * w + bestAt
                                    } else {
                                        var sum: Float = 0
                                        for a in 0..<ys.count {
                                            let row = (ys.first + a * ys.step) * w
                                            for b in 0..<xs.count { sum += image[row + xs.first + b * xs.step] }
                                        }
                                        let count = PoolLayer.divisor(kind, ys, xs)
                                        dst.value[o] = count == 0 ? 0 : sum / Float(count)
                                    }
                                    o += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        values[outputSlots[0]] = Activation(shape: [n, c, oh, ow], data: y)
    }

    /// The taps of a window along one axis that read inside the image: input coordinates
    /// first, first + step, ... (count of them), plus how many taps lie inside image + padding.
    struct Taps {
        var first: Int, count: Int, step: Int, padded: Int

        init(_ win: Window2D, output o: Int, vertical: Bool, extent: Int) {
            let (k, s, d) = vertical ? (win.kernel.h, win.stride.h, win.dilation.h) : (win.kernel.w, win.stride.w, win.dilation.w)
            let (before, after) = vertical ? (win.pads.t, win.pads.b) : (win.pads.l, win.pads.r)
            let start = o * s - before
            // Kernel taps j whose coordinate start + j·d lies in lo..<hi.
            func range(_ lo: Int, _ hi: Int) -> Range<Int> {
                let first = max(0, ConvLowering.ceilDiv(lo - start, d))
                let last = min(k - 1, ConvLowering.floorDiv(hi - 1 - start, d))
                return first <= last ? first..<(last + 1) : 0..<0
            }
            let inside = range(0, extent)
            first = start + inside.lowerBound * d
            count = inside.count
            step = d
            padded = range(-before, extent + after).count
        }
    }

    /// An average's divisor: the taps inside the image, or with count_include_pad those inside the padding too.
    static func divisor(_ kind: Kind, _ ys: Taps, _ xs: Taps) -> Int {
        if case .average(true) = kind { return ys.padded * xs.padded }
        return ys.count * xs.count
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard wants(0, needsGradient), window != nil else { return }
        let dy = outputGradient(values, gradients)
        let (n, c, h, w) = (inShape[0], inShape[1], inShape[2], inShape[3])
        let (oh, ow) = outHW
        var dx = [Float](repeating: 0, count: n * c * h * w)
        let (kind, rowTaps, columnTaps) = (self.kind, self.rowTaps, self.columnTaps)
        var isMax = false
        if case .max = kind { isMax = true }
        dy.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                argmax.withUnsafeBufferPointer { pa in
                    let (src, dst, arg) = (UncheckedBox(pdy.baseAddress!), UncheckedBox(pdx.baseAddress!), UncheckedBox(isMax ? pa.baseAddress : nil))
                    // Every output's window lies in its own plane, so planes split between threads.
                    Parallel.forEachRange(n * c, workPerItem: oh * ow * 4) { planes in
                        for plane in planes {
                            if let arg = arg.value {
                                for o in (plane * oh * ow)..<((plane + 1) * oh * ow) where arg[o] >= 0 {
                                    dst.value[arg[o]] += src.value[o]
                                }
                                continue
                            }
                            let image = dst.value + plane * h * w
                            var o = plane * oh * ow
                            for ys in rowTaps {
                                for xs in columnTaps {
                                    defer { o += 1 }
                                    let count = PoolLayer.divisor(kind, ys, xs)
                                    if count == 0 { continue }
                                    let g = src.value[o] / Float(count)
                                    for a in 0..<ys.count {
                                        let row = (ys.first + a * ys.step) * w
                                        for b in 0..<xs.count { image[row + xs.first + b * xs.step] += g }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        accumulate(&gradients, 0, dx)
    }
}
