import SparrowModel

/// A `.sparrow` file: metadata, the ONNX graph without its compressed weights, and one section per
/// compressed layer. The byte layout is specified in docs/FORMAT.md; this type reads and writes it
/// and nothing else (bytes in, bytes out).
public struct Artifact: Sendable, Equatable {
    public static let magic: [UInt8] = Array("SPRW".utf8)
    public static let version: UInt32 = 1
    static let headerSize = 16
    static let tableEntrySize = 32
    /// No file has this many sections; the cap stops a forged count before any allocation.
    static let maxSections = 1 << 20
    /// Largest layer we accept: 2^31 values (8 GiB dense float32; VGG-16's largest layer has
    /// 2^26.6). Decoding allocates the dense layer, so the cap bounds what a forged shape can ask for.
    static let maxTensorValues = 1 << 31
    static let maxRank = 8

    enum SectionKind: UInt32 {
        case meta = 1
        case graph = 2
        case layer = 3
    }

    public var metadata: ArtifactMetadata
    /// A serialized ONNX ModelProto without the compressed initializers.
    public var graphBytes: [UInt8]
    public var layers: [CompressedLayer]

    public init(metadata: ArtifactMetadata, graphBytes: [UInt8], layers: [CompressedLayer]) {
        self.metadata = metadata
        self.graphBytes = graphBytes
        self.layers = layers
    }

    /// The decoded weights of every compressed layer, by initializer name. Callers that run or
    /// export the model check the layers against the graph first (`checkLayersAgainstGraph`), so
    /// that a forged shape is refused before decoding allocates it.
    /// Bytes decoding every layer to dense float32 allocates.
    public var decodedBytes: Int { layers.reduce(0) { $0 + $1.count * 4 } }

    /// An upper bound on what packing the layers for the sparse engine allocates: offsets per row
    /// and column, and 8 bytes per stored entry.
    public var packedBytesBound: Int { layers.reduce(0) { $0 + ($1.rows + $1.cols + 1) * 8 + $1.entryCount * 8 } }

    public func decodedInitializers() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for layer in layers { out[layer.name] = try layer.denseTensor() }
        return out
    }

    /// Decodes every layer's streams once, so a file whose header is sound but whose streams are
    /// corrupt is rejected up front. (The byte format alone; `checkLayersAgainstGraph` checks the
    /// layers against the graph section.)
    public func validate() throws {
        for layer in layers { try layer.forEachPosition(includeFillers: true) { _, _ in } }
    }

    /// The graph section, parsed with each compressed layer restored as a one-value placeholder: the
    /// stored graph lacks them, and ONNX validation wants every input defined.
    public func placeholderGraph() throws -> Graph {
        let placeholders = Dictionary(layers.map { ($0.name, Tensor.scalar(Float(0))) }, uniquingKeysWith: { a, _ in a })
        return try ONNXModel(serializedBytes: graphBytes, restoringInitializers: placeholders).graph
    }

    /// The graph section parses with every compressed layer in place, and each layer is a weight
    /// the compressor takes — Gemm's B (rank 2), a MatMul operand (rank 1 or more) or a Conv kernel
    /// (rank 3 or more) — of at least one node. A graph that is not ONNX, a layer the graph never
    /// uses or uses only otherwise (a bias), or a rank that no such use allows is refused.
    public func checkLayersAgainstGraph() throws {
        let graph: Graph
        do {
            graph = try placeholderGraph()
        } catch {
            throw CompressionError.malformedArtifact(section: "GRAPH", message: "\(error)")
        }
        for layer in layers {
            var weightUses = 0
            for node in graph.nodes {
                for (index, input) in node.inputs.enumerated() where input == layer.name {
                    let needed: ClosedRange<Int>?
                    switch (node.opType, index) {
                    case ("Gemm", 1): needed = 2...2
                    case ("MatMul", _): needed = 1...Artifact.maxRank
                    case ("Conv", 1): needed = 3...Artifact.maxRank
                    default: needed = nil
                    }
                    guard let needed else { continue }
                    guard needed.contains(layer.shape.count) else {
                        throw CompressionError.malformedArtifact(
                            section: "LAYER \(layer.name)",
                            message: "shape \(layer.shape) cannot be input \(index) of \(node.opType) node '\(node.name)'")
                    }
                    weightUses += 1
                }
            }
            guard weightUses > 0 else {
                throw CompressionError.malformedArtifact(
                    section: "LAYER \(layer.name)",
                    message: "the graph uses no such tensor as a Gemm, MatMul or Conv weight")
            }
        }
    }
}
