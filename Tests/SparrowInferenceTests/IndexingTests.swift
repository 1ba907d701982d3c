import SparrowInference
import SparrowModel
import Testing

@Test func transposeDefaultAndPermuted() throws {
    let x = floats([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try run1("Transpose", [x]) == floats([3, 2], [1, 4, 2, 5, 3, 6]))
    let y = randomTensor([2, 3, 4], seed: 6)
    let t = try run1("Transpose", [y], ["perm": .ints([1, 2, 0])])
    #expect(t.shape == [3, 4, 2])
    let v = y.floats
    #expect(t.floats[((2 * 4) + 1) * 2 + 1] == v[(1 * 3 + 2) * 4 + 1])
    expectRuntimeError("permutation") { _ = try run1("Transpose", [y], ["perm": .ints([0, 0, 1])]) }
}

@Test func concatAxes() throws {
    let a = floats([2, 2], [1, 2, 3, 4]), b = floats([2, 1], [9, 8])
    #expect(try run1("Concat", [a, b], ["axis": .int(1)]) == floats([2, 3], [1, 2, 9, 3, 4, 8]))
    #expect(try run1("Concat", [a, a], ["axis": .int(-2)]) == floats([4, 2], [1, 2, 3, 4, 1, 2, 3, 4]))
    #expect(try run1("Concat", [ints1D([1]), ints1D([]), ints1D([2, 3])], ["axis": .int(0)]) == ints1D([1, 2, 3]))
    expectRuntimeError("differ outside axis") { _ = try run1("Concat", [a, b], ["axis": .int(0)]) }
}

@Test func gatherAxesAndNegativeIndices() throws {
    let x = floats([3, 2], [1, 2, 3, 4, 5, 6])
    #expect(try run1("Gather", [x, ints1D([2, -3])]) == floats([2, 2], [5, 6, 1, 2]))
    #expect(try run1("Gather", [x, ints([2, 2], [1, 0, 0, 1])], ["axis": .int(1)]) == floats([3, 2, 2], [2, 1, 1, 2, 4, 3, 3, 4, 6, 5, 5, 6]))
    #expect(try run1("Gather", [x, ints([], [1])]) == floats([2], [3, 4]))
    expectRuntimeError("index 3 is out of range") { _ = try run1("Gather", [x, ints1D([3])]) }
}

@Test func sliceInputsAndClamping() throws {
    let x = floats([3, 4], (0..<12).map(Float.init))
    #expect(try run1("Slice", [x, ints1D([1]), ints1D([3])]) == floats([2, 4], (4..<12).map(Float.init)))
    #expect(try run1("Slice", [x, ints1D([0, 1]), ints1D([Int64.max, -1]), ints1D([0, 1])]) == floats([3, 2], [1, 2, 5, 6, 9, 10]))
    // Negative step walks backwards; out-of-range starts clamp.
    #expect(try run1("Slice", [x, ints1D([100]), ints1D([-100]), ints1D([1]), ints1D([-2])]) == floats([3, 2], [3, 1, 7, 5, 11, 9]))
    #expect(try run1("Slice", [x, ints1D([2]), ints1D([1]), ints1D([-1])]).shape == [3, 0])
    // Opset 9: attributes.
    #expect(try run1("Slice", [x], ["starts": .ints([1]), "ends": .ints([2]), "axes": .ints([0])], opset: 9) == floats([1, 4], [4, 5, 6, 7]))
    expectRuntimeError("step must not be 0") { _ = try run1("Slice", [x, ints1D([0]), ints1D([1]), ints1D([0]), ints1D([0])]) }
}

@Test func padModes() throws {
    let x = floats([2, 3], [1, 2, 3, 4, 5, 6])
    let pads = ints1D([0, 2, 1, 1])
    #expect(try run1("Pad", [x, pads, .scalar(Float(9))], opset: 13)
        == floats([3, 6], [9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9]))
    #expect(try run1("Pad", [x, pads], ["mode": .string("edge")], opset: 13)
        == floats([3, 6], [1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6]))
    #expect(try run1("Pad", [x, pads], ["mode": .string("reflect")], opset: 13)
        == floats([3, 6], [3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2]))
    // Opset 2: pads and value as attributes; negative pads crop.
    #expect(try run1("Pad", [x], ["pads": .ints([0, -1, 0, 1]), "value": .float(7)], opset: 2) == floats([2, 3], [2, 3, 7, 5, 6, 7]))
    // Opset 18 axes input.
    #expect(try run1("Pad", [x, ints1D([1, 0]), nil, ints1D([0])], opset: 18) == floats([3, 3], [0, 0, 0, 1, 2, 3, 4, 5, 6]))
    #expect(try run1("Pad", [ints1D([1, 2]), ints1D([1, 1]), ints([], [5])], opset: 13) == ints1D([5, 1, 2, 5]))
}

@Test func arrayFeatureExtractorLikeSkl2onnx() throws {
    // classes [3] gathered by argmax [N, 1] → [1, N].
    let classes = ints1D([10, 20, 30])
    let y = try run1("ArrayFeatureExtractor", [classes, ints([2, 1], [2, 0])], domain: "ai.onnx.ml")
    #expect(y == ints([1, 2], [30, 10]))
    let x = floats([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try run1("ArrayFeatureExtractor", [x, ints1D([2, 2, 0])], domain: "ai.onnx.ml") == floats([2, 3], [3, 3, 1, 6, 6, 4]))
    expectRuntimeError("out of range") { _ = try run1("ArrayFeatureExtractor", [classes, ints1D([3])], domain: "ai.onnx.ml") }
}

@Test func hostileSizesAreErrorsNotCrashes() {
    let x = floats([2, 3], [1, 2, 3, 4, 5, 6])
    // Extreme slice steps and bounds.
    #expect((try? run1("Slice", [x, ints1D([0]), ints1D([Int64.max]), ints1D([1]), ints1D([Int64.max])]))
        == floats([2, 1], [1, 4]))
    #expect((try? run1("Slice", [x, ints1D([Int64.max]), ints1D([Int64.min]), ints1D([1]), ints1D([Int64.min])]))
        == floats([2, 1], [3, 6]))
    expectRuntimeError("pads") { _ = try run1("Pad", [x, ints1D([0, Int64.max, 0, Int64.max])], opset: 13) }
    expectRuntimeError("too large") { _ = try run1("Pad", [x, ints1D([0, 1 << 40, 0, 0])], opset: 13) }
    expectRuntimeError("too large") {
        _ = try run1("Gather", [floats([1, 1 << 16], [Float](repeating: 0, count: 1 << 16)),
                                ints1D([Int64](repeating: 0, count: 1 << 16))])
    }
    expectRuntimeError("exceeds") {
        _ = try run1("MaxPool", [floats([1, 1, 2, 2], [1, 2, 3, 4])], ["kernel_shape": .ints([2, 2]), "strides": .ints([Int64.max, 1])])
    }
    expectRuntimeError("group") {
        _ = try run1("Conv", [floats([1, 2, 2, 2], [Float](repeating: 1, count: 8)), floats([1, 1, 1, 1], [1])],
                     ["group": .int(Int64.max)])
    }
}
