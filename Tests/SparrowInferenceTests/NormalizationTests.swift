import Foundation
import SparrowInference
import SparrowModel
import Testing

@Test func batchNormalizationInference() throws {
    let x = randomTensor([2, 3, 2, 2], seed: 101)
    let scale: [Float] = [1, 2, 0.5], bias: [Float] = [0, 1, -1], mean: [Float] = [0.1, -0.2, 0.3], variance: [Float] = [1, 0.5, 2]
    let y = try run1("BatchNormalization", [x, floats([3], scale), floats([3], bias), floats([3], mean), floats([3], variance)],
                     ["epsilon": .float(1e-3)])
    let expected = x.floats.enumerated().map { i, v -> Float in
        let c = (i / 4) % 3
        return scale[c] * (v - mean[c]) / (variance[c] + 1e-3).squareRoot() + bias[c]
    }
    #expect(close(y.floats, expected))
    expectRuntimeError("scale must have shape [3]") {
        _ = try run1("BatchNormalization", [x, floats([2], [1, 1]), floats([3], bias), floats([3], mean), floats([3], variance)])
    }
}

@Test func lrnAcrossChannels() throws {
    let x = randomTensor([1, 5, 2, 1], seed: 102)
    let y = try run1("LRN", [x], ["size": .int(3), "alpha": .float(0.1), "beta": .float(0.75), "bias": .float(2)])
    let v = x.floats
    let expected = (0..<10).map { i -> Float in
        let c = i / 2, p = i % 2
        var sum: Float = 0
        for k in max(0, c - 1)...min(4, c + 1) { sum += v[k * 2 + p] * v[k * 2 + p] }
        let denominator: Float = pow(2 + 0.1 / 3 * sum, 0.75)
        return v[i] / denominator
    }
    #expect(close(y.floats, expected))
    expectRuntimeError("size") { _ = try run1("LRN", [x]) }
}
