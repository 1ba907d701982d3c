import Foundation
import SparrowInference
import SparrowModel
import Testing

@Test func reluLeakyReluSigmoidTanh() throws {
    let x = floats([4], [-2, -0.5, 0, 3])
    #expect(try run1("Relu", [x]) == floats([4], [0, 0, 0, 3]))
    #expect(try run1("LeakyRelu", [x], ["alpha": .float(0.1)]) == floats([4], [-0.2, -0.05, 0, 3]))
    #expect(try run1("LeakyRelu", [x]).floats[0] == -0.02)
    #expect(close(try run1("Sigmoid", [x]).floats, x.floats.map { 1 / (1 + exp(-$0)) }))
    #expect(close(try run1("Tanh", [x]).floats, x.floats.map { tanh($0) }))
}

@Test func sigmoidIsStableForLargeMagnitudes() throws {
    let y = try run1("Sigmoid", [floats([2], [-200, 200])]).floats
    #expect(y == [0, 1])
}

@Test func clipAttributesBeforeOpset11() throws {
    let x = floats([4], [-2, -0.5, 0.5, 3])
    #expect(try run1("Clip", [x], ["min": .float(-1), "max": .float(1)], opset: 6) == floats([4], [-1, -0.5, 0.5, 1]))
    #expect(try run1("Clip", [x], ["max": .float(0)], opset: 6) == floats([4], [-2, -0.5, 0, 0]))
}

@Test func clipInputsFromOpset11() throws {
    let x = floats([4], [-2, -0.5, 0.5, 3])
    #expect(try run1("Clip", [x, .scalar(Float(-1)), .scalar(Float(1))], opset: 13) == floats([4], [-1, -0.5, 0.5, 1]))
    // Omitted min: only the max applies.
    #expect(try run1("Clip", [x, nil, .scalar(Float(0))], opset: 13) == floats([4], [-2, -0.5, 0, 0]))
    #expect(try run1("Clip", [x], opset: 13) == x)
}

/// Reference softmax over `count` values `stride` apart.
func referenceSoftmax(_ v: [Float], outer: Int, count: Int, inner: Int, log: Bool) -> [Float] {
    var out = v
    for o in 0..<outer {
        for i in 0..<inner {
            let idx = (0..<count).map { o * count * inner + $0 * inner + i }
            let m = idx.map { v[$0] }.max()!
            let s = idx.map { exp(v[$0] - m) }.reduce(0, +)
            for j in idx { out[j] = log ? v[j] - m - Foundation.log(s) : exp(v[j] - m) / s }
        }
    }
    return out
}

@Test(arguments: [false, true])
func softmaxAxisSemanticsAcrossOpsets(log: Bool) throws {
    let op = log ? "LogSoftmax" : "Softmax"
    let x = randomTensor([2, 3, 4], seed: 7)
    // Opset 13: along the single axis (default -1).
    #expect(close(try run1(op, [x], opset: 13).floats, referenceSoftmax(x.floats, outer: 6, count: 4, inner: 1, log: log)))
    #expect(close(try run1(op, [x], ["axis": .int(1)], opset: 13).floats,
                  referenceSoftmax(x.floats, outer: 2, count: 3, inner: 4, log: log)))
    // Opset 11: coerced to 2-D at axis (default 1): normalises over the flattened 3×4 tail.
    #expect(close(try run1(op, [x], opset: 11).floats, referenceSoftmax(x.floats, outer: 2, count: 12, inner: 1, log: log)))
    #expect(close(try run1(op, [x], ["axis": .int(-1)], opset: 11).floats,
                  referenceSoftmax(x.floats, outer: 6, count: 4, inner: 1, log: log)))
}

@Test func softmaxRejectsBadAxisAndIntegers() {
    expectRuntimeError("axis 3", "rank 2") { _ = try run1("Softmax", [floats([1, 2], [0, 0])], ["axis": .int(3)]) }
    expectRuntimeError("float32") { _ = try run1("Relu", [ints([1], [1])]) }
}
