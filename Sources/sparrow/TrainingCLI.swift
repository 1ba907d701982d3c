import ArgumentParser
import FoundationEssentials
import SparrowModel
import SparrowTraining

/// Options shared by `train`, `dsd` and `compress --dataset`.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Training data: .npz with x and y, an MNIST directory, or IDX images (with --labels).")
    var dataset: String?
    @Option(help: "IDX labels file for --dataset IDX images.") var labels: String?
    @Option(help: "Held-out data (same forms; an MNIST directory uses its test split): accuracy before and after.")
    var eval: String?
    @Option(help: "IDX labels file for --eval IDX images.") var evalLabels: String?
    @Option(help: "Learning rate.") var lr: Float?
    // Optional, with defaults applied below, so `compress` can tell which were given.
    @Option(help: "Learning-rate factor applied after each epoch (default 1).") var lrDecay: Float?
    @Option(help: "Mini-batch size (default 64).") var batchSize: Int?
    @Option(help: "sgd or adam (default sgd).") var optimizer: String?
    @Option(help: "SGD momentum (default 0.9).") var momentum: Float?
    @Option(help: "L2 weight decay (default 5e-4).") var weightDecay: Float?
    @Option(help: "Seed of shuffling and dropout: equal seeds give identical results (default 0).") var seed: UInt64?
    @Option(help: "OpenBLAS threads (default: the number of cores).") var threads: Int?

    var effectiveBatchSize: Int { batchSize ?? 64 }
    var effectiveSeed: UInt64 { seed ?? 0 }
    var effectiveThreads: Int { threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The options given on the command line, by flag, for refusing those a command would ignore.
    var given: [String] {
        [("--dataset", dataset != nil), ("--labels", labels != nil), ("--eval", eval != nil),
         ("--eval-labels", evalLabels != nil), ("--lr", lr != nil), ("--lr-decay", lrDecay != nil),
         ("--batch-size", batchSize != nil), ("--optimizer", optimizer != nil), ("--momentum", momentum != nil),
         ("--weight-decay", weightDecay != nil), ("--seed", seed != nil), ("--threads", threads != nil)]
            .filter(\.1).map(\.0)
    }

    func options(epochs: Int, defaultRate: Float) throws -> TrainingOptions {
        let rule: Optimizer
        let weightDecay = self.weightDecay ?? 5e-4
        switch optimizer ?? "sgd" {
        case "sgd": rule = .sgd(momentum: momentum ?? 0.9, weightDecay: weightDecay)
        case "adam": rule = .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay)
        case let other: throw CLIError("--optimizer must be sgd or adam, got \(other)")
        }
        return TrainingOptions(epochs: epochs, batchSize: effectiveBatchSize, learningRate: lr ?? defaultRate,
                               learningRateDecay: lrDecay ?? 1, optimizer: rule, seed: effectiveSeed,
                               threads: effectiveThreads)
    }

    static func load(_ path: String, labels: String?, split: String) throws -> LabeledData {
        try LabeledData.load(path: path, labels: labels, split: split)
    }

    func trainingData(fallback: String? = nil) throws -> LabeledData {
        guard let path = dataset ?? fallback else { throw CLIError("give the training data with --dataset") }
        return try Self.load(path, labels: labels, split: "train")
    }

    func evaluationData(fallback: String? = nil) throws -> LabeledData? {
        try (eval ?? fallback).map { try Self.load($0, labels: evalLabels, split: "test") }
    }

    /// What `train` and `dsd` share: load the model and data, run `phases` on a trainer, measure
    /// held-out accuracy before and after (with --eval), and write the trained model to `output`.
    func trainAndWrite<Result>(model: String, epochs: Int, output: String,
                               _ phases: (Trainer, LabeledData) throws -> Result) throws
        -> (result: Result, samples: Int, before: SparrowTraining.Evaluation?, after: SparrowTraining.Evaluation?)
    {
        let onnx = try ONNXModel(contentsOf: model)
        let data = try trainingData()
        let eval = try evaluationData()
        let network = try TrainableNetwork(graph: onnx.graph)
        guard !network.parameters.isEmpty else {
            throw CLIError("\(model) has no weights to train: no float initializer feeds a node's trainable input")
        }
        let trainer = try Trainer(network: network, options: options(epochs: epochs, defaultRate: 0.01))
        let before = try eval.map { try trainer.evaluate($0) }
        let result = try phases(trainer, data)
        let after = try eval.map { try trainer.evaluate($0) }
        try CLIFiles.write(try onnx.serialized(replacingInitializers: network.trainedInitializers()), to: output)
        return (result, data.count, before, after)
    }
}

/// Progress lines on standard error, so standard output stays machine-readable.
enum ProgressPrinter {
    static func monitor(quiet: Bool) -> TrainingMonitor {
        TrainingMonitor(progress: { p in
            if !quiet { Console.err(p.line + "\n") }
        })
    }

    static func note(_ text: String, quiet: Bool) {
        if !quiet { Console.err(text + "\n") }
    }
}
