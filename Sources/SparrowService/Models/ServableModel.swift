import SparrowCompression
import SparrowInference
import SparrowModel

/// A model version ready to answer inference requests: its graph compiled into a runtime.
///
/// Built once per version and shared by every request thread (`DenseRuntime.run` is reentrant).
public final class ServableModel: Sendable {
    public let inputs: [TensorSpec]
    public let outputs: [TensorSpec]
    public let parameters: Int
    let runtime: DenseRuntime
    let inputInfo: [ValueInfo]
    let outputInfo: [ValueInfo]

    /// Parses and validates ONNX bytes; every op must be one the runtime executes.
    public convenience init(onnx bytes: [UInt8]) throws {
        let model = try ONNXModel(serializedBytes: bytes)
        try self.init(graph: model.graph)
    }

    /// Loads a `.sparrow` artifact on the chosen engine: `.sparse` keeps the compressed layers
    /// packed and runs them on the EIE-style sparse engine, `.dense` decodes them to floats.
    public init(artifact bytes: [UInt8], engine: InferenceEngine = .sparse) throws {
        let artifact = try Artifact(bytes: bytes)
        let graph: Graph
        switch engine {
        case .sparse:
            // One thread per layer: the server's concurrency comes from serving requests in
            // parallel, and splitting each small batch-1 product across cores only adds handoffs.
            let (sparseGraph, layers) = try makeSparseLayers(artifact: artifact, threads: 1)
            graph = sparseGraph
            runtime = try DenseRuntime(graph: sparseGraph, linearOperators: layers)
        case .dense:
            graph = try artifact.restoredModel().graph
            runtime = try DenseRuntime(graph: graph)
        }
        inputInfo = graph.inputs
        outputInfo = graph.outputs
        inputs = graph.inputs.map(ServableModel.spec)
        outputs = graph.outputs.map(ServableModel.spec)
        // Count the model's weights, packed ones included.
        parameters = graph.initializers.values.reduce(0) { $0 + $1.count }
            + artifact.layers.filter { graph.initializers[$0.name] == nil }.reduce(0) { $0 + $1.count }
    }

    public init(graph: Graph) throws {
        runtime = try DenseRuntime(graph: graph)
        inputInfo = graph.inputs
        outputInfo = graph.outputs
        inputs = graph.inputs.map(ServableModel.spec)
        outputs = graph.outputs.map(ServableModel.spec)
        parameters = graph.parameterCount
    }

    static func spec(_ info: ValueInfo) -> TensorSpec {
        TensorSpec(name: info.name, datatype: info.elementType.rawValue, shape: info.shape.map { dim in
            if case .fixed(let n) = dim { return n }
            return -1
        })
    }

    /// Runs one request: inputs are checked against the declared names, types and fixed dimensions.
    public func infer(_ request: InferenceRequest) throws(InferenceError) -> [InferenceOutput] {
        var feed: [String: Tensor] = [:]
        for input in request.inputs {
            guard let declared = inputInfo.first(where: { $0.name == input.name }) else {
                throw .invalid("unexpected input '\(input.name)'; the model takes \(inputs.map(\.name))")
            }
            guard declared.elementType == input.elementType else {
                throw .invalid("input '\(input.name)' must be \(declared.elementType.rawValue), got \(input.elementType.rawValue)")
            }
            let shape = input.tensor.shape
            let matches = shape.count == declared.shape.count && zip(shape, declared.shape).allSatisfy { got, want in
                if case .fixed(let n) = want { return n == got }
                return true
            }
            guard matches else {
                throw .invalid("input '\(input.name)' has shape \(shape); the model expects \(ServableModel.spec(declared).shape)")
            }
            feed[input.name] = input.tensor
        }
        if let missing = inputInfo.first(where: { feed[$0.name] == nil }) {
            throw .invalid("missing input '\(missing.name)'")
        }
        let wanted: [String]
        if let requested = request.outputs {
            for output in requested where !outputs.contains(where: { $0.name == output.name }) {
                throw .invalid("unknown output '\(output.name)'; the model has \(outputs.map(\.name))")
            }
            wanted = requested.map(\.name)
        } else {
            wanted = outputs.map(\.name)
        }
        let results: [String: Tensor]
        do {
            results = try runtime.run(feed)
        } catch {
            throw .invalid("inference failed: \(error)")
        }
        return try wanted.map { (name) throws(InferenceError) -> InferenceOutput in
            guard let tensor = results[name] else { throw InferenceError(.internalError, "the model produced no output '\(name)'") }
            let declared = outputInfo.first { $0.name == name }
            if let problem = declared?.mismatch(tensor) { throw InferenceError(.internalError, problem) }
            return InferenceOutput(name: name, elementType: declared?.elementType, tensor: tensor, binary: request.wantsBinary(name))
        }
    }
}
