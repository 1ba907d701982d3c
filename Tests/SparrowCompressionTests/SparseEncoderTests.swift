import Testing
import SparrowCompression

private func layer(_ positions: [Int], shape: [Int], bits: Int = 3, seed: UInt64 = 1) -> QuantizedLayer {
    var r = TestRandom(seed)
    let codebook = [Float(0)] + (1..<(1 << bits)).map { Float($0) * 0.5 - 2 }
    let codes = positions.map { _ in UInt8(r.int(1..<(1 << bits))) }
    return QuantizedLayer(name: "w", kind: .fc, shape: shape, bits: bits, codebook: codebook, positions: positions, codes: codes)
}

private func checkRoundTrip(_ q: QuantizedLayer, indexBits: Int, huffman: Bool, order: SparseOrder) throws {
    let c = SparseEncoder.encode(q, indexBits: .fixed(indexBits), huffman: huffman, order: order)
    let dense = try c.dense()
    #expect(dense.map(\.bitPattern) == q.dense().map(\.bitPattern))
    #expect(c.nonzeroCount == q.positions.count)
    let entries = try c.entries()
    #expect(entries.count == q.positions.count)
    let cols = c.cols
    #expect(Set(entries.map { $0.row * cols + $0.col }) == Set(q.positions))
    // Fillers: code 0, and each closes a gap of exactly the index range.
    let all = try c.entries(includeFillers: true)
    #expect(all.count == c.entryCount)
    #expect(all.filter { $0.code == 0 }.count == c.entryCount - c.nonzeroCount)
    if order == .csr { #expect(entries.map { $0.row * cols + $0.col } == q.positions) }
}

@Test func relativeIndexRoundTripOnRandomLayers() throws {
    var r = TestRandom(7)
    for trial in 0..<120 {
        let rows = r.int(1..<40), cols = r.int(1..<60)
        let n = rows * cols
        let density = [0.0, 0.01, 0.1, 0.5, 1.0][trial % 5]
        let positions = (0..<n).filter { _ in r.unit() < density }
        let q = layer(positions, shape: [rows, cols], bits: 1 + trial % 8, seed: UInt64(trial))
        try checkRoundTrip(q, indexBits: 1 + trial % 6, huffman: trial % 2 == 0, order: trial % 3 == 0 ? .csc : .csr)
    }
}

@Test func relativeIndexEdgeCases() throws {
    for huffman in [false, true] {
        try checkRoundTrip(layer([], shape: [10, 10]), indexBits: 2, huffman: huffman, order: .csr)        // empty
        try checkRoundTrip(layer([99], shape: [10, 10]), indexBits: 2, huffman: huffman, order: .csr)      // one value, long gap
        try checkRoundTrip(layer([0], shape: [1]), indexBits: 1, huffman: huffman, order: .csr)            // one weight
        try checkRoundTrip(layer(Array(0..<100), shape: [10, 10]), indexBits: 1, huffman: huffman, order: .csc)  // dense
        var same = layer(Array(stride(from: 0, to: 5000, by: 37)), shape: [50, 100])
        same.codes = same.codes.map { _ in 3 }                                                              // all equal
        try checkRoundTrip(same, indexBits: 3, huffman: huffman, order: .csr)
    }
}

@Test func fillersFollowThePaperExample() throws {
    // Gap of 20 with 3-bit indices (range 8): two fillers at +8 and +16, then the value at +20.
    let q = layer([19], shape: [1, 20])
    let c = SparseEncoder.encode(q, indexBits: .fixed(3), huffman: false)
    #expect(c.entryCount == 3 && c.nonzeroCount == 1)
    let all = try c.entries(includeFillers: true)
    #expect(all.map(\.col) == [7, 15, 19])
    #expect(all.map(\.code) == [0, 0, q.codes[0]])
    #expect(c.gapStream.bitCount == 9 && c.codeStream.bitCount == 9)
}

@Test func autoIndexBitsPicksTheSmallestEncoding() throws {
    var r = TestRandom(8)
    for trial in 0..<10 {
        let n = 5000
        let density = [0.02, 0.1, 0.3, 0.6, 0.05][trial % 5]
        let positions = (0..<n).filter { _ in r.unit() < density }
        let q = layer(positions, shape: [50, 100], bits: 5, seed: UInt64(trial))
        for huffman in [false, true] {
            let auto = SparseEncoder.encode(q, indexBits: .auto, huffman: huffman)
            let sizes = SparseEncoder.indexBitRange.map {
                SparseEncoder.encode(q, indexBits: .fixed($0), huffman: huffman).payloadBytes
            }
            #expect(auto.payloadBytes <= sizes.min()! + 2, "trial \(trial) huffman \(huffman): \(auto.indexBits) \(sizes)")
            #expect(try auto.dense() == q.dense())
        }
    }
}
