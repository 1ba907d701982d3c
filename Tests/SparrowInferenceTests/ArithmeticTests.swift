import SparrowInference
import SparrowModel
import Testing

/// Reference broadcasting loop: numpy semantics via per-element index arithmetic.
func referenceBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let rank = max(a.rank, b.rank)
    let sa = [Int](repeating: 1, count: rank - a.rank) + a.shape
    let sb = [Int](repeating: 1, count: rank - b.rank) + b.shape
    let out = (0..<rank).map { sa[$0] == 1 ? sb[$0] : sa[$0] }
    let ta = Tensor.strides(of: sa), tb = Tensor.strides(of: sb), to = Tensor.strides(of: out)
    let av = a.floats, bv = b.floats
    let values = (0..<out.reduce(1, *)).map { i -> Float in
        var ia = 0, ib = 0
        for d in 0..<rank {
            let c = (i / to[d]) % out[d]
            ia += (sa[d] == 1 ? 0 : c) * ta[d]
            ib += (sb[d] == 1 ? 0 : c) * tb[d]
        }
        return f(av[ia], bv[ib])
    }
    return Tensor(shape: out, floats: values)
}

@Test func addSameShape() throws {
    let y = try run1("Add", [floats([2, 2], [1, 2, 3, 4]), floats([2, 2], [10, 20, 30, 40])])
    #expect(y == floats([2, 2], [11, 22, 33, 44]))
}

@Test(arguments: [
    ([2, 3], [3]), ([2, 3], [1]), ([1], [2, 3]), ([3], [2, 3]), ([2, 1, 4], [3, 1]), ([4, 1, 3, 1], [2, 1, 5]),
    ([2, 3, 4], [2, 3, 4]), ([], [2, 2]), ([5, 1], [1, 6]), ([2, 0, 3], [3]),
])
func broadcastingMatchesReference(shapes: ([Int], [Int])) throws {
    let a = randomTensor(shapes.0, seed: 1), b = randomTensor(shapes.1, seed: 2)
    let ops: [(String, (Float, Float) -> Float)] = [("Add", +), ("Sub", -), ("Mul", *), ("Div", /)]
    for (op, f) in ops {
        let expected = referenceBroadcast(a, b, f)
        let y = try run1(op, [a, b])
        #expect(y.shape == expected.shape, "\(op) \(shapes)")
        #expect(close(y.floats, expected.floats), "\(op) \(shapes)")
    }
}

@Test func int64Arithmetic() throws {
    let a = ints([2, 2], [7, -7, 9, 100]), b = ints([2], [2, 3])
    #expect(try run1("Add", [a, b]) == ints([2, 2], [9, -4, 11, 103]))
    #expect(try run1("Sub", [a, b]) == ints([2, 2], [5, -10, 7, 97]))
    #expect(try run1("Mul", [a, b]) == ints([2, 2], [14, -21, 18, 300]))
    // Integer division truncates toward zero.
    #expect(try run1("Div", [a, b]) == ints([2, 2], [3, -2, 4, 33]))
}

@Test func integerDivisionByZeroIsAnError() {
    expectRuntimeError("division by zero", "node 'n'") {
        _ = try run1("Div", [ints([1], [1]), ints([1], [0])])
    }
}

@Test func mismatchedShapesNameTheNode() {
    expectRuntimeError("node 'n' (Add)", "[2, 3]", "[4]") {
        _ = try run1("Add", [floats([2, 3], [Float](repeating: 0, count: 6)), floats([4], [0, 0, 0, 0])])
    }
}

@Test func mixedTypesAreRejected() {
    expectRuntimeError("different types") {
        _ = try run1("Mul", [floats([1], [1]), ints([1], [1])])
    }
}

@Test func constantOperandIsNotModifiedInPlace() throws {
    // The bias is an initializer: running twice must not accumulate into it.
    let bias = floats([2], [1, 2])
    let x = floats([1, 2], [10, 20])
    let first = try run1("Add", [bias, x], constants: [0: bias])
    let second = try run1("Add", [bias, x], constants: [0: bias])
    #expect(first == floats([1, 2], [11, 22]))
    #expect(second == first)
}
