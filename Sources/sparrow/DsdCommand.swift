import ArgumentParser
import FoundationEssentials
import SparrowModel
import SparrowTraining

/// `sparrow dsd MODEL.onnx --dataset TRAIN -o OUT.onnx`: dense → sparse → dense training.
struct DsdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dsd",
        abstract: "Dense-sparse-dense training (Han et al., ICLR 2017): prune, retrain sparse, restore and retrain at lr/10.")

    @Argument(help: "The ONNX model.") var model: String
    @OptionGroup var training: TrainingArguments
    @Option(help: "Sparsity of every weight matrix and kernel in the sparse phase.") var sparsity: Double = 0.5
    @Option(help: "Epochs of each phase (dense, sparse, re-dense).") var epochs: Int = 2
    @Option(name: .shortAndLong, help: "Where to write the trained ONNX model.") var output: String
    @Flag(name: .shortAndLong, help: "Print only errors and the final summary.") var quiet = false

    func run() throws {
        try CLIFiles.checkOutputs([output], inputs: [model, training.dataset, training.eval])
        guard sparsity >= 0, sparsity < 1 else { throw CLIError("--sparsity must be in [0, 1), got \(sparsity)") }
        let (_, _, before, after) = try training.trainAndWrite(model: model, epochs: epochs, output: output) { trainer, data in
            try DenseSparseDense.run(trainer, plan: .init(sparsity: sparsity, denseEpochs: epochs, sparseEpochs: epochs,
                                                          redenseEpochs: epochs),
                                     data: data, monitor: ProgressPrinter.monitor(quiet: quiet))
        }
        if let before, let after {
            print(String(cFormat: "DSD: held-out accuracy %.2f%% -> %.2f%%", before.accuracy * 100, after.accuracy * 100))
        } else {
            print("DSD: trained \(3 * epochs) epochs")
        }
    }
}
