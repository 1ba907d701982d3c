import SparrowModel

/// The geometry of a 2-D sliding window (convolution or pooling) over NCHW input, from ONNX's
/// kernel_shape / strides / pads / dilations / auto_pad / ceil_mode attributes.
struct Window2D: Equatable {
    var kernel: (h: Int, w: Int)
    var stride: (h: Int, w: Int)
    var dilation: (h: Int, w: Int)
    /// top, left, bottom, right
    var pads: (t: Int, l: Int, b: Int, r: Int)
    var ceilMode: Bool

    static func == (x: Window2D, y: Window2D) -> Bool {
        x.kernel == y.kernel && x.stride == y.stride && x.dilation == y.dilation && x.pads == y.pads
            && x.ceilMode == y.ceilMode
    }

    init(node: Node, kernel: (Int, Int), inputHW: (Int, Int)) throws {
        let name = node.displayName
        let strides = node.ints("strides") ?? [1, 1]
        let dilations = node.ints("dilations") ?? [1, 1]
        guard strides.count == 2, dilations.count == 2, strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }),
              kernel.0 > 0, kernel.1 > 0 else {
            throw TrainingError.unsupportedOperator(node: name, reason: "only 2-D windows with positive kernel, strides and dilations")
        }
        self.kernel = kernel
        stride = (strides[0], strides[1])
        dilation = (dilations[0], dilations[1])
        ceilMode = node.int("ceil_mode", default: 0) != 0
        let autoPad = node.string("auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET", "":
            let p = node.ints("pads") ?? [0, 0, 0, 0]
            guard p.count == 4, p.allSatisfy({ $0 >= 0 }) else {
                throw TrainingError.unsupportedOperator(node: name, reason: "pads must hold 4 non-negative values")
            }
            pads = (p[0], p[1], p[2], p[3])
        case "VALID":
            pads = (0, 0, 0, 0)
        case "SAME_UPPER", "SAME_LOWER":
            func split(_ size: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (size + s - 1) / s
                let total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
                return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let (t, b) = split(inputHW.0, kernel.0, strides[0], dilations[0])
            let (l, r) = split(inputHW.1, kernel.1, strides[1], dilations[1])
            pads = (t, l, b, r)
        default:
            throw TrainingError.unsupportedOperator(node: name, reason: "auto_pad \(autoPad)")
        }
    }

    func outputSize(_ h: Int, _ w: Int) -> (h: Int, w: Int) {
        func size(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ p0: Int, _ p1: Int) -> Int {
            let span = n + p0 + p1 - ((k - 1) * d + 1)
            if span < 0 { return 0 }
            var out = (ceilMode ? (span + s - 1) / s : span / s) + 1
            // With ceil_mode the last window must still start inside the input or the left pad.
            if ceilMode && (out - 1) * s >= n + p0 { out -= 1 }
            return out
        }
        return (size(h, kernel.h, stride.h, dilation.h, pads.t, pads.b),
                size(w, kernel.w, stride.w, dilation.w, pads.l, pads.r))
    }
}
