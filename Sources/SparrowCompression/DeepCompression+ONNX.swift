import SparrowModel

extension DeepCompression {
    /// Compresses ONNX model bytes: the graph section is the same ONNX without the compressed
    /// initializers. `reportGzip` also measures the dense file after gzip -9 (slow on big models).
    public static func compress(onnx bytes: [UInt8], config: CompressionConfig, reportGzip: Bool = true,
                                progress: @Sendable (String, Double) -> Void = { _, _ in },
                                isCancelled: @Sendable () -> Bool = { false }) throws -> CompressionResult {
        progress("load", 0)
        let model = try ONNXModel(serializedBytes: bytes)
        return try compress(graph: model.graph, config: config,
                            graphBytesWithout: { try model.serialized(removingInitializers: $0) },
                            denseModelBytes: reportGzip ? bytes : nil, progress: progress, isCancelled: isCancelled)
    }
}

extension Artifact {
    /// The model with every compressed layer decoded back in: a standard dense ONNX model whose
    /// weights are bit-identical to the pruned and quantized ones.
    public func restoredModel() throws -> ONNXModel {
        try ONNXModel(serializedBytes: graphBytes, restoringInitializers: decodedInitializers())
    }

    /// Dense ONNX bytes of `restoredModel()`.
    public func denseONNX() throws -> [UInt8] { try restoredModel().serialized() }
}
