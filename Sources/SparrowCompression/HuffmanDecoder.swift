/// Table-driven decoder for a canonical Huffman code: one lookup of the next `tableBits` bits gives
/// the symbol and its length.
public struct HuffmanDecoder: Sendable {
    private let table: [UInt32]  // (symbol << 8) | length; length 0 marks an unused slot
    public let tableBits: Int

    public init(code: HuffmanCode) {
        let maxLength = Int(code.lengths.max() ?? 0)
        tableBits = max(1, maxLength)
        var table = [UInt32](repeating: 0, count: 1 << tableBits)
        for (symbol, length) in code.lengths.enumerated() where length > 0 {
            let shift = tableBits - Int(length)
            let start = Int(code.codes[symbol]) << shift
            for slot in start..<(start + (1 << shift)) { table[slot] = UInt32(symbol) << 8 | UInt32(length) }
        }
        self.table = table
    }

    @inline(__always)
    public func decode(from reader: inout BitReader) throws(CompressionError) -> Int {
        let entry = table[Int(reader.peek(tableBits))]
        let length = Int(entry & 0xFF)
        guard length > 0, length <= reader.remaining else {
            throw .corruptStream(length == 0 ? "invalid Huffman code at bit \(reader.position)"
                                             : "Huffman stream ends inside a code at bit \(reader.position)")
        }
        reader.skip(length)
        return Int(entry >> 8)
    }
}
