import SparrowModel

/// How one weight tensor will be compressed.
public struct LayerPlan: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var shape: [Int]
    public var rule: PruningRule
    public var bits: Int
    public var indexBits: SparseEncoder.IndexBits
    public var initialization: CentroidInit
    /// Seed for this layer's random choices: derived from the config seed and the layer's name.
    public var seed: UInt64
    public var tolerance: Double
    public var maxIterations: Int
    public var huffman: Bool
    public var order: SparseOrder

    public var count: Int { Tensor.count(of: shape) }
}

/// Which initializers are compressed, and how. The compressible layers are the weight inputs of
/// Gemm (B), MatMul (a constant operand) and Conv (W) with float32 data and at least `minParams`
/// values, or named by a per-layer override; everything else (biases, small tensors, other ops' constants) stays dense.
public struct CompressionPlan: Sendable, Equatable {
    public var config: CompressionConfig
    /// In the graph's node order, each initializer once.
    public var layers: [LayerPlan]
    /// Weights of a compressible kind left dense for having fewer than `minParams` values.
    public var belowMinimum: [String: Int] = [:]

    public init(graph: Graph, config: CompressionConfig) throws(CompressionError) {
        self.config = config
        var seen = Set<String>()
        var candidates: [(String, LayerKind)] = []
        for node in graph.nodes where node.domain.isEmpty || node.domain == "ai.onnx" {
            let weightInputs: [Int]
            let kind: LayerKind
            switch node.opType {
            case "Gemm": weightInputs = [1]; kind = .fc
            case "MatMul": weightInputs = [1, 0]; kind = .fc
            case "Conv": weightInputs = [1]; kind = .conv
            default: continue
            }
            for i in weightInputs where i < node.inputs.count {
                let name = node.inputs[i]
                guard let t = graph.initializers[name], t.dataType == .float32, !seen.contains(name) else { continue }
                seen.insert(name)
                candidates.append((name, kind))
            }
        }
        let compressible = Set(candidates.map(\.0))
        for (name, path) in config.layerReferences.sorted(by: { $0.path < $1.path }) {
            guard graph.initializers[name] != nil else {
                throw .invalidConfig(path: path, message: "no initializer named \"\(name)\" in the model")
            }
            guard compressible.contains(name) else {
                throw .invalidConfig(path: path, message: "\"\(name)\" is not a weight of a Gemm, MatMul or Conv node")
            }
        }
        layers = []
        let named = Set(config.layerReferences.map(\.name))
        for (name, kind) in candidates {
            // A layer an override names is compressed whatever its size: min_params only filters the rest.
            guard let tensor = graph.initializers[name], tensor.count >= 1 else { continue }
            guard named.contains(name) || tensor.count >= config.minParams else {
                belowMinimum[name] = tensor.count
                continue
            }
            let rule: PruningRule
            if let s = config.prune.layers[name] { rule = .sparsity(s) }
            else if let q = config.prune.thresholdStd { rule = .thresholdStd(q) }
            else { rule = .sparsity(config.prune.sparsity) }
            let bits = config.quantize.layers[name] ?? (kind == .fc ? config.quantize.fcBits : config.quantize.convBits)
            layers.append(LayerPlan(
                name: name, kind: kind, shape: tensor.shape, rule: rule, bits: bits,
                indexBits: config.indexBitsLayers[name] ?? config.indexBits,
                initialization: config.quantize.initialization,
                seed: config.quantize.seed ^ CompressionPlan.fnv1a(name), tolerance: config.quantize.tolerance,
                maxIterations: config.quantize.maxIterations, huffman: config.huffman, order: config.sparseOrder))
        }
    }

    /// Refuses a plan with nothing to compress, which would only wrap the model in an artifact.
    public func requireLayers() throws(CompressionError) {
        guard layers.isEmpty else { return }
        guard let largest = belowMinimum.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) else {
            throw .invalidModel("nothing to compress: the model has no float32 Gemm, MatMul or Conv weight")
        }
        throw .invalidConfig(path: "$.min_params", message: "nothing to compress: every weight has fewer than \(config.minParams) values (the largest, \(largest.key), has \(largest.value)); lower min_params or name a layer in an override")
    }

    /// A stable 64-bit hash (FNV-1a) of a name: Swift's Hasher is seeded per process.
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// Prune, quantize and encode one layer (the data-free path).
    public static func compressLayer(_ weights: [Float], plan: LayerPlan) -> CompressedLayer {
        let pruned = Pruner.prune(weights, shape: plan.shape, rule: plan.rule)
        let quantized = Quantizer.quantize(pruned, name: plan.name, kind: plan.kind, bits: plan.bits,
                                           initialization: plan.initialization, seed: plan.seed,
                                           tolerance: plan.tolerance, maxIterations: plan.maxIterations)
        return SparseEncoder.encode(quantized, indexBits: plan.indexBits, huffman: plan.huffman, order: plan.order)
    }
}
