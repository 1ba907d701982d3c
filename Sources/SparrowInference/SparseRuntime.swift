import SparrowCompression
import SparrowModel

/// How a `.sparrow` artifact is executed.
public enum InferenceEngine: String, Sendable, CaseIterable {
    /// Compressed weights stay packed and run on the EIE-style sparse engine.
    case sparse
    /// Compressed weights are decoded to dense float tensors and run through BLAS (for comparison).
    case dense
}

/// A runtime for a `.sparrow` artifact on the chosen engine. With `.sparse`, every compressed weight
/// that is the B input of Gemm / MatMul or the W input of a group-1 Conv becomes a
/// `SparseLinearLayer` (built once, here); any other use of a compressed tensor, and every
/// uncompressed tensor, runs as in the dense runtime.
public func makeRuntime(artifact: Artifact, engine: InferenceEngine = .sparse,
                        threads: Int = SparseLinearLayer.defaultThreads) throws -> DenseRuntime {
    switch engine {
    case .dense:
        return try DenseRuntime(graph: try artifact.restoredModel().graph)
    case .sparse:
        return try makeSparseRuntime(artifact: artifact, threads: threads)
    }
}

/// The sparse-engine runtime for an artifact (see `makeRuntime(artifact:engine:threads:)`).
public func makeSparseRuntime(artifact: Artifact, threads: Int = SparseLinearLayer.defaultThreads) throws -> DenseRuntime {
    let (graph, layers) = try makeSparseLayers(artifact: artifact, threads: threads)
    return try DenseRuntime(graph: graph, linearOperators: layers)
}

/// The pieces of the sparse runtime: the artifact's graph — with the compressed tensors the engine
/// cannot take decoded back in as initializers — and one packed layer per compressed weight it takes.
public func makeSparseLayers(artifact: Artifact, threads: Int = SparseLinearLayer.defaultThreads)
    throws -> (graph: Graph, layers: [String: SparseLinearLayer])
{
    // Each placeholder is dropped again below: replaced by a packed layer or the decoded tensor.
    var graph = try artifact.placeholderGraph()
    let uses = SparseWeightUse.classify(graph: graph, layers: artifact.layers)
    var operators: [String: SparseLinearLayer] = [:]
    for layer in artifact.layers {
        graph.initializers[layer.name] = nil
        if let transposed = uses[layer.name] {
            let matrix = try SparseMatrix(layer, transposed: transposed)
            operators[layer.name] = try SparseLinearLayer(matrix, threads: threads)
        } else {
            graph.initializers[layer.name] = try layer.denseTensor()
        }
    }
    // A Conv running through an operator needs kernel_shape; the weight tensor is gone, so state it.
    for i in graph.nodes.indices where graph.nodes[i].opType == "Conv" && graph.nodes[i].attributes["kernel_shape"] == nil {
        let node = graph.nodes[i]
        if node.inputs.count > 1, operators[node.inputs[1]] != nil,
           let layer = artifact.layers.first(where: { $0.name == node.inputs[1] }) {
            graph.nodes[i].attributes["kernel_shape"] = .ints(layer.shape.dropFirst(2).map { Int64($0) })
        }
    }
    return (graph, operators)
}

/// Which compressed tensors can run as a sparse operator, and in which orientation.
enum SparseWeightUse {
    /// Name → transposed (stored in × out) for every layer all of whose uses are operator weights
    /// with one orientation; other layers are absent.
    static func classify(graph: Graph, layers: [CompressedLayer]) -> [String: Bool] {
        var orientation: [String: Bool?] = [:]  // nil value: seen in a use the engine cannot take
        let names = Set(layers.map(\.name))
        let ranks = Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0.shape.count) })
        for node in graph.nodes {
            for (index, input) in node.inputs.enumerated() where names.contains(input) {
                let use = index == 1 ? orientationOfWeight(node, rank: ranks[input] ?? 0) : nil
                if let seen = orientation[input], seen != use {
                    orientation[input] = .some(nil)
                } else {
                    orientation[input] = .some(use)
                }
            }
        }
        for output in graph.outputs where names.contains(output.name) { orientation[output.name] = .some(nil) }
        return orientation.compactMapValues { $0 }
    }

    /// transposed for a weight stored in × out, false for out × in, nil if the op cannot use an operator.
    static func orientationOfWeight(_ node: Node, rank: Int) -> Bool? {
        switch node.opType {
        case "MatMul":
            return rank == 2 ? true : nil
        case "Gemm":
            guard rank == 2 else { return nil }
            if case .int(let t)? = node.attributes["transB"] { return t == 0 }
            return node.attributes["transB"] == nil ? true : nil
        case "Conv":
            guard rank >= 3 else { return nil }
            if let g = node.attributes["group"] {
                guard case .int(1) = g else { return nil }
            }
            return false
        default:
            return nil
        }
    }
}
