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
        let (oh, ow) = outHW
        var y = [Float](repeating: 0, count: n * c * oh * ow)
        if case .max = kind { argmax = [Int](repeating: -1, count: y.count) }
        for plane in 0..<(n * c) {
            let base = plane * h * w
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let o = (plane * oh + oy) * ow + ox
                    var best = -Float.infinity, bestAt = -1, sum: Float = 0, inside = 0, padded = 0
                    for ki in 0..<win.kernel.h {
                        let iy = oy * win.stride.h - win.pads.t + ki * win.dilation.h
                        for kj in 0..<win.kernel.w {
                            let ix = ox * win.stride.w - win.pads.l + kj * win.dilation.w
                            if iy >= -win.pads.t && iy < h + win.pads.b && ix >= -win.pads.l && ix < w + win.pads.r { padded += 1 }
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            let v = x.data[base + iy * w + ix]
                            inside += 1
                            sum += v
                            if v > best || bestAt < 0 { best = v; bestAt = base + iy * w + ix }
                        }
                    }
                    switch kind {
                    case .max:
                        y[o] = bestAt < 0 ? 0 : best
                        argmax[o] = bestAt
                    case .average(let includePad):
                        let count = includePad ? padded : inside
                        y[o] = count == 0 ? 0 : sum / Float(count)
                    case .globalAverage:
                        y[o] = inside == 0 ? 0 : sum / Float(inside)
                    }
                }
            }
        }
        values[outputSlots[0]] = Activation(shape: [n, c, oh, ow], data: y)
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard wants(0, needsGradient), let win = window else { return }
        let dy = outputGradient(values, gradients)
        let (n, c, h, w) = (inShape[0], inShape[1], inShape[2], inShape[3])
        var dx = [Float](repeating: 0, count: n * c * h * w)
        if case .max = kind {
            for o in 0..<dy.count where argmax[o] >= 0 { dx[argmax[o]] += dy[o] }
            accumulate(&gradients, 0, dx)
            return
        }
        var includePad = false
        if case .average(let flag) = kind { includePad = flag }
        let (oh, ow) = outHW
        for plane in 0..<(n * c) {
            let base = plane * h * w
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var inside: [Int] = [], padded = 0
                    for ki in 0..<win.kernel.h {
                        let iy = oy * win.stride.h - win.pads.t + ki * win.dilation.h
                        for kj in 0..<win.kernel.w {
                            let ix = ox * win.stride.w - win.pads.l + kj * win.dilation.w
                            if iy >= -win.pads.t && iy < h + win.pads.b && ix >= -win.pads.l && ix < w + win.pads.r { padded += 1 }
                            if iy >= 0, iy < h, ix >= 0, ix < w { inside.append(base + iy * w + ix) }
                        }
                    }
                    let count = includePad ? padded : inside.count
                    if count == 0 { continue }
                    let g = dy[(plane * oh + oy) * ow + ox] / Float(count)
                    for i in inside { dx[i] += g }
                }
            }
        }
        accumulate(&gradients, 0, dx)
    }
}
