import SparrowCompression
import SparrowModel

/// Entry points for the service's job workers: bytes in, bytes out, with progress (stage, fraction
/// of the job, the epoch line) and cancellation through `TrainingMonitor`.
public enum TrainingJob {
    public struct Trained: Sendable {
        /// The ONNX model with its trained initializers.
        public var model: [UInt8]
        public var epochs: [TrainingProgress]
        public var before: Evaluation?
        public var after: Evaluation?
    }

    /// Trains the float initializers of an ONNX model (`sparrow train`).
    public static func train(onnx bytes: [UInt8], data: LabeledData, evaluation: LabeledData? = nil,
                             options: TrainingOptions, monitor: TrainingMonitor = .silent) throws -> Trained {
        let onnx = try ONNXModel(serializedBytes: bytes)
        let network = try TrainableNetwork(graph: onnx.graph)
        let trainer = try Trainer(network: network, options: options)
        let before = try evaluation.map { try trainer.evaluate($0) }
        let epochs = try trainer.fit(data, span: .init(stage: "train"), monitor: monitor)
        let after = try evaluation.map { try trainer.evaluate($0) }
        return Trained(model: try onnx.serialized(replacingInitializers: network.trainedInitializers()), epochs: epochs,
                       before: before, after: after)
    }

    /// Compresses an ONNX model with retraining (`sparrow compress --dataset`), or with no data and
    /// no epochs only measures accuracy before and after. Options default to what the config's
    /// "finetune" object asks for.
    public static func compress(onnx bytes: [UInt8], config: CompressionConfig, data: LabeledData?,
                                evaluation: LabeledData? = nil, options: FineTunedCompression.Options? = nil,
                                monitor: TrainingMonitor = .silent) throws -> FineTunedCompression.Result {
        let onnx = try ONNXModel(serializedBytes: bytes)
        let options = options ?? FineTunedCompression.Options(finetune: config.finetune ?? CompressionConfig.Finetune())
        return try FineTunedCompression.compress(
            graph: onnx.graph, config: config, trainingData: data, evaluation: evaluation, options: options,
            serializeGraph: { try onnx.serialized(replacingInitializers: $0, removingInitializers: $1) },
            denseModelBytes: bytes, monitor: monitor)
    }
}
