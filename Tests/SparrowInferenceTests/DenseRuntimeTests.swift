import Foundation
import SparrowInference
import SparrowModel
import Testing

/// The node layout skl2onnx emits for an MLPClassifier with zipmap disabled (weights hand-picked).
func sklearnStyleClassifier() -> Graph {
    let nodes = [
        Node(name: "Cast", opType: "Cast", inputs: ["X"], outputs: ["cast_input"], attributes: ["to": .int(1)]),
        Node(name: "MatMul", opType: "MatMul", inputs: ["cast_input", "coefficient"], outputs: ["mul_result"]),
        Node(name: "Add", opType: "Add", inputs: ["mul_result", "intercepts"], outputs: ["add_result"]),
        Node(name: "Relu", opType: "Relu", inputs: ["add_result"], outputs: ["next_activations"]),
        Node(name: "MatMul1", opType: "MatMul", inputs: ["next_activations", "coefficient1"], outputs: ["mul_result1"]),
        Node(name: "Add1", opType: "Add", inputs: ["mul_result1", "intercepts1"], outputs: ["add_result1"]),
        Node(name: "Softmax", opType: "Softmax", inputs: ["add_result1"], outputs: ["out_activations_result"]),
        Node(name: "Identity", opType: "Identity", inputs: ["out_activations_result"], outputs: ["probabilities"]),
        Node(name: "ArgMax", opType: "ArgMax", inputs: ["probabilities"], outputs: ["argmax_output"], attributes: ["axis": .int(1)]),
        Node(name: "AFE", opType: "ArrayFeatureExtractor", domain: "ai.onnx.ml", inputs: ["classes", "argmax_output"],
             outputs: ["array_feature_extractor_result"]),
        Node(name: "Reshape", opType: "Reshape", inputs: ["array_feature_extractor_result", "shape_tensor"], outputs: ["reshaped_result"]),
        Node(name: "Cast1", opType: "Cast", inputs: ["reshaped_result"], outputs: ["label"], attributes: ["to": .int(7)]),
    ]
    let initializers: [String: Tensor] = [
        "coefficient": floats([2, 3], [1, 0, -1, 0, 1, 1]), "intercepts": floats([3], [0, 0, 0.5]),
        "coefficient1": floats([3, 2], [1, 0, 0, 1, 2, 0]), "intercepts1": floats([2], [0, 0.1]),
        "classes": ints1D([4, 9]), "shape_tensor": ints1D([-1]),
    ]
    return Graph(nodes: nodes, initializers: initializers,
                 inputs: [ValueInfo(name: "X", dataType: .float32, shape: [.dynamic(""), .fixed(2)])],
                 outputs: [ValueInfo(name: "label", dataType: .int64, shape: [.dynamic("")]),
                           ValueInfo(name: "probabilities", dataType: .float32, shape: [.dynamic(""), .fixed(2)])],
                 opsetVersion: 21)
}

@Test func sklearnStylePipeline() throws {
    let runtime = try DenseRuntime(graph: sklearnStyleClassifier())
    let out = try runtime.run(["X": floats([2, 2], [1, 0, -1, 3])])
    // Row 0: h = relu([1, 0, -0.5]) = [1, 0, 0] → logits [1, 0.1] → class 0 (label 4).
    // Row 1: h = relu([-1, 3, 4.5]) = [0, 3, 4.5] → logits [9, 3.1] → class 0 (label 4).
    let label = try #require(out["label"]), probabilities = try #require(out["probabilities"])
    #expect(label == ints1D([4, 4]))
    let e = exp(Float(0.9)), e2 = exp(Float(5.9))
    #expect(close(probabilities.floats, [e / (e + 1), 1 / (e + 1), e2 / (e2 + 1), 1 / (e2 + 1)]))
    // A row favouring class 1.
    #expect(try runtime.run(["X": floats([1, 2], [0, -5])])["label"] == ints1D([9]))
}

@Test func unsupportedOpIsRejectedAtLoadNamingOpAndNode() {
    let graph = Graph(nodes: [Node(name: "weird", opType: "Einsum", inputs: ["x"], outputs: ["y"])], initializers: [:],
                      inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(1)])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    expectRuntimeError("Einsum", "weird") { _ = try DenseRuntime(graph: graph) }
    let ml = Graph(nodes: [Node(name: "", opType: "TreeEnsembleClassifier", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["y"])],
                   initializers: [:], inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(1)])],
                   outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    expectRuntimeError("ai.onnx.ml:TreeEnsembleClassifier", "TreeEnsembleClassifier(y)") { _ = try DenseRuntime(graph: ml) }
    #expect(DenseRuntime.supportedOps.contains("ai.onnx.ml:ArrayFeatureExtractor"))
    #expect(DenseRuntime.supportedOps.contains("Conv"))
}

@Test func badAttributesAndWiringAreLoadErrors() {
    func graph(_ node: Node) -> Graph {
        Graph(nodes: [node], initializers: [:], inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(1)])],
              outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    }
    expectRuntimeError("node 'c' (Cast)", "'to' is required") {
        _ = try DenseRuntime(graph: graph(Node(name: "c", opType: "Cast", inputs: ["x"], outputs: ["y"])))
    }
    expectRuntimeError("alpha", "must be a float") {
        _ = try DenseRuntime(graph: graph(Node(name: "l", opType: "LeakyRelu", inputs: ["x"], outputs: ["y"], attributes: ["alpha": .string("a")])))
    }
    expectRuntimeError("input 'z'", "not a graph input") {
        _ = try DenseRuntime(graph: graph(Node(name: "r", opType: "Relu", inputs: ["z"], outputs: ["y"])))
    }
    expectRuntimeError("expects 2 inputs") {
        _ = try DenseRuntime(graph: graph(Node(name: "a", opType: "Add", inputs: ["x"], outputs: ["y"])))
    }
    expectRuntimeError("graph output 'y'") {
        _ = try DenseRuntime(graph: graph(Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["q"])))
    }
}

func singleReluRuntime() throws -> DenseRuntime {
    let graph = Graph(nodes: [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], initializers: [:],
                      inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(3)])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    return try DenseRuntime(graph: graph)
}

@Test func badInputsAreRejectedClearly() throws {
    let runtime = try singleReluRuntime()
    expectRuntimeError("missing input 'x'") { _ = try runtime.run([:]) }
    expectRuntimeError("unexpected input 'extra'") {
        _ = try runtime.run(["x": floats([1, 3], [1, 2, 3]), "extra": floats([1], [1])])
    }
    expectRuntimeError("input 'x'", "INT64", "FP32") { _ = try runtime.run(["x": ints([1, 3], [1, 2, 3])]) }
    expectRuntimeError("input 'x'", "[1, 4]", "[N, 3]") { _ = try runtime.run(["x": floats([1, 4], [1, 2, 3, 4])]) }
    expectRuntimeError("expected rank 2") { _ = try runtime.run(["x": floats([3], [1, 2, 3])]) }
    // A dynamic batch of any size, including 0, is fine.
    #expect(try runtime.run(["x": floats([0, 3], [])])["y"] == floats([0, 3], []))
    #expect(try runtime.run(["x": floats([2, 3], [-1, 2, -3, 4, -5, 6])])["y"] == floats([2, 3], [0, 2, 0, 4, 0, 6]))
}

@Test func inPlaceReuseNeverCorruptsCallerInputsOrOtherConsumers() throws {
    // x feeds both Relu (which may work in place) and Add; the caller's tensor must be untouched.
    let graph = Graph(nodes: [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["a"]),
                              Node(name: "s", opType: "Add", inputs: ["x", "a"], outputs: ["y"])],
                      initializers: [:], inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(2)])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: []), ValueInfo(name: "a", dataType: .float32, shape: [])],
                      opsetVersion: 13)
    let runtime = try DenseRuntime(graph: graph)
    let x = floats([2], [-1, 2])
    let out = try runtime.run(["x": x])
    #expect(x == floats([2], [-1, 2]))
    #expect(out["a"] == floats([2], [0, 2]))
    #expect(out["y"] == floats([2], [-1, 4]))
}

@Test func constantSubgraphsAreFoldedAtLoad() throws {
    // Shape-computing nodes on initializers run once at load; the graph still computes correctly.
    let nodes = [
        Node(name: "k", opType: "Constant", inputs: [], outputs: ["two"], attributes: ["value_ints": .ints([2, -1])]),
        Node(name: "m", opType: "Mul", inputs: ["w", "w"], outputs: ["w2"]),
        Node(name: "reshape", opType: "Reshape", inputs: ["x", "two"], outputs: ["x2"]),
        Node(name: "add", opType: "Add", inputs: ["x2", "w2"], outputs: ["y"]),
    ]
    let graph = Graph(nodes: nodes, initializers: ["w": floats([2], [1, 3])],
                      inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(4)])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    let y = try DenseRuntime(graph: graph).run(["x": floats([4], [1, 2, 3, 4])])["y"]
    #expect(y == floats([2, 2], [2, 11, 4, 13]))
}

@Test func concurrentRunsGiveIdenticalResults() async throws {
    let x = randomTensor([4, 1, 12, 12], seed: 111)
    let graph = Graph(
        nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(name: "pool", opType: "MaxPool", inputs: ["r"], outputs: ["p"], attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            Node(name: "flat", opType: "Flatten", inputs: ["p"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)]),
            Node(name: "sm", opType: "Softmax", inputs: ["y"], outputs: ["prob"]),
        ],
        initializers: ["w": randomTensor([6, 1, 3, 3], seed: 112), "b": randomTensor([6], seed: 113),
                       "fw": randomTensor([10, 216], seed: 114), "fb": randomTensor([10], seed: 115)],
        inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(1), .fixed(12), .fixed(12)])],
        outputs: [ValueInfo(name: "prob", dataType: .float32, shape: [])], opsetVersion: 13)
    let runtime = try DenseRuntime(graph: graph)
    let reference = try #require(try runtime.run(["x": x])["prob"])
    let results = try await withThrowingTaskGroup(of: Tensor?.self) { group in
        for _ in 0..<16 {
            group.addTask { try runtime.run(["x": x])["prob"] }
        }
        var all: [Tensor?] = []
        for try await r in group { all.append(r) }
        return all
    }
    #expect(results.count == 16)
    for r in results { #expect(r == reference) }
}
