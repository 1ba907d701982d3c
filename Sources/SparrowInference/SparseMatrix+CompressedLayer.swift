import SparrowCompression

extension SparseMatrix {
    /// The non-zeros of a `.sparrow` layer, decoded from its Huffman streams without forming dense
    /// weights. The layer's 2-D view is shape[0] × (rest); `transposed` says that view is in × out
    /// (MatMul and Gemm with transB = 0), so rows and columns swap to give W as out × in.
    public init(_ layer: CompressedLayer, transposed: Bool) throws {
        let rows = layer.rows, cols = max(1, layer.cols)
        var entries: [Entry] = []
        entries.reserveCapacity(layer.nonzeroCount)
        try layer.forEachPosition { position, code in
            let (r, c) = (position / cols, position % cols)
            entries.append(transposed ? Entry(row: c, column: r, code: Int(code)) : Entry(row: r, column: c, code: Int(code)))
        }
        try self.init(outFeatures: transposed ? cols : rows, inFeatures: transposed ? rows : cols,
                      codebook: layer.codebook, entries: entries)
    }
}
