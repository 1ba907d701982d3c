import SparrowModel

extension DeepCompression {
    /// Compresses ONNX model bytes: the graph section is the same ONNX without the compressed
    /// initializers. `reportGzip` also measures the dense file after gzip -9 (slow on big models).
    public static func compress(onnx bytes: consuming [UInt8], config: CompressionConfig, reportGzip: Bool = true,
                                progress: @Sendable (String, Double) -> Void = { _, _ in },
                                isCancelled: @Sendable () -> Bool = { false }) throws -> CompressionResult {
        progress("load", 0)
        let gzipSize = reportGzip ? (try? Zlib.gzipSize(bytes, level: 9)) : nil
        let (graph, graphBytes) = try parseReleasingBytes(bytes, config: config)
        return try compress(graph: graph, config: config, graphBytesWithout: { _ in graphBytes },
                            denseGzipBytes: gzipSize, progress: progress, isCancelled: isCancelled)
    }

    /// The graph and the graph section of an ONNX file. Only the graph outlives this call: the file
    /// bytes go once parsed, the protobuf (a second copy of every weight) when it returns.
    private static func parseReleasingBytes(_ bytes: consuming [UInt8],
                                            config: CompressionConfig) throws -> (Graph, [UInt8]) {
        let model = try ONNXModel(serializedBytes: bytes)  // takes ownership of the bytes
        let plan = try CompressionPlan(graph: model.graph, config: config)
        try plan.requireLayers()
        return (model.graph, try model.serialized(removingInitializers: Set(plan.layers.map(\.name))))
    }
}

extension Artifact {
    /// The model with every compressed layer decoded back in: a standard dense ONNX model whose
    /// weights are bit-identical to the pruned and quantized ones.
    public func restoredModel() throws -> ONNXModel {
        try checkLayersAgainstGraph()
        return try ONNXModel(serializedBytes: graphBytes, restoringInitializers: decodedInitializers())
    }

    /// Dense ONNX bytes of `restoredModel()`.
    public func denseONNX() throws -> [UInt8] { try restoredModel().serialized() }
}
