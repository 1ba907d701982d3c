import SparrowInference
import SparrowModel
import Testing

@Test func flattenAxes() throws {
    let x = randomTensor([2, 3, 4], seed: 1)
    #expect(try run1("Flatten", [x]).shape == [2, 12])
    #expect(try run1("Flatten", [x], ["axis": .int(0)]).shape == [1, 24])
    #expect(try run1("Flatten", [x], ["axis": .int(-1)]).shape == [6, 4])
    #expect(try run1("Flatten", [x], ["axis": .int(3)]).shape == [24, 1])
    #expect(try run1("Flatten", [x]).floats == x.floats)
}

@Test func reshapeZeroAndMinusOne() throws {
    let x = randomTensor([2, 3, 4], seed: 2)
    #expect(try run1("Reshape", [x, ints1D([0, -1])]).shape == [2, 12])
    #expect(try run1("Reshape", [x, ints1D([-1, 2, 2])]).shape == [6, 2, 2])
    #expect(try run1("Reshape", [x, ints1D([4, 0, 2])]).shape == [4, 3, 2])
    #expect(try run1("Reshape", [x], ["shape": .ints([24])], opset: 4).shape == [24])
    let empty = floats([0, 3], [])
    #expect(try run1("Reshape", [empty, ints1D([3, 0])], ["allowzero": .int(1)], opset: 14).shape == [3, 0])
    expectRuntimeError("cannot reshape") { _ = try run1("Reshape", [x, ints1D([5, -1])]) }
    expectRuntimeError("more than one -1") { _ = try run1("Reshape", [x, ints1D([-1, -1])]) }
    expectRuntimeError("negative") { _ = try run1("Reshape", [x, ints1D([-2, 12])]) }
}

@Test func squeezeAndUnsqueezeAcrossOpsets() throws {
    let x = randomTensor([1, 3, 1, 2], seed: 3)
    #expect(try run1("Squeeze", [x], opset: 11).shape == [3, 2])
    #expect(try run1("Squeeze", [x], ["axes": .ints([-2])], opset: 11).shape == [1, 3, 2])
    #expect(try run1("Squeeze", [x, ints1D([0])], opset: 13).shape == [3, 1, 2])
    #expect(try run1("Squeeze", [x], opset: 13).shape == [3, 2])
    expectRuntimeError("cannot squeeze axis 1") { _ = try run1("Squeeze", [x, ints1D([1])], opset: 13) }
    let v = floats([3], [1, 2, 3])
    #expect(try run1("Unsqueeze", [v], ["axes": .ints([0, 2])], opset: 11).shape == [1, 3, 1])
    #expect(try run1("Unsqueeze", [v, ints1D([-1])], opset: 13).shape == [3, 1])
    #expect(try run1("Unsqueeze", [v, ints1D([0, -1])], opset: 13).shape == [1, 3, 1])
    expectRuntimeError("duplicates") { _ = try run1("Unsqueeze", [v, ints1D([0, -3])], opset: 13) }
}

@Test func identityDropoutAndShape() throws {
    let x = randomTensor([2, 5], seed: 4)
    #expect(try run1("Identity", [x]) == x)
    let dropped = try runOp("Dropout", inputs: [x, .scalar(Float(0.5))], outputs: 2, opset: 13)
    #expect(dropped[0] == x)
    #expect(dropped[1] == ints([2, 5], [Int64](repeating: 1, count: 10)))
    let s = randomTensor([2, 3, 4, 5], seed: 5)
    #expect(try run1("Shape", [s]) == ints1D([2, 3, 4, 5]))
    #expect(try run1("Shape", [s], ["start": .int(1), "end": .int(-1)], opset: 15) == ints1D([3, 4]))
    #expect(try run1("Shape", [s], ["start": .int(-10), "end": .int(10)], opset: 15) == ints1D([2, 3, 4, 5]))
    #expect(try run1("Shape", [s], ["start": .int(3), "end": .int(1)], opset: 15) == ints1D([]))
}
