/// One coded symbol stream of a layer (codebook indices, or gaps).
public struct EncodedStream: Sendable, Equatable {
    public enum Encoding: Sendable, Equatable {
        /// Every symbol in `width` bits.
        case fixed(width: Int)
        /// Canonical Huffman, given by the code length of each symbol of the alphabet.
        case huffman(lengths: [UInt8])
    }

    public var encoding: Encoding
    /// Number of meaningful bits in `bytes` (the last byte is zero-padded).
    public var bitCount: Int
    public var bytes: [UInt8]

    public init(encoding: Encoding, bitCount: Int, bytes: [UInt8]) {
        self.encoding = encoding
        self.bitCount = bitCount
        self.bytes = bytes
    }

    /// Encodes symbols (each < alphabetSize ≤ 4096) with fixed width or Huffman.
    static func encode<S: Collection>(_ symbols: S, alphabetSize: Int, width: Int, huffman: Bool) -> EncodedStream
    where S.Element: BinaryInteger {
        if huffman {
            var frequencies = [Int](repeating: 0, count: alphabetSize)
            for s in symbols { frequencies[Int(s)] += 1 }
            let code = HuffmanCode(frequencies: frequencies)
            var writer = BitWriter(reservingBits: code.encodedBits(frequencies: frequencies))
            for s in symbols { code.encode(Int(s), into: &writer) }
            let bitCount = writer.bitCount
            return EncodedStream(encoding: .huffman(lengths: code.lengths), bitCount: bitCount, bytes: writer.finish())
        }
        var writer = BitWriter(reservingBits: symbols.count * width)
        for s in symbols { writer.write(UInt32(s), width: width) }
        let bitCount = writer.bitCount
        return EncodedStream(encoding: .fixed(width: width), bitCount: bitCount, bytes: writer.finish())
    }

    /// A symbol source reading this stream; throws on a bad code or a stream that ends early.
    struct Reader {
        private var bits: BitReader
        private let decoder: HuffmanDecoder?
        private let width: Int

        init(_ stream: EncodedStream) throws(CompressionError) {
            bits = BitReader(bytes: stream.bytes, bitCount: stream.bitCount)
            switch stream.encoding {
            case .fixed(let width):
                self.width = width
                decoder = nil
            case .huffman(let lengths):
                width = 0
                decoder = HuffmanDecoder(code: try HuffmanCode(lengths: lengths))
            }
        }

        @inline(__always)
        mutating func next() throws(CompressionError) -> Int {
            if let decoder { return try decoder.decode(from: &bits) }
            return Int(try bits.read(width))
        }

        var isAtEnd: Bool { bits.remaining == 0 }
        var remainingBits: Int { bits.remaining }
    }
}
