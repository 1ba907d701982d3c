import Foundation
import SparrowInference
import SparrowModel
import Testing

@Test func unaryMathFollowsIEEEAtTheEdges() throws {
    let x = floats([6], [0, -0.0, -1, 4, .infinity, .nan])
    let log = try run1("Log", [x]).floats
    #expect(log[0] == -.infinity && log[1] == -.infinity && log[2].isNaN && log[3] == Float(Foundation.log(4.0)))
    let sqrt = try run1("Sqrt", [x]).floats
    #expect(sqrt[2].isNaN && sqrt[3] == 2 && sqrt[4] == .infinity && sqrt[5].isNaN)
    #expect(try run1("Reciprocal", [x]).floats[0...1] == [.infinity, -.infinity])
    #expect(try run1("Round", [floats([5], [0.5, 1.5, 2.5, -0.5, -2.6])]) == floats([5], [0, 2, 2, -0, -3]))
    // Softplus stays finite where log(1 + e^x) computed naively overflows.
    let softplus = try run1("Softplus", [floats([2], [100, -100])]).floats
    #expect(softplus[0] == 100 && softplus[1] > 0 && softplus[1] < 1e-40)
}

@Test func negAbsSignKeepTheirIntegerType() throws {
    let x = ints1D([0, 5, -7, .min])
    #expect(try run1("Neg", [x]) == ints1D([0, -5, 7, .min]))  // wraps, as C++ does
    #expect(try run1("Abs", [x]) == ints1D([0, 5, 7, .min]))
    #expect(try run1("Sign", [x]) == ints1D([0, 1, -1, -1]))
    #expect(try run1("Sign", [floats([3], [-0.0, 2, -3])]) == floats([3], [0, 1, -1]))
}

@Test func geluMatchesItsDefinitions() throws {
    let x: [Float] = [-3, -1, 0, 0.5, 2]
    let exact = try run1("Gelu", [floats([5], x)], opset: 20).floats
    let tanh = try run1("Gelu", [floats([5], x)], ["approximate": .string("tanh")], opset: 20).floats
    for (i, v) in x.enumerated() {
        let d = Double(v)
        #expect(abs(Double(exact[i]) - 0.5 * d * (1 + erf(d / 2.0.squareRoot()))) < 1e-6)
        #expect(abs(Double(tanh[i]) - 0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))) < 1e-6)
    }
    #expect(throws: (any Error).self) { try run1("Gelu", [floats([1], [1])], ["approximate": .string("fast")], opset: 20) }
}

@Test func variadicOpsBroadcastAndPropagateNaN() throws {
    let a = floats([2, 2], [1, .nan, 3, -4]), b = floats([2], [2, 0])
    let mn = try run1("Min", [a, b]).floats
    #expect(mn[0] == 1 && mn[1].isNaN && mn[2] == 2 && mn[3] == -4)
    #expect(try run1("Mean", [floats([2], [1, 3]), floats([1], [5]), floats([2], [0, 1])]) == floats([2], [2, 3]))
    #expect(try run1("Max", [ints1D([1, 9]), ints1D([4, 2])]) == ints1D([4, 9]))
    #expect(try run1("Sum", [floats([2], [1, 2]), floats([1], [10]), floats([2], [0.5, 0.25])]) == floats([2], [11.5, 12.25]))
    #expect(throws: (any Error).self) { try run1("Sum", [floats([1], [1]), ints1D([1])]) }
}

@Test func powAndPReluBroadcast() throws {
    #expect(try run1("Pow", [floats([2, 2], [2, 3, 4, 9]), ints1D([2, 0])]) == floats([2, 2], [4, 1, 16, 1]))
    let y = try run1("PRelu", [floats([2, 2], [-1, -2, 3, -4]), floats([2], [0.5, 2])])
    #expect(y == floats([2, 2], [-0.5, -4, 3, -8]))
    // The slope must broadcast to X, not widen it.
    #expect(throws: (any Error).self) { try run1("PRelu", [floats([2], [-1, 1]), floats([2, 2], [1, 1, 1, 1])]) }
}
