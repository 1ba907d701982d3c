import ArgumentParser
import FoundationEssentials
import SparrowModel
import SparrowTraining

/// `sparrow train MODEL.onnx --dataset TRAIN --epochs N [--lr LR] [--seed S] -o OUT.onnx`
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the float initializers of an ONNX classifier with softmax cross-entropy (SGD or Adam).")

    @Argument(help: "The ONNX model (its weights may be random).") var model: String
    @OptionGroup var training: TrainingArguments
    @Option(help: "Epochs over the training data.") var epochs: Int = 10
    @Option(name: .shortAndLong, help: "Where to write the trained ONNX model.") var output: String
    @Flag(name: .shortAndLong, help: "Print only errors and the final summary.") var quiet = false

    func run() throws {
        try CLIFiles.checkOutputs([output], inputs: [model, training.dataset, training.eval])
        let (reports, samples, before, after) = try training.trainAndWrite(model: model, epochs: epochs, output: output) {
            trainer, data in
            try trainer.fit(data, span: .init(stage: "train"), monitor: ProgressPrinter.monitor(quiet: quiet))
        }
        var summary = "trained \(epochs) epochs on \(samples) samples"
        if let last = reports.last { summary += String(cFormat: ", %.0f samples/s", last.samplesPerSecond) }
        if let before, let after {
            summary += String(cFormat: "; held-out accuracy %.2f%% -> %.2f%%", before.accuracy * 100, after.accuracy * 100)
        }
        print(summary)
    }
}
