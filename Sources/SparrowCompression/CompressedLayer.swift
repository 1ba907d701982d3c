import SparrowModel

/// Order in which a layer's non-zeros are stored, over the 2-D view rows = shape[0],
/// cols = product of the remaining dimensions.
public enum SparseOrder: String, Sendable, Codable, Equatable {
    /// Row by row (row-major flat order).
    case csr
    /// Column by column.
    case csc
}

/// One entry of the sparse stream. Fillers (inserted when a gap exceeds the index range) have
/// code 0, whose codebook value is exactly 0.0.
public struct SparseEntry: Sendable, Equatable {
    public var row: Int
    public var col: Int
    public var code: UInt8
    public init(row: Int, col: Int, code: UInt8) { self.row = row; self.col = col; self.code = code }
}

/// A layer in its stored form: codebook plus two coded streams, the relative index (gap − 1) of
/// each entry and its codebook index.
public struct CompressedLayer: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var shape: [Int]
    public var order: SparseOrder
    public var weightBits: Int
    public var indexBits: Int
    public var codebook: [Float]
    /// Stored entries, fillers included.
    public var entryCount: Int
    /// Entries with a non-zero code (the surviving weights).
    public var nonzeroCount: Int
    public var codeStream: EncodedStream
    public var gapStream: EncodedStream

    public init(name: String, kind: LayerKind, shape: [Int], order: SparseOrder, weightBits: Int, indexBits: Int,
                codebook: [Float], entryCount: Int, nonzeroCount: Int, codeStream: EncodedStream,
                gapStream: EncodedStream) {
        self.name = name
        self.kind = kind
        self.shape = shape
        self.order = order
        self.weightBits = weightBits
        self.indexBits = indexBits
        self.codebook = codebook
        self.entryCount = entryCount
        self.nonzeroCount = nonzeroCount
        self.codeStream = codeStream
        self.gapStream = gapStream
    }

    public var count: Int { Tensor.count(of: shape) }
    public var rows: Int { shape.first ?? 1 }
    public var cols: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// Decodes the streams in storage order, calling `body` with each entry's flat row-major
    /// position and code. Validates everything: positions in range, codes in range, fillers only
    /// at the full gap, both streams consumed exactly.
    public func forEachPosition(includeFillers: Bool = false,
                                _ body: (_ position: Int, _ code: UInt8) throws -> Void) throws {
        var codes = try EncodedStream.Reader(codeStream)
        var gaps = try EncodedStream.Reader(gapStream)
        let range = 1 << indexBits
        let codebookSize = 1 << weightBits
        let n = count, rows = self.rows, cols = self.cols
        var stored = -1  // position in storage order
        var nonzeros = 0
        for _ in 0..<entryCount {
            let gap = try gaps.next() + 1
            let code = try codes.next()
            guard gap <= range, code < codebookSize else {
                throw CompressionError.corruptStream("layer \(name): symbol out of range")
            }
            stored += gap
            guard stored < n else {
                throw CompressionError.corruptStream("layer \(name): entry at position \(stored) past the \(n) weights")
            }
            if code == 0 {
                guard gap == range else {
                    throw CompressionError.corruptStream("layer \(name): zero code at a gap shorter than the index range")
                }
                if !includeFillers { continue }
            } else {
                nonzeros += 1
            }
            let flat = order == .csr ? stored : (stored % rows) * cols + stored / rows
            try body(flat, UInt8(code))
        }
        guard codes.isAtEnd, gaps.isAtEnd else {
            throw CompressionError.corruptStream("layer \(name): \(codes.remainingBits + gaps.remainingBits) bits left after \(entryCount) entries")
        }
        guard nonzeros == nonzeroCount else {
            throw CompressionError.corruptStream("layer \(name): \(nonzeros) non-zeros decoded, header says \(nonzeroCount)")
        }
    }

    /// The non-zero entries (and fillers if asked) as (row, col, code), in storage order.
    public func entries(includeFillers: Bool = false) throws -> [SparseEntry] {
        var out: [SparseEntry] = []
        out.reserveCapacity(includeFillers ? entryCount : nonzeroCount)
        let cols = max(1, self.cols)
        try forEachPosition(includeFillers: includeFillers) { p, c in
            out.append(SparseEntry(row: p / cols, col: p % cols, code: c))
        }
        return out
    }

    /// The decoded weights as a dense row-major array: bit-identical to the quantized layer.
    public func dense() throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let book = codebook
        try forEachPosition { p, c in out[p] = book[Int(c)] }
        return out
    }

    public func denseTensor() throws -> Tensor { Tensor(shape: shape, floats: try dense()) }

    /// Bytes the streams and codebook take (what the artifact spends on this layer's payload).
    public var payloadBytes: Int {
        func tableBytes(_ s: EncodedStream) -> Int {
            if case .huffman(let lengths) = s.encoding { return lengths.count }
            return 0
        }
        return codebook.count * 4 + codeStream.bytes.count + gapStream.bytes.count
            + tableBytes(codeStream) + tableBytes(gapStream)
    }
}
