import SparrowModel
import SparrowTraining
import Testing

/// Compares every parameter gradient of a graph with central finite differences of the loss.
/// Layers without parameters (pooling, Relu, reshapes, Softmax, Dropout) sit between parameterised
/// ones, so their backward passes are checked through the gradients flowing to earlier weights.
func checkGradients(_ graph: Graph, data: LabeledData, step h: Float = 1e-2, tolerance: Float = 3e-2,
                    sampleLimit: Int = 12) throws {
    let net = try TrainableNetwork(graph: graph)
    var g = SeededGenerator(seed: 1)
    let analytic = try net.gradients(batch: data.features, labels: data.labels, generator: &g).gradients
    var checked = 0
    for (p, parameter) in net.parameters.enumerated() {
        let original = try #require(net.value(of: parameter.name))
        let stride = max(1, original.count / sampleLimit)
        for i in Swift.stride(from: 0, to: original.count, by: stride) {
            func loss(_ delta: Float) throws -> Float {
                var w = original
                w[i] += delta
                try net.setValue(w, of: parameter.name)
                var gen = SeededGenerator(seed: 1)
                return try net.gradients(batch: data.features, labels: data.labels, generator: &gen).loss
            }
            let (plus, minus, zero) = (try loss(h), try loss(-h), try loss(0))
            let numeric = (plus - minus) / (2 * h)
            let a = analytic[p][i]
            func close(_ n: Float) -> Bool { abs(a - n) <= tolerance * max(abs(a), abs(n), 1e-2) }
            // Near a Relu or max-pool kink the central difference straddles two linear pieces;
            // then one of the one-sided differences still measures the slope the backward pass takes.
            #expect(close(numeric) || close((plus - zero) / h) || close((zero - minus) / h),
                    "\(parameter.name)[\(i)]: analytic \(a), numeric \(numeric)")
            checked += 1
        }
        try net.setValue(original, of: parameter.name)
    }
    #expect(checked > 0)
}

@Test func gemmMatMulAddReluSoftmaxGradients() throws {
    let data = try TestData.random(count: 5, sampleShape: [6], classes: 3, seed: 2)
    try checkGradients(TestData.mlp(inputs: 6, hidden: 5, classes: 3), data: data, step: 1e-3)
}

@Test func gemmAlphaBetaAndBiasBroadcastGradients() throws {
    var b = GraphBuilder()
    b.node("Gemm", ["x", b.weight("w1", [4, 5]), b.weight("c1", [1])], "h", ["alpha": .float(0.7), "beta": .float(1.5)])
    b.node("Gemm", ["h", b.weight("w2", [3, 5]), b.weight("c2", [3])], "y", ["transB": .int(1), "beta": .float(0.5)])
    try checkGradients(b.graph(input: [4], output: "y", classes: 3),
                       data: try TestData.random(count: 4, sampleShape: [4], classes: 3, seed: 3))
}

@Test func intermediateSoftmaxAndDropoutGradients() throws {
    var b = GraphBuilder()
    b.node("Gemm", ["x", b.weight("w1", [4, 6]), b.weight("b1", [6])], "h")
    b.node("Softmax", ["h"], "s", ["axis": .int(-1)])
    b.node("Dropout", ["s", b.constant("ratio", [0.3], shape: [])], "d")
    b.node("Gemm", ["d", b.weight("w2", [6, 3], scale: 2), b.weight("b2", [3])], "y")
    try checkGradients(b.graph(input: [4], output: "y", classes: 3),
                       data: try TestData.random(count: 4, sampleShape: [4], classes: 3, seed: 4))
}

@Test func convPoolBatchNormGradients() throws {
    var b = GraphBuilder()
    b.node("Conv", ["x", b.weight("conv.w", [4, 1, 3, 3]), b.weight("conv.b", [4])], "c",
           ["pads": .ints([1, 1, 1, 1]), "strides": .ints([1, 1])])
    b.node("BatchNormalization", ["c", b.weight("bn.s", [4]), b.weight("bn.b", [4]),
                                  b.constant("bn.m", [0, 0, 0, 0], shape: [4]), b.constant("bn.v", [1, 1, 1, 1], shape: [4])], "n")
    b.node("Relu", ["n"], "r")
    b.node("MaxPool", ["r"], "p", ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
    b.node("Conv", ["p", b.weight("g.w", [4, 2, 2, 2]), b.weight("g.b", [4])], "c2",
           ["group": .int(2), "strides": .ints([2, 1]), "pads": .ints([1, 0, 0, 1])])
    b.node("AveragePool", ["c2"], "a", ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0]),
                                          "count_include_pad": .int(1)])
    b.node("Flatten", ["a"], "f")
    b.node("Gemm", ["f", b.weight("fc.w", [3, 24]), b.weight("fc.b", [3])], "y", ["transB": .int(1)])
    let graph = b.graph(input: [1, 6, 6], output: "y", classes: 3)
    let net = try TrainableNetwork(graph: graph)
    _ = try net.logits(batch: [Float](repeating: 0.1, count: 36), count: 1)
    try checkGradients(graph, data: try TestData.random(count: 3, sampleShape: [1, 6, 6], classes: 3, seed: 5))
}

@Test func reshapeAndGlobalPoolGradients() throws {
    var b = GraphBuilder()
    b.node("Reshape", ["x", b.int64("shape", [0, 2, 2, -1])], "r")
    b.node("Conv", ["r", b.weight("w", [3, 2, 1, 2]), b.weight("b", [3])], "c", ["auto_pad": .string("SAME_UPPER")])
    b.node("GlobalAveragePool", ["c"], "g")
    b.node("Flatten", ["g"], "f")
    b.node("Gemm", ["f", b.weight("fc.w", [3, 2], scale: 2), b.weight("fc.b", [2])], "y")
    try checkGradients(b.graph(input: [12], output: "y", classes: 2),
                       data: try TestData.random(count: 3, sampleShape: [12], classes: 2, seed: 6))
}

@Test func stridedDilatedConvAndOverlappingPoolGradients() throws {
    try checkGradients(stridedDilatedGraph(), data: try TestData.random(count: 3, sampleShape: [2, 13, 14], classes: 3, seed: 12))
}

@Test func blasMatchesReferenceProduct() {
    var g = SeededGenerator(seed: 9)
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (m, n, k) = (7, 5, 9)
        let a = (0..<(m * k)).map { _ in g.nextUnitFloat() - 0.5 }, b = (0..<(k * n)).map { _ in g.nextUnitFloat() - 0.5 }
        let fast = Matrix.product(a, b, m: m, n: n, k: k, transA: ta, transB: tb)
        let slow = Matrix.product(a, b, m: m, n: n, k: k, transA: ta, transB: tb, reference: true)
        for i in 0..<fast.count { #expect(abs(fast[i] - slow[i]) < 1e-5) }
    }
}
