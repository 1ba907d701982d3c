import SparrowInference
import SparrowModel

/// A model ready to run: its graph and a compiled runtime.
struct InferenceModel {
    let graph: Graph
    let runtime: DenseRuntime
}

/// Loads a model file for `infer`, `eval` and `bench-model`.
///
/// Today: `.onnx` files, run by the dense runtime. `.sparrow` artifacts plug in here: decode to a
/// graph plus linear operators for the compressed weights, then `DenseRuntime(graph:linearOperators:)`.
func loadModelForInference(path: String) throws -> InferenceModel {
    let model = try ONNXModel(contentsOf: path)
    return InferenceModel(graph: model.graph, runtime: try DenseRuntime(graph: model.graph))
}
