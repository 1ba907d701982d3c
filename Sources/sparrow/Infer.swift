import ArgumentParser
import SparrowInference
import SparrowModel

/// `sparrow infer MODEL --input IN --output OUT`: runs a model once on arrays from a file.
struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on inputs from an .npz (or .npy) file and write its outputs to an .npz.",
        discussion: """
            IN is an .npz with one array per graph input, named after the input, or an .npy for a \
            single-input model. Arrays are converted to the input's declared type (a value that type \
            cannot hold is an error; float16/bfloat16 inputs are rounded). OUT receives one array per \
            graph output in its declared type (an .npy path is accepted for single-output models).
            """
    )

    @Argument(help: "The model (.onnx or .sparrow).") var model: String
    @Option(help: "Engine for .sparrow artifacts: sparse (packed weights) or dense (decoded, for comparison).")
    var engine: InferenceEngine = .sparse
    @Option(name: .shortAndLong, help: "Input arrays (.npz or .npy).") var input: String
    @Option(name: .shortAndLong, help: "Where to write the outputs (.npz).") var output: String
    @Flag(help: "Write a deflate-compressed .npz.") var compress = false

    func run() throws {
        try CLIFiles.checkOutputs([output], inputs: [model, input])
        let loaded = try loadModelForInference(path: model, engine: engine)
        let feeds = try InputFeeding.load(path: input, for: loaded.graph)
        let results = try loaded.runtime.run(feeds)
        try InferenceModel.checkDeclaredOutputs(results, graph: loaded.graph)
        let declared = Dictionary(loaded.graph.outputs.map { ($0.name, $0.elementType) }) { first, _ in first }
        if output.hasSuffix(".npy") {
            guard results.count == 1, let (name, only) = results.first else {
                throw CLIError("the model has \(results.count) outputs; write them to an .npz")
            }
            try NPY.write(only, as: declared[name], to: output)
        } else {
            try NPZ.write(results, elementTypes: declared, to: output, compressed: compress)
        }
    }
}
