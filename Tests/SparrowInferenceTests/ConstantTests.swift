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

@Test func castToNarrowTypesRoundsAndWrapsAsOnnxruntime() throws {
    // Values onnxruntime gives for the same casts.
    let wide = ints1D([-1, 300, 255, 70000, 8_589_934_597, -129])
    #expect(try run1("Cast", [wide], ["to": .int(2)]) == ints1D([255, 44, 255, 112, 5, 127]))          // uint8
    #expect(try run1("Cast", [wide], ["to": .int(3)]) == ints1D([-1, 44, -1, 112, 5, 127]))            // int8
    #expect(try run1("Cast", [wide], ["to": .int(4)]) == ints1D([65535, 300, 255, 4464, 5, 65407]))    // uint16
    #expect(try run1("Cast", [wide], ["to": .int(5)]) == ints1D([-1, 300, 255, 4464, 5, -129]))        // int16
    #expect(try run1("Cast", [wide], ["to": .int(6)]) == ints1D([-1, 300, 255, 70000, 5, -129]))      // int32
    #expect(try run1("Cast", [wide], ["to": .int(12)]) == ints1D([4_294_967_295, 300, 255, 70000, 5, 4_294_967_167]))  // uint32
    #expect(try run1("Cast", [floats([2], [-141.3, 300.9])], ["to": .int(3)]) == ints1D([115, 44]))
    // float16 and bfloat16 round to nearest even and overflow to infinity.
    let f = floats([5], [3.14159265, 0.1, 1000.7, 70000, -70000])
    #expect(try run1("Cast", [f], ["to": .int(10)]) == floats([5], [3.140625, 0.0999755859375, 1000.5, .infinity, -.infinity]))
    #expect(try run1("Cast", [f], ["to": .int(16)]) == floats([5], [3.140625, 0.10009765625, 1000, 70144, -70144]))
    #expect(try run1("Cast", [ints1D([65519, 65520])], ["to": .int(10)]) == floats([2], [65504, .infinity]))
    guard case .float32(let nan) = try run1("Cast", [floats([1], [.nan])], ["to": .int(16)]).storage else { return }
    #expect(nan[0].isNaN)
}
