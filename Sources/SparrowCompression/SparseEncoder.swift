/// Relative-index coding (Han et al. 2016, §2, Fig. 2): each non-zero is stored as (gap since the
/// previous entry, codebook index). A gap g is stored as g − 1 in `indexBits` bits; a gap longer
/// than 2^indexBits inserts a filler entry 2^indexBits positions on, with code 0 (weight 0.0).
public enum SparseEncoder {
    public static let indexBitRange = 1...12

    /// Index width choice: fixed, or the width in `indexBitRange` that makes this layer smallest.
    public enum IndexBits: Sendable, Equatable {
        case fixed(Int)
        case auto
    }

    public static func encode(_ layer: QuantizedLayer, indexBits: IndexBits, huffman: Bool,
                              order: SparseOrder = .csr) -> CompressedLayer {
        let (positions, codes) = storageOrder(layer, order: order)
        let width: Int
        switch indexBits {
        case .fixed(let b): width = min(max(b, indexBitRange.lowerBound), indexBitRange.upperBound)
        case .auto: width = bestIndexBits(positions: positions, codes: codes, weightBits: layer.bits, huffman: huffman)
        }
        let range = 1 << width
        var gapSymbols: [UInt16] = []
        var codeSymbols: [UInt8] = []
        gapSymbols.reserveCapacity(positions.count + positions.count / 8)
        codeSymbols.reserveCapacity(gapSymbols.capacity)
        var previous = -1
        for (p, c) in zip(positions, codes) {
            var gap = p - previous
            while gap > range {
                gapSymbols.append(UInt16(range - 1))
                codeSymbols.append(0)
                gap -= range
            }
            gapSymbols.append(UInt16(gap - 1))
            codeSymbols.append(c)
            previous = p
        }
        return CompressedLayer(
            name: layer.name, kind: layer.kind, shape: layer.shape, order: order, weightBits: layer.bits,
            indexBits: width, codebook: layer.codebook, entryCount: gapSymbols.count, nonzeroCount: positions.count,
            codeStream: EncodedStream.encode(codeSymbols, alphabetSize: 1 << layer.bits, width: layer.bits, huffman: huffman),
            gapStream: EncodedStream.encode(gapSymbols, alphabetSize: range, width: width, huffman: huffman))
    }

    /// Positions in storage order (CSR: the row-major positions; CSC: column-major over the 2-D view).
    static func storageOrder(_ layer: QuantizedLayer, order: SparseOrder) -> ([Int], [UInt8]) {
        guard order == .csc, layer.shape.count > 1 else { return (layer.positions, layer.codes) }
        let rows = layer.shape[0]
        let cols = layer.count / max(1, rows)
        var pairs = zip(layer.positions, layer.codes).map { (($0 % cols) * rows + $0 / cols, $1) }
        pairs.sort { $0.0 < $1.0 }
        return (pairs.map(\.0), pairs.map(\.1))
    }

    /// Payload bits of each candidate width, from a histogram of the gaps: for width b (range R),
    /// a gap g needs (g − 1) / R fillers and ends with symbol (g − 1) mod R.
    static func bestIndexBits(positions: [Int], codes: [UInt8], weightBits: Int, huffman: Bool) -> Int {
        let smallLimit = 1 << indexBitRange.upperBound
        var small = [Int](repeating: 0, count: smallLimit)  // histogram of g − 1 below 4096
        var large: [Int] = []
        var previous = -1
        for p in positions {
            let g1 = p - previous - 1
            if g1 < smallLimit { small[g1] += 1 } else { large.append(g1) }
            previous = p
        }
        var codeFrequencies = [Int](repeating: 0, count: 1 << weightBits)
        for c in codes { codeFrequencies[Int(c)] += 1 }
        var best = indexBitRange.lowerBound, bestBits = Int.max
        for b in indexBitRange {
            let range = 1 << b
            var gapFrequencies = [Int](repeating: 0, count: range)
            var fillers = 0
            for g1 in 0..<smallLimit where small[g1] > 0 {
                gapFrequencies[g1 & (range - 1)] += small[g1]
                fillers += (g1 >> b) * small[g1]
            }
            for g1 in large { gapFrequencies[g1 & (range - 1)] += 1; fillers += g1 >> b }
            gapFrequencies[range - 1] += fillers
            var codeFreq = codeFrequencies
            codeFreq[0] += fillers
            let entries = positions.count + fillers
            let bits: Int
            if huffman {
                bits = HuffmanCode(frequencies: gapFrequencies).encodedBits(frequencies: gapFrequencies)
                    + HuffmanCode(frequencies: codeFreq).encodedBits(frequencies: codeFreq) + 8 * range
            } else {
                bits = entries * (b + weightBits)
            }
            if bits < bestBits { bestBits = bits; best = b }
        }
        return best
    }
}
