import Dispatch
import SparrowModel
import Synchronization

/// What a one-call compression returns.
public struct CompressionResult: Sendable {
    public var artifact: Artifact
    /// `artifact.serialized()`, the bytes to write.
    public var bytes: [UInt8]
    public var report: CompressionReport
}

/// The data-free pipeline: plan, then prune → quantize → encode each layer (both cores across
/// layers, results placed by index so the output does not depend on scheduling), then write.
public enum DeepCompression {
    /// Compresses a model.
    /// - Parameters:
    ///   - graphBytesWithout: the source ONNX serialized without the named initializers (the
    ///     compressed ones); the artifact's graph section.
    ///   - denseModelBytes: the source ONNX file, to report its gzip -9 size (optional), or
    ///   - denseGzipBytes: that size, if already known.
    ///   - progress: called with a stage name ("plan", "compress", "write") and a fraction in [0, 1].
    ///   - isCancelled: polled between layers; true stops with `CompressionError.cancelled`.
    public static func compress(graph: Graph, config: CompressionConfig,
                                graphBytesWithout: (Set<String>) throws -> [UInt8],
                                denseModelBytes: [UInt8]? = nil, denseGzipBytes: Int? = nil,
                                progress: @Sendable (String, Double) -> Void = { _, _ in },
                                isCancelled: @Sendable () -> Bool = { false }) throws -> CompressionResult {
        progress("plan", 0)
        let plan = try CompressionPlan(graph: graph, config: config)
        try plan.requireLayers()
        let layers = try compressLayers(plan: plan, graph: graph, progress: progress, isCancelled: isCancelled)
        progress("write", 0)
        var metadata = ArtifactMetadata()
        metadata.originalBytes = 4 * graph.parameterCount
        metadata.config = config.jsonValue
        metadata.denseGzipBytes = denseGzipBytes ?? denseModelBytes.flatMap { try? Zlib.gzipSize($0, level: 9) }
        let artifact = Artifact(metadata: metadata, graphBytes: try graphBytesWithout(Set(plan.layers.map(\.name))),
                                layers: layers)
        let bytes = artifact.serialized()
        progress("write", 1)
        return CompressionResult(artifact: artifact, bytes: bytes, report: CompressionReport(artifact: artifact, fileSize: bytes.count))
    }

    /// Prunes, quantizes and encodes every planned layer, in plan order.
    public static func compressLayers(plan: CompressionPlan, graph: Graph,
                                      progress: @Sendable (String, Double) -> Void = { _, _ in },
                                      isCancelled: @Sendable () -> Bool = { false }) throws -> [CompressedLayer] {
        let total = max(1, plan.layers.reduce(0) { $0 + $1.count })
        // Largest layers first so the two cores finish together.
        let order = plan.layers.indices.sorted { (plan.layers[$0].count, $1) > (plan.layers[$1].count, $0) }
        let state = Mutex<(results: [CompressedLayer?], error: CompressionError?, done: Int)>(
            (Array(repeating: nil, count: plan.layers.count), nil, 0))
        progress("compress", 0)
        DispatchQueue.concurrentPerform(iterations: order.count) { slot in
            let i = order[slot]
            let layerPlan = plan.layers[i]
            if state.withLock({ $0.error != nil }) { return }
            if isCancelled() { state.withLock { $0.error = $0.error ?? .cancelled }; return }
            guard let tensor = graph.initializers[layerPlan.name], case .float32(let weights) = tensor.storage else { return }
            guard weights.allSatisfy(\.isFinite) else {
                state.withLock { $0.error = $0.error ?? .invalidModel("initializer \"\(layerPlan.name)\" holds NaN or infinite values") }
                return
            }
            let layer = CompressionPlan.compressLayer(weights, plan: layerPlan)
            let done = state.withLock { s -> Int in
                s.results[i] = layer
                s.done += layerPlan.count
                return s.done
            }
            progress("compress", Double(done) / Double(total))
        }
        let (results, error, _) = state.withLock { $0 }
        if let error { throw error }
        return results.compactMap { $0 }
    }
}
