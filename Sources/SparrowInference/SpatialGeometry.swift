import SparrowModel

/// Window geometry shared by Conv and the pools: kernel, strides, dilations and padding over one or two
/// spatial dims, resolved against an input size. 1-D problems are lifted to 2-D with a height of 1.
struct WindowAttributes: Sendable {
    let kernel: [Int]?
    let strides: [Int]?
    let dilations: [Int]?
    /// ONNX layout: all begins, then all ends.
    let pads: [Int]?
    let autoPad: String
    let ceilMode: Bool
    static let limit = 1 << 24

    init(_ context: CompileContext, kernelRequired: Bool, allowDilations: Bool = true) throws {
        kernel = try context.ints("kernel_shape")
        if kernelRequired && kernel == nil { throw RuntimeError("attribute 'kernel_shape' is required") }
        strides = try context.ints("strides")
        dilations = allowDilations ? try context.ints("dilations") : nil
        pads = try context.ints("pads")
        autoPad = try context.string("auto_pad", default: "NOTSET")
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
            throw RuntimeError("unknown auto_pad '\(autoPad)'")
        }
        ceilMode = try context.int("ceil_mode", default: 0) != 0
        for (name, list) in [("kernel_shape", kernel), ("strides", strides), ("dilations", dilations)] {
            if let list, list.contains(where: { $0 < 1 }) { throw RuntimeError("\(name) \(list) must be positive") }
        }
        if let pads, pads.contains(where: { $0 < 0 }) { throw RuntimeError("pads \(pads) must not be negative") }
        // Bounding every window attribute keeps the size arithmetic below far from overflow.
        for list in [kernel, strides, dilations, pads] {
            if let list, list.contains(where: { $0 > WindowAttributes.limit }) {
                throw RuntimeError("window attribute \(list) exceeds \(WindowAttributes.limit)")
            }
        }
    }

    /// Resolves the geometry for an input with `spatial` dims, using `kernelShape` if no attribute gave it.
    func resolve(spatial: [Int], kernelShape: [Int]? = nil) throws -> WindowGeometry {
        let rank = spatial.count
        guard rank == 1 || rank == 2 else {
            throw RuntimeError("only 1-D and 2-D spatial inputs are supported, got \(rank) spatial dims")
        }
        guard let k = kernel ?? kernelShape, k.count == rank else {
            throw RuntimeError("kernel_shape must have \(rank) entries")
        }
        let s = strides ?? [Int](repeating: 1, count: rank)
        let d = dilations ?? [Int](repeating: 1, count: rank)
        let p = pads ?? [Int](repeating: 0, count: 2 * rank)
        guard s.count == rank, d.count == rank, p.count == 2 * rank else {
            throw RuntimeError("strides, dilations and pads must have \(rank), \(rank) and \(2 * rank) entries")
        }
        var outs: [Int] = [], begins: [Int] = [], ends: [Int] = []
        for i in 0..<rank {
            let extent = (k[i] - 1) * d[i] + 1
            var out: Int, begin: Int, end: Int
            switch autoPad {
            case "VALID":
                begin = 0; end = 0
                out = spatial[i] >= extent ? (spatial[i] - extent) / s[i] + 1 : 0
            case "SAME_UPPER", "SAME_LOWER":
                out = (spatial[i] + s[i] - 1) / s[i]
                let total = Swift.max(0, (out - 1) * s[i] + extent - spatial[i])
                begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                end = total - begin
            default:
                begin = p[i]; end = p[rank + i]
                let span = spatial[i] + begin + end - extent
                guard span >= 0 else {
                    throw RuntimeError("kernel extent \(extent) exceeds padded input size \(spatial[i] + begin + end)")
                }
                out = (ceilMode ? (span + s[i] - 1) / s[i] : span / s[i]) + 1
                // The last window must start inside the input or its begin padding.
                if ceilMode && (out - 1) * s[i] >= spatial[i] + begin { out -= 1 }
            }
            outs.append(out); begins.append(begin); ends.append(end)
        }
        if rank == 1 {
            return WindowGeometry(inH: 1, inW: spatial[0], kH: 1, kW: k[0], sH: 1, sW: s[0], dH: 1, dW: d[0],
                                  padTop: 0, padLeft: begins[0], padBottom: 0, padRight: ends[0], outH: 1, outW: outs[0])
        }
        return WindowGeometry(inH: spatial[0], inW: spatial[1], kH: k[0], kW: k[1], sH: s[0], sW: s[1],
                              dH: d[0], dW: d[1], padTop: begins[0], padLeft: begins[1],
                              padBottom: ends[0], padRight: ends[1], outH: outs[0], outW: outs[1])
    }
}

struct WindowGeometry: Sendable, Equatable {
    let inH, inW, kH, kW, sH, sW, dH, dW, padTop, padLeft, padBottom, padRight, outH, outW: Int
    var inPlane: Int { inH * inW }
    var outPlane: Int { outH * outW }
}
