import Foundation
import SparrowModel
import SparrowTraining
import Testing

/// MNIST's directory: env SPARROW_MNIST_DIR, ../shared/datasets/mnist from the repo root (CI), or
/// /work/shared/datasets/mnist.
private func mnistDirectory() -> String? {
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["SPARROW_MNIST_DIR"] { candidates.append(env) }
    candidates += [FileManager.default.currentDirectoryPath + "/../shared/datasets/mnist", "/work/shared/datasets/mnist"]
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/t10k-images-idx3-ubyte.gz") }
}

/// 300 real MNIST digits through the product readers: a small MLP (784-32-10) learns them.
@Test(.enabled(if: mnistDirectory() != nil, "MNIST not found"))
func smallMLPLearnsMNISTDigits() throws {
    let all = try LabeledData.load(path: try #require(mnistDirectory()), split: "test")
    #expect(all.count == 10_000 && all.sampleShape == [1, 28, 28])
    let data = all.prefix(300)
    var b = GraphBuilder()
    b.node("Flatten", ["x"], "f")
    b.node("Gemm", ["f", b.weight("w1", [784, 32], scale: 0.08), b.weight("b1", [32], scale: 0)], "h")
    b.node("Relu", ["h"], "a")
    b.node("Gemm", ["a", b.weight("w2", [32, 10], scale: 0.3), b.weight("b2", [10], scale: 0)], "y")
    let net = try TrainableNetwork(graph: b.graph(input: [1, 28, 28], output: "y", classes: 10))
    let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 20, learningRate: 0.05, seed: 1))
    let before = try trainer.evaluate(data)
    try trainer.fit(data, epochs: 5)
    let after = try trainer.evaluate(data)
    #expect(after.loss < before.loss / 3, "loss \(before.loss) → \(after.loss)")
    #expect(after.accuracy > 0.85, "accuracy \(after.accuracy)")
}
