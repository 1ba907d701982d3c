import FoundationEssentials
import SparrowCompression
import SparrowModel

/// What the web console shows that the REST resources do not carry: a model's weight layers
/// before any compression, and per compressed layer the weight histograms before and after.
extension ServiceCore {
    /// The Gemm/MatMul/Conv weights of version 1 (the upload), in graph order.
    public func modelLayers(id: String) throws -> [ModelLayer] {
        _ = try requireModel(id: id)
        guard let dense = try catalog.versions(of: id).first else { throw ServiceError.notFound("model '\(id)' has no versions") }
        let graph = try ONNXModel(serializedBytes: try blobs.read(dense.digest)).graph
        var everything = CompressionConfig()
        everything.minParams = 0
        let defaults = CompressionConfig()
        let users = Dictionary(graph.nodes.flatMap { n in n.inputs.map { ($0, n) } }, uniquingKeysWith: { first, _ in first })
        return try CompressionPlan(graph: graph, config: everything).layers.map { layer in
            let node = users[layer.name]
            return ModelLayer(name: layer.name, kind: layer.kind.rawValue, node: node?.displayName ?? "",
                              op: node?.opType ?? "", shape: layer.shape, params: layer.count,
                              compressible: layer.count >= max(1, defaults.minParams))
        }
    }

    /// Histograms of each compressed layer of an artifact: the source model's weights against the
    /// artifact's decoded ones, `bins` bins each (1...1000).
    public func artifactHistograms(id: String, bins: Int) throws -> [WeightHistogram] {
        guard (1...1000).contains(bins) else { throw ServiceError.badRequest("bins must be 1...1000") }
        guard ResourceID.isValid(id, kind: .artifact), let record = try catalog.artifact(id: id) else {
            throw ServiceError.notFound("no artifact with id '\(id)'")
        }
        guard let dense = try catalog.versions(of: record.modelID).first else {
            throw ServiceError.notFound("the model of artifact '\(id)' is gone")
        }
        let graph = try ONNXModel(serializedBytes: try blobs.read(dense.digest)).graph
        let artifact = try Artifact(bytes: try blobs.read(record.digest))
        return try artifact.layers.map { layer in
            guard let tensor = graph.initializers[layer.name], case .float32(let original) = tensor.storage else {
                throw ServiceError(500, "artifact layer '\(layer.name)' has no float32 source weights")
            }
            return WeightHistogram(name: layer.name, original: original, decoded: try layer.dense(),
                                   centroids: layer.codebook, bins: bins)
        }
    }
}
