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
    @Option(help: "Learning-rate factor applied after each epoch.") var lrDecay: Float = 1
    @Option(help: "Mini-batch size.") var batchSize: Int = 64
    @Option(help: "sgd or adam.") var optimizer: String = "sgd"
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "L2 weight decay.") var weightDecay: Float = 5e-4
    @Option(help: "Seed of shuffling and dropout: equal seeds give identical results.") var seed: UInt64 = 0
    @Option(help: "OpenBLAS threads.") var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    func options(epochs: Int, defaultRate: Float) throws -> TrainingOptions {
        let rule: Optimizer
        switch optimizer {
        case "sgd": rule = .sgd(momentum: momentum, weightDecay: weightDecay)
        case "adam": rule = .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay)
        default: throw CLIError("--optimizer must be sgd or adam, got \(optimizer)")
        }
        return TrainingOptions(epochs: epochs, batchSize: batchSize, learningRate: lr ?? defaultRate,
                               learningRateDecay: lrDecay, optimizer: rule, seed: seed, threads: threads)
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
