import SparrowInference
import SparrowModel
import Testing

@Test func argMaxAxisKeepdimsAndTies() throws {
    let x = floats([2, 3], [1, 5, 5, 7, 2, 7])
    #expect(try run1("ArgMax", [x], ["axis": .int(1)]) == ints([2, 1], [1, 0]))
    #expect(try run1("ArgMax", [x], ["axis": .int(1), "select_last_index": .int(1)]) == ints([2, 1], [2, 2]))
    #expect(try run1("ArgMax", [x], ["axis": .int(0), "keepdims": .int(0)]) == ints1D([1, 0, 1]))
    #expect(try run1("ArgMax", [x], ["axis": .int(-1), "keepdims": .int(0)]) == ints1D([1, 0]))
    #expect(try run1("ArgMax", [ints1D([3, 9, 2])]) == ints1D([1]))
    expectRuntimeError("empty axis") { _ = try run1("ArgMax", [floats([2, 0], [])], ["axis": .int(1)]) }
}

@Test func reduceMeanAttributeAndInputForms() throws {
    let x = floats([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try run1("ReduceMean", [x], ["axes": .ints([1])], opset: 13) == floats([2, 1], [2, 5]))
    #expect(try run1("ReduceMean", [x], ["axes": .ints([0]), "keepdims": .int(0)], opset: 13) == floats([3], [2.5, 3.5, 4.5]))
    #expect(try run1("ReduceMean", [x], opset: 13) == floats([1, 1], [3.5]))
    #expect(try run1("ReduceMean", [x, ints1D([-1])], opset: 18) == floats([2, 1], [2, 5]))
    #expect(try run1("ReduceMean", [x], ["keepdims": .int(0)], opset: 18) == floats([], [3.5]))
    #expect(try run1("ReduceMean", [x, ints1D([])], ["noop_with_empty_axes": .int(1)], opset: 18) == x)
}
