import FoundationEssentials

/// Sizes of an artifact, overall and per layer: what `--report` writes and `inspect` prints.
/// Everything is measured from the artifact's real bytes.
public struct CompressionReport: Sendable, Codable, Equatable {
    public struct Layer: Sendable, Codable, Equatable {
        public var name: String
        public var kind: LayerKind
        public var shape: [Int]
        public var params: Int
        public var nonzero: Int
        public var density: Double
        /// Fixed width of a codebook index (P+Q).
        public var weightBits: Int
        /// Fixed width of a relative index (P+Q).
        public var indexBits: Int
        /// Mean Huffman-coded bits per stored entry (P+Q+H); nil when the stream is fixed-width.
        public var weightBitsHuffman: Double?
        public var indexBitsHuffman: Double?
        /// Stored entries, fillers included.
        public var entries: Int
        /// The layer's section in the file.
        public var bytes: Int

        enum CodingKeys: String, CodingKey {
            case name, kind, shape, params, nonzero, density, entries, bytes
            case weightBits = "weight_bits", indexBits = "index_bits"
            case weightBitsHuffman = "weight_bits_huffman", indexBitsHuffman = "index_bits_huffman"
        }
    }

    public struct Accuracy: Sendable, Codable, Equatable {
        public var before: Double
        public var after: Double
    }

    public var originalBytes: Int
    /// The artifact's size on disk.
    public var compressedBytes: Int
    public var ratio: Double
    /// The dense ONNX after gzip -9 (in memory), when known.
    public var denseGzipBytes: Int?
    public var accuracy: Accuracy?
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case layers, ratio, accuracy
        case originalBytes = "original_bytes", compressedBytes = "compressed_bytes"
        case denseGzipBytes = "dense_onnx_gzip_bytes"
    }

    /// The report of an artifact whose serialized size is `fileSize`.
    public init(artifact: Artifact, fileSize: Int) {
        originalBytes = artifact.metadata.originalBytes
        compressedBytes = fileSize
        ratio = fileSize == 0 ? 0 : Double(originalBytes) / Double(fileSize)
        denseGzipBytes = artifact.metadata.denseGzipBytes
        accuracy = artifact.metadata.accuracy.map { Accuracy(before: $0.before, after: $0.after) }
        layers = artifact.layers.map { l in
            func huffmanBits(_ s: EncodedStream) -> Double? {
                guard case .huffman = s.encoding else { return nil }
                return l.entryCount == 0 ? 0 : Double(s.bitCount) / Double(l.entryCount)
            }
            return Layer(name: l.name, kind: l.kind, shape: l.shape, params: l.count, nonzero: l.nonzeroCount,
                         density: l.count == 0 ? 0 : Double(l.nonzeroCount) / Double(l.count),
                         weightBits: l.weightBits, indexBits: l.indexBits,
                         weightBitsHuffman: huffmanBits(l.codeStream), indexBitsHuffman: huffmanBits(l.gapStream),
                         entries: l.entryCount, bytes: Artifact.sectionSize(of: l))
        }
    }

    public func json(pretty: Bool = true) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return (try? [UInt8](encoder.encode(self))) ?? []
    }

    /// The human form, after the paper's Tables 2 and 3: per layer the weights, the fraction kept
    /// by pruning, bits per weight and index with quantization (P+Q) and with Huffman (P+Q+H), and
    /// the layer's compression rate (dense float32 bytes / stored bytes).
    public func table() -> String {
        func f(_ x: Double, _ digits: Int) -> String { String(cFormat: "%.\(digits)f", x) }
        func bytes(_ n: Int) -> String {
            if n >= 1 << 20 { return f(Double(n) / 1_048_576, 2) + " MiB" }
            if n >= 1 << 10 { return f(Double(n) / 1024, 1) + " KiB" }
            return "\(n) B"
        }
        func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return left ? s + fill : fill + s
        }
        let nameWidth = max(5, layers.map(\.name.count).max() ?? 0)
        var lines = [pad("Layer", nameWidth, left: true) + "  Kind         Weights   Kept  Bits P+Q (w/i)  Bits P+Q+H (w/i)       Bytes   Rate"]
        for l in layers {
            let h = (l.weightBitsHuffman.map { f($0, 2) } ?? "-") + "/" + (l.indexBitsHuffman.map { f($0, 2) } ?? "-")
            let rate = l.bytes == 0 ? 0 : Double(4 * l.params) / Double(l.bytes)
            lines.append(pad(l.name, nameWidth, left: true) + "  " + pad(l.kind.rawValue, 4, left: true)
                         + pad("\(l.params)", 16) + pad(f(100 * l.density, 1) + "%", 7)
                         + pad("\(l.weightBits)/\(l.indexBits)", 16) + pad(h, 18)
                         + pad(bytes(l.bytes), 12) + pad(f(rate, 1) + "×", 7))
        }
        let params = layers.reduce(0) { $0 + $1.params }, nonzero = layers.reduce(0) { $0 + $1.nonzero }
        lines.append(pad("Total", nameWidth, left: true) + "      " + pad("\(params)", 16)
                     + pad(f(params == 0 ? 0 : 100 * Double(nonzero) / Double(params), 1) + "%", 7))
        lines.append("")
        lines.append("Original (float32 initializers): \(bytes(originalBytes)) (\(originalBytes) B)")
        lines.append("Artifact on disk:                \(bytes(compressedBytes)) (\(compressedBytes) B), \(f(ratio, 1))× smaller")
        if let g = denseGzipBytes {
            lines.append("Dense ONNX, gzip -9:             \(bytes(g)) (\(g) B), \(f(Double(originalBytes) / Double(max(1, g)), 2))× smaller")
        }
        if let a = accuracy { lines.append("Accuracy: before \(f(100 * a.before, 2))%, after \(f(100 * a.after, 2))%") }
        return lines.joined(separator: "\n")
    }
}
