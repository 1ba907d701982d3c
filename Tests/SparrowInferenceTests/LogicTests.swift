import SparrowInference
import SparrowModel
import Testing

@Test func comparisonsGiveBoolsAndNaNComparesFalse() throws {
    let a = floats([2, 2], [1, .nan, 3, 0]), b = floats([2], [1, 2])
    #expect(try run1("Equal", [a, b]) == ints([2, 2], [1, 0, 0, 0]))
    #expect(try run1("Greater", [a, b]) == ints([2, 2], [0, 0, 1, 0]))
    #expect(try run1("LessOrEqual", [a, b]) == ints([2, 2], [1, 0, 0, 1]))
    #expect(try run1("Less", [ints1D([1, 5]), ints1D([3])]) == ints1D([1, 0]))
    #expect(throws: (any Error).self) { try run1("Equal", [floats([1], [1]), ints1D([1])]) }
}

@Test func logicOpsOnBools() throws {
    let a = ints1D([0, 0, 1, 1]), b = ints1D([0, 1, 0, 1])
    #expect(try run1("And", [a, b]) == ints1D([0, 0, 0, 1]))
    #expect(try run1("Or", [a, b]) == ints1D([0, 1, 1, 1]))
    #expect(try run1("Xor", [a, b]) == ints1D([0, 1, 1, 0]))
    #expect(try run1("Not", [a]) == ints1D([1, 1, 0, 0]))
    #expect(throws: (any Error).self) { try run1("And", [floats([1], [1]), ints1D([1])]) }
}

@Test func whereBroadcastsAllThreeOperands() throws {
    // condition [2,1], X [3], Y scalar → [2,3]
    let y = try run1("Where", [ints([2, 1], [1, 0]), floats([3], [1, 2, 3]), floats([], [-1])])
    #expect(y == floats([2, 3], [1, 2, 3, -1, -1, -1]))
    #expect(throws: (any Error).self) { try run1("Where", [ints1D([1, 0]), floats([3], [1, 2, 3]), floats([1], [0])]) }
    #expect(throws: (any Error).self) { try run1("Where", [ints1D([1]), floats([1], [1]), ints1D([0])]) }
}

@Test func expandBroadcastsBothWays() throws {
    // [3,1] with shape [2,1,4] → [2,3,4]; a 1 in the requested shape keeps the input's size.
    let x = floats([3, 1], [1, 2, 3])
    let y = try run1("Expand", [x, ints1D([2, 1, 4])], constants: [1: ints1D([2, 1, 4])])
    #expect(y == floats([2, 3, 4], Array(repeating: [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], count: 2).flatMap { $0 }))
    #expect(throws: (any Error).self) { try run1("Expand", [x, ints1D([2, 2])], constants: [1: ints1D([2, 2])]) }
    #expect(throws: (any Error).self) { try run1("Expand", [x, ints1D([-1, 1])], constants: [1: ints1D([-1, 1])]) }
}
