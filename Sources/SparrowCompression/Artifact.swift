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
    /// Largest tensor we accept: 2^40 values (4 TiB dense) — far beyond any real layer.
    static let maxTensorValues = 1 << 40
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

    /// The decoded weights of every compressed layer, by initializer name.
    public func decodedInitializers() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for layer in layers { out[layer.name] = try layer.denseTensor() }
        return out
    }

    /// Decodes every layer's streams once, so a file whose header is sound but whose streams are
    /// corrupt is rejected up front.
    public func validate() throws {
        for layer in layers { try layer.forEachPosition(includeFillers: true) { _, _ in } }
    }
}
