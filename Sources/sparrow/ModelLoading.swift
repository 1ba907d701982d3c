import SparrowCompression
import SparrowInference
import SparrowModel

/// A model ready to run: its graph and a compiled runtime.
struct InferenceModel {
    let graph: Graph
    let runtime: DenseRuntime

    /// Refuses outputs whose computed type contradicts the declared one (onnxruntime refuses such a
    /// model at load), rather than reading or writing them as the declared type.
    static func checkDeclaredOutputs(_ outputs: [String: Tensor], graph: Graph) throws {
        for info in graph.outputs {
            if let computed = outputs[info.name], let problem = info.mismatch(computed) { throw CLIError(problem) }
        }
    }
}

/// Loads a model file for `infer`, `eval` and `bench-model`.
///
/// `.onnx` files run on the dense runtime. `.sparrow` artifacts (recognised by their magic) run on
/// the sparse engine by default — compressed weights stay packed, decoded once here — or, with
/// `engine: .dense`, decoded to dense tensors for comparison.
func loadModelForInference(path: String, engine: InferenceEngine = .sparse) throws -> InferenceModel {
    let bytes = try FileIO.read(path)
    guard bytes.starts(with: Artifact.magic) else {
        let model = try ONNXModel(serializedBytes: bytes)
        return InferenceModel(graph: model.graph, runtime: try DenseRuntime(graph: model.graph))
    }
    let artifact = try Artifact(bytes: bytes)
    try MemoryCheck.require(artifact, dense: engine == .dense, path: path)
    switch engine {
    case .sparse:
        let (graph, layers) = try makeSparseLayers(artifact: artifact)
        return InferenceModel(graph: graph, runtime: try DenseRuntime(graph: graph, linearOperators: layers))
    case .dense:
        let model = try artifact.restoredModel()
        return InferenceModel(graph: model.graph, runtime: try DenseRuntime(graph: model.graph))
    }
}
