import SparrowInference
import SparrowModel
import Testing

/// Naive 2-D convolution: x [N, C, H, W], w [M, C/g, kh, kw], explicit pads (top, left, bottom, right).
func naiveConv(_ x: Tensor, _ w: Tensor, _ bias: [Float]?, group: Int, strides: (Int, Int), dilations: (Int, Int),
               pads: (Int, Int, Int, Int)) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let oh = (h + pads.0 + pads.2 - ((kh - 1) * dilations.0 + 1)) / strides.0 + 1
    let ow = (wd + pads.1 + pads.3 - ((kw - 1) * dilations.1 + 1)) / strides.1 + 1
    let xv = x.floats, wv = w.floats
    var y = [Float](repeating: 0, count: n * m * oh * ow)
    let mg = m / group
    for b in 0..<n { for o in 0..<m { for i in 0..<oh { for j in 0..<ow {
        var s = bias?[o] ?? 0
        let gi = o / mg
        for ci in 0..<cg { for p in 0..<kh { for q in 0..<kw {
            let ih = i * strides.0 - pads.0 + p * dilations.0, iw = j * strides.1 - pads.1 + q * dilations.1
            guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
            s += xv[((b * c + gi * cg + ci) * h + ih) * wd + iw] * wv[((o * cg + ci) * kh + p) * kw + q]
        } } }
        y[((b * m + o) * oh + i) * ow + j] = s
    } } } }
    return Tensor(shape: [n, m, oh, ow], floats: y)
}

struct ConvCase: Sendable, CustomStringConvertible {
    var batch = 1, channels = 3, outChannels = 4, h = 7, w = 6, kh = 3, kw = 3
    var group = 1, strides = (1, 1), dilations = (1, 1), pads = (0, 0, 0, 0), bias = true
    var description: String { "N\(batch) C\(channels) M\(outChannels) \(h)x\(w) k\(kh)x\(kw) g\(group) s\(strides) d\(dilations) p\(pads)" }
}

let convCases: [ConvCase] = [
    ConvCase(),
    ConvCase(batch: 3),
    ConvCase(batch: 2, pads: (1, 1, 1, 1)),
    ConvCase(batch: 2, pads: (0, 2, 1, 0), bias: false),
    ConvCase(strides: (2, 3)),
    ConvCase(batch: 2, h: 9, w: 9, dilations: (2, 2), pads: (2, 1, 2, 1)),
    ConvCase(channels: 4, outChannels: 6, group: 2),
    ConvCase(batch: 2, channels: 4, outChannels: 4, group: 4, pads: (1, 1, 1, 1)),
    ConvCase(batch: 2, channels: 5, outChannels: 3, kh: 1, kw: 1),
    ConvCase(batch: 2, channels: 4, outChannels: 6, kh: 1, kw: 1, group: 2),
    ConvCase(batch: 2, channels: 2, kh: 1, kw: 1, strides: (2, 2)),
    ConvCase(h: 1, w: 10, kh: 1, kw: 3, strides: (1, 2), pads: (0, 1, 0, 1)),
    // Stride 1 without padding (im2col's row-copy path), dilated and not, LeNet's 8- and 24-wide rows.
    ConvCase(batch: 2, h: 9, w: 8, dilations: (2, 1)),
    ConvCase(channels: 2, outChannels: 3, h: 12, w: 12, kh: 5, kw: 5),
    ConvCase(channels: 1, outChannels: 2, h: 28, w: 28, kh: 5, kw: 5),
]

@Test(arguments: convCases)
func convMatchesNaiveReference(c: ConvCase) throws {
    let x = randomTensor([c.batch, c.channels, c.h, c.w], seed: 51)
    let w = randomTensor([c.outChannels, c.channels / c.group, c.kh, c.kw], seed: 52)
    let bias = randomFloats(c.outChannels, seed: 53)
    let attributes: [String: Attribute] = [
        "group": .int(Int64(c.group)),
        "strides": .ints([c.strides.0, c.strides.1].map(Int64.init)),
        "dilations": .ints([c.dilations.0, c.dilations.1].map(Int64.init)),
        "pads": .ints([c.pads.0, c.pads.1, c.pads.2, c.pads.3].map(Int64.init)),
    ]
    let y = try run1("Conv", c.bias ? [x, w, floats([c.outChannels], bias)] : [x, w], constants: [1: w], attributes)
    let expected = naiveConv(x, w, c.bias ? bias : nil, group: c.group, strides: c.strides, dilations: c.dilations, pads: c.pads)
    #expect(y.shape == expected.shape)
    #expect(close(y.floats, expected.floats), "\(c)")
}

@Test func conv1DMatchesTheLifted2DReference() throws {
    let x = randomTensor([2, 3, 11], seed: 61), w = randomTensor([4, 3, 3], seed: 62)
    let y = try run1("Conv", [x, w], ["strides": .ints([2]), "pads": .ints([1, 2]), "dilations": .ints([2])])
    let expected = naiveConv(x.reshaped([2, 3, 1, 11]), w.reshaped([4, 3, 1, 3]), nil, group: 1, strides: (1, 2),
                             dilations: (1, 2), pads: (0, 1, 0, 2))
    #expect(y.shape == [2, 4, expected.shape[3]])
    #expect(close(y.floats, expected.floats))
}

@Test(arguments: ["SAME_UPPER", "SAME_LOWER", "VALID"])
func convAutoPad(mode: String) throws {
    let x = randomTensor([1, 2, 6, 5], seed: 71), w = randomTensor([3, 2, 2, 3], seed: 72)
    let y = try run1("Conv", [x, w], ["auto_pad": .string(mode), "strides": .ints([2, 2])])
    // Output ceil(in / stride) for SAME: 3×3; total padding rows (3-1)*2+2-6 = 0, cols (3-1)*2+3-5 = 2.
    let pads = mode == "VALID" ? (0, 0, 0, 0) : (mode == "SAME_UPPER" ? (0, 1, 0, 1) : (0, 1, 0, 1))
    let expected = naiveConv(x, w, nil, group: 1, strides: (2, 2), dilations: (1, 1), pads: pads)
    #expect(y.shape == expected.shape)
    #expect(close(y.floats, expected.floats))
    // Odd total padding: SAME_UPPER puts the extra at the end, SAME_LOWER at the beginning.
    let w2 = randomTensor([1, 2, 2, 2], seed: 73)
    let y2 = try run1("Conv", [x, w2], ["auto_pad": .string(mode)])
    let pads2 = mode == "VALID" ? (0, 0, 0, 0) : (mode == "SAME_UPPER" ? (0, 0, 1, 1) : (1, 1, 0, 0))
    #expect(close(y2.floats, naiveConv(x, w2, nil, group: 1, strides: (1, 1), dilations: (1, 1), pads: pads2).floats))
}

@Test func convRejectsMismatchedChannels() {
    expectRuntimeError("node 'n' (Conv)", "input channels") {
        _ = try run1("Conv", [randomTensor([1, 3, 4, 4], seed: 1), randomTensor([2, 2, 3, 3], seed: 2)])
    }
    expectRuntimeError("exceeds padded input") {
        _ = try run1("Conv", [randomTensor([1, 1, 2, 2], seed: 1), randomTensor([1, 1, 3, 3], seed: 2)])
    }
}

/// One worker, and images split over three workers (each with its own patch matrix).
@Test(arguments: [1, 3])
func convThroughLinearOperator(threads: Int) throws {
    let x = randomTensor([5, 3, 6, 6], seed: 81), w = randomTensor([4, 3, 3, 3], seed: 82)
    let bias = randomFloats(4, seed: 83)
    let op = DenseTestOperator(w: w.floats, out: 4, in: 27, threads: threads)
    let graph = Graph(nodes: [Node(name: "c", opType: "Conv", inputs: ["x", "W", "b"], outputs: ["y"],
                                   attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 0, 1, 0]), "strides": .ints([1, 2])])],
                      initializers: ["b": floats([4], bias)],
                      inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(3), .fixed(6), .fixed(6)])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    let y = try #require(try DenseRuntime(graph: graph, linearOperators: ["W": op]).run(["x": x])["y"])
    let expected = naiveConv(x, w, bias, group: 1, strides: (1, 2), dilations: (1, 1), pads: (1, 0, 1, 0))
    #expect(y.shape == expected.shape)
    #expect(close(y.floats, expected.floats))
}
