import SparrowInference
import SparrowModel
import Testing

/// Naive 2-D pooling over [N, C, H, W] with explicit pads (top, left, bottom, right) and output size.
func naivePool(_ x: Tensor, kernel: (Int, Int), strides: (Int, Int), pads: (Int, Int, Int, Int), out: (Int, Int),
               dilations: (Int, Int) = (1, 1), max: Bool, includePad: Bool = false) -> [Float] {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let v = x.floats
    var y: [Float] = []
    for plane in 0..<(n * c) { for i in 0..<out.0 { for j in 0..<out.1 {
        var values: [Float] = [], padded = 0
        for p in 0..<kernel.0 { for q in 0..<kernel.1 {
            let ih = i * strides.0 - pads.0 + p * dilations.0, iw = j * strides.1 - pads.1 + q * dilations.1
            if ih >= -pads.0 && ih < h + pads.2 && iw >= -pads.1 && iw < w + pads.3 { padded += 1 }
            if ih >= 0 && ih < h && iw >= 0 && iw < w { values.append(v[(plane * h + ih) * w + iw]) }
        } }
        y.append(max ? values.max()! : values.reduce(0, +) / Float(includePad ? padded : values.count))
    } } }
    return y
}

@Test func maxPoolBasicAndPadded() throws {
    let x = randomTensor([2, 3, 6, 7], seed: 91)
    let y = try run1("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
    #expect(y.shape == [2, 3, 3, 3])
    #expect(y.floats == naivePool(x, kernel: (2, 2), strides: (2, 2), pads: (0, 0, 0, 0), out: (3, 3), max: true))
    let p = try run1("MaxPool", [x], ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 1])])
    #expect(p.shape == [2, 3, 3, 7])
    #expect(p.floats == naivePool(x, kernel: (3, 3), strides: (2, 1), pads: (1, 1, 1, 1), out: (3, 7), max: true))
}

/// The vector 2×2 / stride-2 path: 16-wide row pairs, then the scalar tail (19 outputs = 8 + 8 + 3).
@Test func maxPoolTwoByTwoVectorPathMatchesNaive() throws {
    for (h, w) in [(40, 38), (24, 24), (8, 8), (9, 33)] {
        let x = randomTensor([2, 3, h, w], seed: UInt64(h * 100 + w))
        let y = try run1("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        #expect(y.shape == [2, 3, h / 2, w / 2])
        #expect(y.floats == naivePool(x, kernel: (2, 2), strides: (2, 2), pads: (0, 0, 0, 0), out: (h / 2, w / 2), max: true),
                "\(h)×\(w)")
    }
}

@Test func maxPoolCeilModeAndDilations() throws {
    let x = randomTensor([1, 2, 7, 7], seed: 92)
    let y = try run1("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])
    #expect(y.shape == [1, 2, 4, 4])
    #expect(y.floats == naivePool(x, kernel: (2, 2), strides: (2, 2), pads: (0, 0, 0, 0), out: (4, 4), max: true))
    let d = try run1("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "dilations": .ints([2, 3])])
    #expect(d.shape == [1, 2, 5, 4])
    #expect(d.floats == naivePool(x, kernel: (2, 2), strides: (1, 1), pads: (0, 0, 0, 0), out: (5, 4), dilations: (2, 3), max: true))
}

@Test func poolSameUpperAutoPad() throws {
    let x = randomTensor([1, 1, 5, 5], seed: 93)
    let y = try run1("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
    #expect(y.shape == [1, 1, 3, 3])
    #expect(y.floats == naivePool(x, kernel: (2, 2), strides: (2, 2), pads: (0, 0, 1, 1), out: (3, 3), max: true))
}

@Test(arguments: [false, true])
func averagePoolCountIncludePad(include: Bool) throws {
    let x = randomTensor([2, 2, 5, 6], seed: 94)
    let y = try run1("AveragePool", [x], ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1]),
                                          "strides": .ints([2, 2]), "count_include_pad": .int(include ? 1 : 0)])
    #expect(y.shape == [2, 2, 3, 3])
    #expect(close(y.floats, naivePool(x, kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1), out: (3, 3), max: false, includePad: include)))
}

@Test func averagePoolCeilModeDoesNotCountOverhang() throws {
    // 1×1×1×4 input, kernel 3 stride 2 ceil_mode: the second window [2, 5) overhangs the input by one.
    let x = floats([1, 1, 1, 4], [1, 2, 3, 4])
    let y = try run1("AveragePool", [x], ["kernel_shape": .ints([1, 3]), "strides": .ints([1, 2]), "ceil_mode": .int(1),
                                          "count_include_pad": .int(1)])
    #expect(y == floats([1, 1, 1, 2], [2, 3.5]))
}

@Test func pool1D() throws {
    let x = floats([1, 1, 5], [1, 5, 2, 4, 3])
    #expect(try run1("MaxPool", [x], ["kernel_shape": .ints([2]), "strides": .ints([2])]) == floats([1, 1, 2], [5, 4]))
    #expect(try run1("AveragePool", [x], ["kernel_shape": .ints([3])]) == floats([1, 1, 3], [8 / 3, 11 / 3, 3]))
}

@Test func globalAveragePool() throws {
    let x = floats([1, 2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40])
    #expect(try run1("GlobalAveragePool", [x]) == floats([1, 2, 1, 1], [2.5, 25]))
}

@Test func poolErrors() {
    expectRuntimeError("kernel_shape", "required") { _ = try run1("MaxPool", [randomTensor([1, 1, 2, 2], seed: 1)]) }
    expectRuntimeError("Indices") {
        _ = try runOp("MaxPool", inputs: [randomTensor([1, 1, 2, 2], seed: 1)], attributes: ["kernel_shape": .ints([2, 2])], outputs: 2)
    }
    expectRuntimeError("must be 3-D or 4-D", "[1, 1, 2, 2, 2]") {
        _ = try run1("MaxPool", [randomTensor([1, 1, 2, 2, 2], seed: 1)], ["kernel_shape": .ints([2, 2, 2])])
    }
}
