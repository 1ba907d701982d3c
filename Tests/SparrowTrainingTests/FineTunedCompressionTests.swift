import SparrowCompression
import SparrowModel
import SparrowTraining
import Testing

@Test func fineTunedCompressionRoundTripsThroughTheArtifact() throws {
    let data = try TestData.argmaxProblem(count: 256, features: 8, classes: 4, seed: 31)
    let graph = TestData.mlp(inputs: 8, hidden: 24, classes: 4)
    var config = CompressionConfig()
    config.minParams = 64
    config.prune.sparsity = 0.6
    config.quantize.fcBits = 3
    let options = FineTunedCompression.Options(
        training: TrainingOptions(epochs: 3, batchSize: 16, learningRate: 0.1, seed: 5), schedule: .gradual,
        centroidEpochs: 2, centroidLearningRateFactor: 0.05)
    let collected = Mutex<[String]>([])
    // The graph section is opaque to this test (no ONNX writer for hand-built graphs here): the
    // layers' sections are what centroid fine-tuning changes.
    let result = try FineTunedCompression.compress(
        graph: graph, config: config, trainingData: data, evaluation: data, options: options,
        serializeGraph: { _, removed in Array(removed.sorted().joined(separator: ",").utf8) },
        monitor: TrainingMonitor(progress: { p in collected.withLock { $0.append(p.line) } }))
    let lines = collected.withLock { $0 }
    #expect(lines.count == 5)
    #expect(lines.last?.contains("finetune-centroids") == true)
    let accuracy = try #require(result.report.accuracy)
    #expect(accuracy.after > 0.5, "accuracy \(accuracy.before) → \(accuracy.after)")

    let artifact = try Artifact(bytes: result.bytes)
    let decoded = try artifact.decodedInitializers()
    #expect(Set(decoded.keys) == ["fc1.w", "fc2.w", "fc3.w"])
    for (name, tensor) in decoded {
        let values = tensor.floats
        #expect(Set(values.filter { $0 != 0 }).count <= (1 << 3) - 1, "\(name) has too many shared values")
        let zeros = values.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / Double(values.count) - 0.6) < 0.05, "\(name) sparsity \(zeros)/\(values.count)")
    }
}

import Synchronization
