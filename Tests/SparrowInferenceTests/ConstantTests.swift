import SparrowInference
import SparrowModel
import Testing

@Test func constantForms() throws {
    #expect(try runOp("Constant", inputs: [], attributes: ["value": .tensor(floats([2], [1, 2]))])[0] == floats([2], [1, 2]))
    #expect(try runOp("Constant", inputs: [], attributes: ["value_float": .float(3)])[0] == .scalar(Float(3)))
    #expect(try runOp("Constant", inputs: [], attributes: ["value_floats": .floats([1, 2])])[0] == floats([2], [1, 2]))
    #expect(try runOp("Constant", inputs: [], attributes: ["value_int": .int(4)])[0] == .scalar(Int64(4)))
    #expect(try runOp("Constant", inputs: [], attributes: ["value_ints": .ints([5, 6])])[0] == ints1D([5, 6]))
    expectRuntimeError("exactly one") { _ = try runOp("Constant", inputs: [], attributes: ["value_string": .string("x")]) }
}

@Test func constantOfShape() throws {
    #expect(try run1("ConstantOfShape", [ints1D([2, 2])]) == floats([2, 2], [0, 0, 0, 0]))
    #expect(try run1("ConstantOfShape", [ints1D([3])], ["value": .tensor(ints([1], [7]))]) == ints1D([7, 7, 7]))
    #expect(try run1("ConstantOfShape", [ints1D([])], ["value": .tensor(floats([1], [2]))]) == .scalar(Float(2)))
    expectRuntimeError("negative dimension") { _ = try run1("ConstantOfShape", [ints1D([-1])]) }
    expectRuntimeError("too large") { _ = try run1("ConstantOfShape", [ints1D([1 << 40, 1 << 40])]) }
}

@Test func castBetweenFloatAndIntegerTypes() throws {
    let x = floats([5], [1.9, -1.9, 0, 3, -0.5])
    #expect(try run1("Cast", [x], ["to": .int(7)]) == ints1D([1, -1, 0, 3, 0]))
    #expect(try run1("Cast", [x], ["to": .int(6)]) == ints1D([1, -1, 0, 3, 0]))
    #expect(try run1("Cast", [x], ["to": .int(9)]) == ints1D([1, 1, 0, 1, 1]))
    #expect(try run1("Cast", [ints1D([2, -3])], ["to": .int(1)]) == floats([2], [2, -3]))
    #expect(try run1("Cast", [x], ["to": .int(11)]) == x)
    // Non-finite values do not trap.
    #expect(try run1("Cast", [floats([2], [.nan, .infinity])], ["to": .int(7)]) == ints1D([Int64.min, Int64.min]))
    expectRuntimeError("element type 8") { _ = try run1("Cast", [x], ["to": .int(8)]) }
}
