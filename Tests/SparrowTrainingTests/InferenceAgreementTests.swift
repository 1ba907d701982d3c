import SparrowInference
import SparrowModel
import SparrowTraining
import Testing

/// The training engine's inference pass must compute what the dense runtime computes: the same
/// graph, two independent implementations of every operator.
@Test func trainingForwardMatchesTheDenseRuntime() throws {
    var b = GraphBuilder()
    b.node("Conv", ["x", b.weight("c1.w", [4, 1, 3, 3]), b.weight("c1.b", [4])], "c1", ["pads": .ints([1, 1, 1, 1])])
    b.node("BatchNormalization", ["c1", b.weight("bn.s", [4]), b.weight("bn.b", [4]),
                                  b.constant("bn.m", [0.1, -0.2, 0, 0.3], shape: [4]),
                                  b.constant("bn.v", [1, 0.5, 2, 1], shape: [4])], "n1")
    b.node("Relu", ["n1"], "r1")
    b.node("MaxPool", ["r1"], "p1", ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
    b.node("Conv", ["p1", b.weight("c2.w", [6, 2, 3, 3]), b.weight("c2.b", [6])], "c2",
           ["group": .int(2), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
    b.node("AveragePool", ["c2"], "p2", ["kernel_shape": .ints([2, 2]), "pads": .ints([0, 0, 1, 1])])
    b.node("Flatten", ["p2"], "f")
    b.node("Gemm", ["f", b.weight("fc.w", [5, 24]), b.weight("fc.b", [5])], "h", ["transB": .int(1), "alpha": .float(0.5)])
    b.node("Dropout", ["h"], "d")
    b.node("MatMul", ["d", b.weight("fc2.w", [5, 3])], "m")
    b.node("Add", ["m", b.weight("fc2.b", [3])], "y")
    let graph = b.graph(input: [1, 8, 8], output: "y", classes: 3)
    let data = try TestData.random(count: 3, sampleShape: [1, 8, 8], classes: 3, seed: 8)

    let ours = try TrainableNetwork(graph: graph).logits(batch: data.features, count: 3)
    let runtime = try DenseRuntime(graph: graph)
    let theirs = try runtime.run(["x": Tensor(shape: [3, 1, 8, 8], floats: data.features)])
    let expected = try #require(theirs["y"]).floats
    #expect(ours.classes == 3 && expected.count == ours.values.count)
    for (a, e) in zip(ours.values, expected) { #expect(abs(a - e) <= 1e-4 * max(1, abs(e)), "\(a) vs \(e)") }
}

/// Strided and dilated convolution windows that hang over the padding, and overlapping pooling
/// windows: the edges of the lowering's and the pooling's tap ranges.
func stridedDilatedGraph() -> Graph {
    var b = GraphBuilder()
    b.node("Conv", ["x", b.weight("c1.w", [3, 2, 3, 2]), b.weight("c1.b", [3])], "c1",
           ["strides": .ints([2, 3]), "dilations": .ints([2, 1]), "pads": .ints([2, 1, 1, 2])])
    b.node("MaxPool", ["c1"], "p1", ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 1]), "pads": .ints([1, 1, 1, 0])])
    b.node("AveragePool", ["p1"], "p2", ["kernel_shape": .ints([2, 2]), "strides": .ints([1, 2]), "ceil_mode": .int(1)])
    b.node("Flatten", ["p2"], "f")
    b.node("Gemm", ["f", b.weight("fc.w", [3, 18]), b.weight("fc.b", [3])], "y", ["transB": .int(1)])
    return b.graph(input: [2, 13, 14], output: "y", classes: 3)
}

@Test func stridedDilatedWindowsMatchTheDenseRuntime() throws {
    let graph = stridedDilatedGraph()
    let data = try TestData.random(count: 4, sampleShape: [2, 13, 14], classes: 3, seed: 11)
    let ours = try TrainableNetwork(graph: graph).logits(batch: data.features, count: 4)
    let theirs = try DenseRuntime(graph: graph).run(["x": Tensor(shape: [4, 2, 13, 14], floats: data.features)])
    let expected = try #require(theirs["y"]).floats
    #expect(ours.classes == 3 && expected.count == ours.values.count)
    for (a, e) in zip(ours.values, expected) { #expect(abs(a - e) <= 1e-4 * max(1, abs(e)), "\(a) vs \(e)") }
}
