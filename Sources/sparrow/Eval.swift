import ArgumentParser
import FoundationEssentials
import SparrowInference
import SparrowModel

/// `sparrow eval MODEL --dataset DATA`: top-1 accuracy of a classifier.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a classifier's top-1 accuracy on a labelled dataset.",
        discussion: """
            DATA is an .npz with arrays x and y, an MNIST IDX images file (with --labels), or a \
            directory holding the MNIST files (with --split). MNIST pixels are scaled to 0...1. \
            Inputs are reshaped to the model's input when element counts match (e.g. [N,1,28,28] to \
            [N,784]). The prediction is the argmax of the first float [N, classes] output, or else \
            the first int64 label output (as scikit-learn classifiers emit).
            """
    )

    @Argument(help: "The model (.onnx or .sparrow).") var model: String
    @Option(help: "Engine for .sparrow artifacts: sparse (packed weights) or dense (decoded, for comparison).")
    var engine: InferenceEngine = .sparse
    @Option(help: "Dataset: .npz (x, y), MNIST IDX images file, or MNIST directory.") var dataset: String
    @Option(help: "MNIST IDX labels file, when --dataset is an IDX images file.") var labels: String?
    @Option(help: "Split of an MNIST directory: train or test.") var split = "test"
    @Option(help: "Samples per run.") var batchSize = 256
    @Option(help: "Evaluate only the first N samples.") var limit: Int?
    @Flag(help: "Print {\"samples\": N, \"accuracy\": A}.") var json = false

    func validate() throws {
        guard batchSize > 0 else { throw CLIError("--batch-size must be positive") }
        if let limit, limit <= 0 { throw CLIError("--limit must be positive") }
    }

    func run() throws {
        let loaded = try loadModelForInference(path: model, engine: engine)
        let data = try Dataset.load(path: dataset, labels: labels, split: split)
        let result = try Evaluation.accuracy(of: loaded, on: data, batchSize: batchSize, limit: limit)
        if json {
            print("{\"samples\": \(result.samples), \"accuracy\": \(result.accuracy)}")
        } else {
            print(String(cFormat: "accuracy %.4f (%ld/%ld)", result.accuracy, result.correct, result.samples))
        }
    }
}

/// Batched top-1 evaluation, shared by `eval` and (later) the service.
enum Evaluation {
    struct Result {
        let samples: Int
        let correct: Int
        var accuracy: Double { samples == 0 ? 0 : Double(correct) / Double(samples) }
    }

    static func accuracy(of model: InferenceModel, on data: Dataset, batchSize: Int, limit: Int?) throws -> Result {
        guard model.graph.inputs.count == 1, let input = model.graph.inputs.first else {
            throw CLIError("eval needs a single-input model; this one has inputs \(InputFeeding.names(model.graph.inputs))")
        }
        let total = min(limit ?? data.count, data.count)
        var correct = 0
        var start = 0
        while start < total {
            let end = start + min(batchSize, total - start)
            let batch = data.batch(start..<end)
            let x = try InputFeeding.convert(reshape(batch.x, to: input), to: input)
            try InputFeeding.checkShape(x.shape, against: input)
            let outputs = try model.runtime.run([input.name: x])
            try InferenceModel.checkDeclaredOutputs(outputs, graph: model.graph)
            let predictions = try predict(outputs, graph: model.graph, batch: end - start)
            correct += zip(predictions, batch.y).filter { $0 == $1 }.count
            start = end
        }
        return Result(samples: total, correct: correct)
    }

    /// Reshapes a batch [B, ...] to the declared input when the per-sample element counts agree.
    static func reshape(_ x: Tensor, to info: ValueInfo) throws -> Tensor {
        let b = x.shape[0]
        let perSample = x.count / max(b, 1)
        var target = [b]
        var free: Int?
        for (axis, dim) in info.shape.enumerated().dropFirst() {
            switch dim {
            case .fixed(let n): target.append(n)
            case .dynamic:
                guard free == nil else { return x }  // several unknown dims: keep the data's shape
                free = axis
                target.append(1)
            }
        }
        guard !info.shape.isEmpty else { return x }
        let known = target.dropFirst().reduce(1, *)
        if let free {
            guard known > 0, perSample % known == 0 else { return x }
            target[free] = perSample / known
        }
        guard target.dropFirst().reduce(1, *) == perSample else {
            throw CLIError("dataset samples have shape \(Array(x.shape.dropFirst())) (\(perSample) values), the model input '\(info.name)' expects \(InputFeeding.describe(info.shape))")
        }
        return x.reshaped(target)
    }

    /// Predicted class per sample: argmax of the first float [B, classes] output, else an int64 label output.
    static func predict(_ outputs: [String: Tensor], graph: Graph, batch: Int) throws -> [Int64] {
        for info in graph.outputs {
            guard let t = outputs[info.name], t.dataType == .float32, t.rank == 2, t.shape[0] == batch, t.shape[1] > 0 else { continue }
            let classes = t.shape[1]
            let v = t.floats
            return (0..<batch).map { row in
                // Scores with a NaN name no class (argmax would fall back to class 0): counted wrong.
                guard !(0..<classes).contains(where: { v[row * classes + $0].isNaN }) else { return -1 }
                var best = 0
                for c in 1..<classes where v[row * classes + c] > v[row * classes + best] { best = c }
                return Int64(best)
            }
        }
        for info in graph.outputs {
            guard let t = outputs[info.name], t.dataType == .int64, t.count == batch, t.rank <= 2 else { continue }
            return t.int64s
        }
        throw CLIError("cannot find a prediction: the model needs a float [N, classes] output or an int64 label output (outputs: \(graph.outputs.map(\.name)))")
    }
}
