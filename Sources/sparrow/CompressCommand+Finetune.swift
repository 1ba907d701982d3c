import ArgumentParser
import FoundationEssentials
import SparrowCompression
import SparrowModel
import SparrowTraining

/// The retraining path of `sparrow compress`: taken when a training set is given (--dataset or the
/// config's "finetune" object), or a held-out set alone (--eval): then nothing is retrained and
/// the run measures accuracy before and after data-free compression.
struct FinetuneArguments: ParsableArguments {
    @OptionGroup var training: TrainingArguments
    @Option(help: "Fine-tuning epochs in all (2/3 prune-and-retrain, 1/3 centroid fine-tuning); overrides the config.")
    var epochs: Int?
    @Option(help: "oneshot, iterative or gradual; overrides the config.") var schedule: String?

    /// True when the command should retrain.
    func hasTrainingSet(_ config: CompressionConfig) -> Bool { training.dataset != nil || config.finetune?.dataset != nil }

    /// True when the command takes this path: to retrain, or only to evaluate.
    func requested(_ config: CompressionConfig) -> Bool {
        hasTrainingSet(config) || training.eval != nil || config.finetune?.evalDataset != nil
    }

    /// Fine-tuning options with no training set would be ignored (a data-free run): refused instead.
    /// A held-out set alone is used (accuracy before and after), with no epochs.
    func checkNotIgnored(_ config: CompressionConfig) throws {
        guard !hasTrainingSet(config) else { return }
        let evaluates = training.eval != nil || config.finetune?.evalDataset != nil
        let ignored = training.given.filter { !["--eval", "--eval-labels"].contains($0) || !evaluates }
        let configEpochs = (config.finetune?.epochs ?? 0) > 0
        let given = ignored + [("--epochs", (epochs ?? 0) > 0 || (epochs != nil && !evaluates)),
                               ("--schedule", schedule != nil),
                               ("the config's \"finetune\" epochs", configEpochs),
                               ("the config's \"finetune\" learning_rate", config.finetune?.learningRate != nil),
                               ("the config's \"finetune\" schedule", config.finetune?.schedule != nil),
                               ("the config's \"finetune\" object", config.finetune != nil && !evaluates && !configEpochs)]
            .filter(\.1).map(\.0)
        guard given.isEmpty else {
            throw CLIError("\(given.joined(separator: ", ")) need a training set: give --dataset (or \"finetune\": {\"dataset\": …})")
        }
    }

    func run(model: String, config: CompressionConfig, quiet: Bool) throws -> FineTunedCompression.Result {
        var finetune = config.finetune ?? CompressionConfig.Finetune()
        finetune.dataset = training.dataset ?? finetune.dataset
        finetune.evalDataset = training.eval ?? finetune.evalDataset
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
        let data = try finetune.dataset.map { _ in try training.trainingData(fallback: finetune.dataset) }
        let eval = try training.evaluationData(fallback: finetune.evalDataset)
        var ran = config
        ran.finetune = finetune
        return try FineTunedCompression.compress(
            graph: onnx.graph, config: ran, trainingData: data, evaluation: eval, options: options,
            serializeGraph: { try onnx.serialized(replacingInitializers: $0, removingInitializers: $1) },
            denseModelBytes: bytes, monitor: ProgressPrinter.monitor(quiet: quiet))
    }
}
