import ArgumentParser
import FoundationEssentials
import SparrowCompression
import SparrowModel
import SparrowTraining

/// The retraining path of `sparrow compress`: taken when a training set is given (--dataset or the
/// config's "finetune" object).
struct FinetuneArguments: ParsableArguments {
    @OptionGroup var training: TrainingArguments
    @Option(help: "Fine-tuning epochs in all (2/3 prune-and-retrain, 1/3 centroid fine-tuning); overrides the config.")
    var epochs: Int?
    @Option(help: "oneshot, iterative or gradual; overrides the config.") var schedule: String?

    /// True when the command should retrain.
    func requested(_ config: CompressionConfig) -> Bool { training.dataset != nil || config.finetune?.dataset != nil }

    /// Fine-tuning options with no training set would be ignored (a data-free run): refused instead.
    func checkNotIgnored(_ config: CompressionConfig) throws {
        guard !requested(config) else { return }
        let given = training.given + [("--epochs", epochs != nil), ("--schedule", schedule != nil),
                                      ("the config's \"finetune\" object", config.finetune != nil)].filter(\.1).map(\.0)
        guard given.isEmpty else {
            throw CLIError("\(given.joined(separator: ", ")) need a training set: give --dataset (or \"finetune\": {\"dataset\": …})")
        }
    }

    func run(model: String, config: CompressionConfig, quiet: Bool) throws -> FineTunedCompression.Result {
        var finetune = config.finetune ?? CompressionConfig.Finetune()
        if let epochs {
            // The same range the config's "finetune.epochs" allows.
            guard (0...10_000).contains(epochs) else { throw CLIError("--epochs must be in 0...10000, got \(epochs)") }
            finetune.epochs = epochs
        }
        if let lr = training.lr { finetune.learningRate = Double(lr) }
        if let schedule {
            guard let s = CompressionConfig.Finetune.Schedule(rawValue: schedule) else {
                throw CLIError("--schedule must be oneshot, iterative or gradual, got \(schedule)")
            }
            finetune.schedule = s
        }
        var options = FineTunedCompression.Options(finetune: finetune, seed: training.effectiveSeed,
                                                   batchSize: training.effectiveBatchSize, threads: training.effectiveThreads)
        options.training = try training.options(epochs: options.training.epochs, defaultRate: options.training.learningRate)
        let bytes = try CLIFiles.read(model)
        let onnx = try ONNXModel(serializedBytes: bytes)
        let data = try training.trainingData(fallback: finetune.dataset)
        let eval = try training.evaluationData(fallback: finetune.evalDataset)
        var ran = config
        finetune.dataset = training.dataset ?? finetune.dataset
        finetune.evalDataset = training.eval ?? finetune.evalDataset
        ran.finetune = finetune
        return try FineTunedCompression.compress(
            graph: onnx.graph, config: ran, trainingData: data, evaluation: eval, options: options,
            serializeGraph: { try onnx.serialized(replacingInitializers: $0, removingInitializers: $1) },
            denseModelBytes: bytes, monitor: ProgressPrinter.monitor(quiet: quiet))
    }
}
