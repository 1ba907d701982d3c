import SparrowModel

extension PrunedLayer {
    /// Survivors of a mask over (retrained) dense weights: what masked retraining hands back
    /// before quantization. Masked-in weights that became exactly 0 are dropped.
    public init(shape: [Int], weights: [Float], mask: [Bool]) {
        var positions: [Int] = []
        var values: [Float] = []
        for i in weights.indices where i < mask.count && mask[i] && weights[i] != 0 {
            positions.append(i)
            values.append(weights[i])
        }
        self.init(shape: shape, positions: positions, values: values)
    }
}

extension DeepCompression {
    /// Writes an artifact from final quantized layers (e.g. after centroid fine-tuning) and a
    /// model whose other initializers may have been retrained: the graph section is `model`
    /// without the quantized layers, with `denseReplacements` (e.g. retrained biases) swapped in.
    public static func artifact(quantized: [QuantizedLayer], model: ONNXModel, config: CompressionConfig,
                                denseReplacements: [String: Tensor] = [:],
                                accuracy: ArtifactMetadata.Accuracy? = nil) throws -> CompressionResult {
        let plan = try CompressionPlan(graph: model.graph, config: config)
        try plan.requireLayers()
        let byName = Dictionary(plan.layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var layers: [CompressedLayer] = []
        for q in quantized {
            let indexBits = byName[q.name]?.indexBits ?? config.indexBitsLayers[q.name] ?? config.indexBits
            layers.append(SparseEncoder.encode(q, indexBits: indexBits, huffman: config.huffman, order: config.sparseOrder))
        }
        var metadata = ArtifactMetadata()
        metadata.originalBytes = 4 * model.graph.parameterCount
        metadata.config = config.jsonValue
        metadata.accuracy = accuracy
        let graphBytes = try model.serialized(replacingInitializers: denseReplacements,
                                              removingInitializers: Set(quantized.map(\.name)))
        let artifact = Artifact(metadata: metadata, graphBytes: graphBytes, layers: layers)
        let bytes = artifact.serialized()
        return CompressionResult(artifact: artifact, bytes: bytes, report: CompressionReport(artifact: artifact, fileSize: bytes.count))
    }
}
