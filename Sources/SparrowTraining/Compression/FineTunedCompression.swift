import FoundationEssentials
import SparrowCompression
import SparrowModel

/// Deep Compression with retraining, end to end: the library entry point behind
/// `sparrow compress --dataset` and the service's compression jobs.
///
/// 1. prune every planned layer to its sparsity, by the chosen schedule, retraining with masks;
/// 2. share weights by k-means (the plan's bits and initialisation) and fine-tune the centroids;
/// 3. encode (relative indices, Huffman) and write the `.sparrow` artifact, whose decoded weights
///    are exactly the fine-tuned ones. Biases and uncompressed tensors keep their trained values.
public enum FineTunedCompression {
    public struct Options: Sendable, Equatable {
        /// Batch size, learning rate, optimizer, seed, threads; `epochs` is the prune-and-retrain length.
        public var training: TrainingOptions
        public var schedule: PruningSchedule
        /// Epochs of centroid fine-tuning after quantization.
        public var centroidEpochs: Int
        /// Centroid learning rate relative to the retraining rate: a centroid's gradient sums its
        /// cluster's gradients, hundreds of them, so it takes smaller steps.
        public var centroidLearningRateFactor: Float

        public init(training: TrainingOptions = TrainingOptions(), schedule: PruningSchedule = .oneshot,
                    centroidEpochs: Int = 2, centroidLearningRateFactor: Float = 0.01) {
            self.training = training
            self.schedule = schedule
            self.centroidEpochs = centroidEpochs
            self.centroidLearningRateFactor = centroidLearningRateFactor
        }

        /// The options a config's "finetune" object asks for: its epochs are split two thirds
        /// pruning-and-retraining, one third centroid fine-tuning (at least one each when ≥ 2).
        public init(finetune: CompressionConfig.Finetune, seed: UInt64 = 0, batchSize: Int = 64, threads: Int = 2) {
            // Without a training set the run can only evaluate: no epochs unless asked for (an error then).
            let total = finetune.epochs ?? (finetune.dataset == nil ? 0 : 6)
            let centroid = total >= 2 ? max(1, total / 3) : 0
            training = TrainingOptions(epochs: total - centroid, batchSize: batchSize,
                                       learningRate: Float(finetune.learningRate ?? 0.01), seed: seed, threads: threads)
            schedule = PruningSchedule(rawValue: finetune.schedule?.rawValue ?? "oneshot") ?? .oneshot
            centroidEpochs = centroid
            centroidLearningRateFactor = 0.01
        }
    }

    /// The artifact, its bytes and its report (as `DeepCompression.compress` returns them).
    public struct Result: Sendable {
        public var artifact: Artifact
        public var bytes: [UInt8]
        public var report: CompressionReport
    }

    /// - Parameters:
    ///   - serializeGraph: ONNX bytes of the source model with the given initializers replaced and
    ///     the named ones removed (`ONNXModel.serialized(replacingInitializers:removingInitializers:)`).
    ///   - evaluation: held-out data; the report then holds accuracy before and after.
    /// The config as it ran: the "finetune" object with every value the run used, defaults included.
    static func recorded(_ config: CompressionConfig, _ options: Options) -> CompressionConfig {
        var recorded = config
        var finetune = config.finetune ?? CompressionConfig.Finetune()
        finetune.epochs = options.training.epochs + options.centroidEpochs
        // Nothing was trained: no learning rate or schedule to record.
        guard finetune.epochs != 0 else {
            recorded.finetune = finetune
            return recorded
        }
        // The float's shortest text, so 0.01 is recorded as 0.01 rather than 0.009999999776482582.
        let rate = options.training.learningRate
        finetune.learningRate = Double("\(rate)") ?? Double(rate)
        finetune.schedule = CompressionConfig.Finetune.Schedule(rawValue: options.schedule.rawValue)
        recorded.finetune = finetune
        return recorded
    }

    /// With `trainingData` nil and no epochs, the weights are pruned and quantized without
    /// retraining (as data-free compression) and only `evaluation` runs: accuracy before and after.
    public static func compress(graph: Graph, config: CompressionConfig, trainingData: LabeledData?,
                                evaluation: LabeledData? = nil, options: Options,
                                serializeGraph: ([String: Tensor], Set<String>) throws -> [UInt8],
                                denseModelBytes: [UInt8]? = nil,
                                monitor: TrainingMonitor = .silent) throws -> Result {
        let plan = try CompressionPlan(graph: graph, config: config)
        try plan.requireLayers()
        let network = try TrainableNetwork(graph: graph)
        let trainer = try Trainer(network: network, options: options.training)
        let epochs = options.training.epochs + options.centroidEpochs
        guard trainingData != nil || epochs == 0 else {
            throw TrainingError.invalidOption("\(epochs) epochs of fine-tuning need training data")
        }
        let trainingData = try trainingData ?? LabeledData(features: [], sampleShape: network.sampleShape, labels: [])
        let accuracyBefore = try evaluation.map { try trainer.evaluate($0).accuracy }

        // 1. Prune and retrain.
        var sparsity: [String: Double] = [:]
        for layer in plan.layers {
            guard let w = network.value(of: layer.name) else {
                throw TrainingError.invalidGraph("compressed layer \(layer.name) is not a trainable weight")
            }
            switch layer.rule {
            case .sparsity(let s): sparsity[layer.name] = s
            case .thresholdStd: sparsity[layer.name] = 1 - Pruner.prune(w, shape: layer.shape, rule: layer.rule).density
            case .none: sparsity[layer.name] = 0
            }
        }
        let total = Double(max(1, options.training.epochs + options.centroidEpochs))
        let split = Double(options.training.epochs) / total
        try Retraining.run(trainer, plan: .init(sparsity: sparsity, schedule: options.schedule, epochs: options.training.epochs),
                           data: trainingData, span: .init(stage: "prune+retrain (\(options.schedule.rawValue))", start: 0, end: split),
                           monitor: monitor)

        // 2. Weight sharing from the retrained weights, then centroid fine-tuning.
        var quantized: [String: QuantizedLayer] = [:]
        for layer in plan.layers {
            let w = network.value(of: layer.name) ?? []
            let pruned = Pruner.prune(w, shape: layer.shape, rule: .none)
            quantized[layer.name] = Quantizer.quantize(pruned, name: layer.name, kind: layer.kind, bits: layer.bits,
                                                       initialization: layer.initialization, seed: layer.seed,
                                                       tolerance: layer.tolerance, maxIterations: layer.maxIterations)
        }
        trainer.restart(learningRate: options.training.learningRate * options.centroidLearningRateFactor)
        let tuned = try CentroidFineTuning.run(trainer, layers: quantized, data: trainingData, epochs: options.centroidEpochs,
                                               span: .init(stage: "finetune-centroids", start: split, end: 1), monitor: monitor)

        // 3. Encode and write; accuracy is measured on the weights the artifact decodes to.
        let layers = plan.layers.compactMap { l in
            tuned.layers[l.name].map { SparseEncoder.encode($0, indexBits: l.indexBits, huffman: l.huffman, order: l.order) }
        }
        let compressedNames = Set(layers.map(\.name))
        let dense = network.trainedInitializers().filter { !compressedNames.contains($0.key) }
        var metadata = ArtifactMetadata()
        metadata.originalBytes = 4 * graph.parameterCount
        metadata.config = recorded(config, options).jsonValue
        if let bytes = denseModelBytes { metadata.denseGzipBytes = try? Zlib.gzipSize(bytes, level: 9) }
        var artifact = Artifact(metadata: metadata, graphBytes: try serializeGraph(dense, compressedNames), layers: layers)
        if let evaluation, let before = accuracyBefore {
            for (name, tensor) in try artifact.decodedInitializers() { try network.setValue(tensor.floats, of: name) }
            let after = try Evaluation.measure(network, on: evaluation).accuracy
            artifact.metadata.accuracy = .init(before: before, after: after)
        }
        let bytes = artifact.serialized()
        return Result(artifact: artifact, bytes: bytes, report: CompressionReport(artifact: artifact, fileSize: bytes.count))
    }
}
