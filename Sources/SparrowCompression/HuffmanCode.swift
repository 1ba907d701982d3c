/// A canonical Huffman code over the symbols 0..<alphabetSize, defined entirely by its code lengths
/// (0 = symbol unused). Canonical codes are assigned in order of (length, symbol), as in DEFLATE,
/// so storing the lengths is enough to rebuild the code.
public struct HuffmanCode: Sendable, Equatable {
    /// Longest code allowed. 15 keeps the decoding table at most 32 Ki entries; every alphabet we use
    /// (≤ 4096 symbols) fits under it.
    public static let maxLength = 15

    public let lengths: [UInt8]
    /// codes[s] holds symbol s's code in its low lengths[s] bits.
    public let codes: [UInt32]

    /// Builds the optimal length-limited code for the given symbol frequencies.
    public init(frequencies: [Int]) {
        self.init(validatedLengths: HuffmanCode.codeLengths(frequencies: frequencies))
    }

    /// Rebuilds a code from stored lengths; throws if they do not form a prefix code.
    public init(lengths: [UInt8]) throws(CompressionError) {
        var kraft: UInt64 = 0
        for length in lengths where length > 0 {
            guard Int(length) <= HuffmanCode.maxLength else {
                throw .corruptStream("Huffman code length \(length) exceeds \(HuffmanCode.maxLength)")
            }
            kraft += UInt64(1) << UInt64(HuffmanCode.maxLength - Int(length))
        }
        let used = lengths.lazy.filter { $0 > 0 }.count
        // A single used symbol gets a 1-bit code (Kraft sum one half); more must fill the tree exactly.
        guard kraft == UInt64(1) << UInt64(HuffmanCode.maxLength) || (used == 1 && kraft == UInt64(1) << UInt64(HuffmanCode.maxLength - 1)) || used == 0 else {
            throw .corruptStream("Huffman code lengths do not form a complete prefix code")
        }
        self.init(validatedLengths: lengths)
    }

    private init(validatedLengths lengths: [UInt8]) {
        self.lengths = lengths
        var countPerLength = [UInt32](repeating: 0, count: HuffmanCode.maxLength + 1)
        for length in lengths where length > 0 { countPerLength[Int(length)] += 1 }
        var next = [UInt32](repeating: 0, count: HuffmanCode.maxLength + 2)
        var code: UInt32 = 0
        for length in 1...HuffmanCode.maxLength {
            code = (code + countPerLength[length - 1]) << 1
            next[length] = code
        }
        var codes = [UInt32](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length > 0 {
            codes[symbol] = next[Int(length)]
            next[Int(length)] += 1
        }
        self.codes = codes
    }

    /// Total bits needed to code a stream with these symbol frequencies.
    public func encodedBits(frequencies: [Int]) -> Int {
        var bits = 0
        for (symbol, count) in frequencies.enumerated() where count > 0 { bits += count * Int(lengths[symbol]) }
        return bits
    }

    public func encode(_ symbol: Int, into writer: inout BitWriter) {
        writer.write(codes[symbol], width: Int(lengths[symbol]))
    }

    /// Huffman code lengths limited to `maxLength`. When the optimal tree is too deep, the
    /// frequencies are halved (keeping every used symbol at ≥ 1) and the tree rebuilt: simple,
    /// deterministic, and it converges because equal frequencies give a balanced tree.
    static func codeLengths(frequencies: [Int]) -> [UInt8] {
        var freqs = frequencies.map { max(0, $0) }
        while true {
            let lengths = unlimitedLengths(freqs)
            if lengths.allSatisfy({ Int($0) <= maxLength }) { return lengths }
            freqs = freqs.map { $0 == 0 ? 0 : max(1, $0 / 2) }
        }
    }

    /// Plain Huffman construction with a deterministic tie-break (weight, then creation order).
    private static func unlimitedLengths(_ freqs: [Int]) -> [UInt8] {
        let used = freqs.indices.filter { freqs[$0] > 0 }
        var lengths = [UInt8](repeating: 0, count: freqs.count)
        if used.isEmpty { return lengths }
        if used.count == 1 { lengths[used[0]] = 1; return lengths }
        // Two-queue method: leaves sorted by weight, merged nodes appended in nondecreasing order.
        let leaves = used.sorted { (freqs[$0], $0) < (freqs[$1], $1) }
        var weight: [Int] = leaves.map { freqs[$0] }
        var parent = [Int](repeating: -1, count: 2 * leaves.count - 1)
        weight.reserveCapacity(parent.count)
        var leafNext = 0, nodeNext = leaves.count
        func popSmallest() -> Int {
            if leafNext < leaves.count && (nodeNext >= weight.count || weight[leafNext] <= weight[nodeNext]) {
                leafNext += 1
                return leafNext - 1
            }
            nodeNext += 1
            return nodeNext - 1
        }
        while weight.count < parent.count {
            let a = popSmallest(), b = popSmallest()
            parent[a] = weight.count
            parent[b] = weight.count
            weight.append(weight[a] + weight[b])
        }
        // Depths from the root (the last node) downwards: a parent always has a larger index.
        var depth = [Int](repeating: 0, count: parent.count)
        for node in stride(from: parent.count - 2, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        for (i, symbol) in leaves.enumerated() { lengths[symbol] = UInt8(clamping: depth[i]) }
        return lengths
    }
}
