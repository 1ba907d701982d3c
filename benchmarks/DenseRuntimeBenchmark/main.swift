// Times DenseRuntime on MLP 784-300-100-10 and LeNet-5 graphs built in code (random weights), at the
// batch sizes given. Prints one line per case: "model batch median_us mean_us". Driven by
// benchmarks/dense_runtime_vs_onnxruntime.py, which times onnxruntime on identical architectures.
import Foundation
import SparrowInference
import SparrowModel

func randomTensor(_ shape: [Int], scale: Float, seed: inout UInt64) -> Tensor {
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return (Float(seed >> 40) / Float(1 << 24) - 0.5) * 2 * scale
    }
    return Tensor(shape: shape, floats: values)
}

/// PyTorch-style export: Gemm(transB = 1) + Relu.
func mlp() -> Graph {
    var seed: UInt64 = 1
    let sizes = [784, 300, 100, 10]
    var nodes: [Node] = [], initializers: [String: Tensor] = [:]
    var current = "x"
    for layer in 0..<3 {
        let w = "w\(layer)", b = "b\(layer)", y = "fc\(layer)"
        initializers[w] = randomTensor([sizes[layer + 1], sizes[layer]], scale: 0.05, seed: &seed)
        initializers[b] = randomTensor([sizes[layer + 1]], scale: 0.05, seed: &seed)
        nodes.append(Node(name: y, opType: "Gemm", inputs: [current, w, b], outputs: [y], attributes: ["transB": .int(1)]))
        current = y
        if layer < 2 {
            nodes.append(Node(name: "relu\(layer)", opType: "Relu", inputs: [y], outputs: ["r\(layer)"]))
            current = "r\(layer)"
        }
    }
    return Graph(nodes: nodes, initializers: initializers,
                 inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(784)])],
                 outputs: [ValueInfo(name: current, dataType: .float32, shape: [.dynamic("N"), .fixed(10)])], opsetVersion: 13)
}

/// LeNet-5 (Caffe variant): conv 20 5×5, maxpool 2, conv 50 5×5, maxpool 2, fc 500, relu, fc 10.
func lenet() -> Graph {
    var seed: UInt64 = 2
    let initializers: [String: Tensor] = [
        "c1w": randomTensor([20, 1, 5, 5], scale: 0.2, seed: &seed), "c1b": randomTensor([20], scale: 0.1, seed: &seed),
        "c2w": randomTensor([50, 20, 5, 5], scale: 0.05, seed: &seed), "c2b": randomTensor([50], scale: 0.1, seed: &seed),
        "f1w": randomTensor([500, 800], scale: 0.03, seed: &seed), "f1b": randomTensor([500], scale: 0.1, seed: &seed),
        "f2w": randomTensor([10, 500], scale: 0.05, seed: &seed), "f2b": randomTensor([10], scale: 0.1, seed: &seed),
    ]
    let pool: [String: Attribute] = ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]
    let nodes = [
        Node(name: "conv1", opType: "Conv", inputs: ["x", "c1w", "c1b"], outputs: ["c1"], attributes: ["kernel_shape": .ints([5, 5])]),
        Node(name: "pool1", opType: "MaxPool", inputs: ["c1"], outputs: ["p1"], attributes: pool),
        Node(name: "conv2", opType: "Conv", inputs: ["p1", "c2w", "c2b"], outputs: ["c2"], attributes: ["kernel_shape": .ints([5, 5])]),
        Node(name: "pool2", opType: "MaxPool", inputs: ["c2"], outputs: ["p2"], attributes: pool),
        Node(name: "flatten", opType: "Flatten", inputs: ["p2"], outputs: ["f"]),
        Node(name: "fc1", opType: "Gemm", inputs: ["f", "f1w", "f1b"], outputs: ["h"], attributes: ["transB": .int(1)]),
        Node(name: "relu", opType: "Relu", inputs: ["h"], outputs: ["hr"]),
        Node(name: "fc2", opType: "Gemm", inputs: ["hr", "f2w", "f2b"], outputs: ["y"], attributes: ["transB": .int(1)]),
    ]
    return Graph(nodes: nodes, initializers: initializers,
                 inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(1), .fixed(28), .fixed(28)])],
                 outputs: [ValueInfo(name: "y", dataType: .float32, shape: [.dynamic("N"), .fixed(10)])], opsetVersion: 13)
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

let arguments = CommandLine.arguments.dropFirst()
let batches = arguments.isEmpty ? [1, 64] : arguments.compactMap { Int($0) }
let budgetNanoseconds: UInt64 = 1_000_000_000
for (name, graph, featureShape) in [("mlp", mlp(), [784]), ("lenet", lenet(), [1, 28, 28])] {
    let runtime = try DenseRuntime(graph: graph)
    for batch in batches {
        var seed: UInt64 = 3
        let x = randomTensor([batch] + featureShape, scale: 1, seed: &seed)
        for _ in 0..<5 { _ = try runtime.run(["x": x]) }
        var times: [UInt64] = []
        let start = now()
        while now() - start < budgetNanoseconds || times.count < 20 {
            let t0 = now()
            _ = try runtime.run(["x": x])
            times.append(now() - t0)
        }
        times.sort()
        let median = Double(times[times.count / 2]) / 1000
        let mean = Double(times.reduce(0, +)) / Double(times.count) / 1000
        print(name, batch, String(format: "%.1f", median), String(format: "%.1f", mean))
    }
}
