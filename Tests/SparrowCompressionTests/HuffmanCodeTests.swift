import Testing
import SparrowCompression

private func roundTrip(_ symbols: [Int], alphabet: Int) throws -> (HuffmanCode, [Int]) {
    var freq = [Int](repeating: 0, count: alphabet)
    for s in symbols { freq[s] += 1 }
    let code = HuffmanCode(frequencies: freq)
    var writer = BitWriter()
    for s in symbols { code.encode(s, into: &writer) }
    let bits = writer.bitCount
    #expect(bits == code.encodedBits(frequencies: freq))
    let bytes = writer.finish()
    let decoder = HuffmanDecoder(code: try HuffmanCode(lengths: code.lengths))
    var reader = BitReader(bytes: bytes, bitCount: bits)
    var out: [Int] = []
    for _ in symbols { out.append(try decoder.decode(from: &reader)) }
    #expect(reader.remaining == 0)
    return (code, out)
}

@Test func huffmanRoundTripsRandomStreams() throws {
    var r = TestRandom(1)
    for trial in 0..<200 {
        let alphabet = [1, 2, 3, 16, 32, 256, 4096][trial % 7]
        let n = r.int(0..<2000)
        // Skewed: low symbols far more frequent, like cluster indices and small gaps.
        let symbols = (0..<n).map { _ in min(alphabet - 1, Int(Double(alphabet) * pow3(r.unit()))) }
        let (_, out) = try roundTrip(symbols, alphabet: alphabet)
        #expect(out == symbols)
    }
}

private func pow3(_ x: Double) -> Double { x * x * x }

@Test func huffmanEdgeCases() throws {
    #expect(try roundTrip([], alphabet: 32).1 == [])
    let (one, out1) = try roundTrip([7], alphabet: 32)
    #expect(out1 == [7])
    #expect(one.lengths[7] == 1)
    let same = [Int](repeating: 3, count: 1000)
    let (sameCode, outSame) = try roundTrip(same, alphabet: 8)
    #expect(outSame == same)
    #expect(sameCode.encodedBits(frequencies: [0, 0, 0, 1000, 0, 0, 0, 0]) == 1000)
}

@Test func huffmanLimitsCodeLengthsAndStaysOptimalEnough() throws {
    // Fibonacci frequencies make the unlimited tree as deep as the alphabet.
    var fib = [1, 1]
    while fib.count < 40 { fib.append(fib[fib.count - 1] + fib[fib.count - 2]) }
    let code = HuffmanCode(frequencies: fib)
    #expect(code.lengths.allSatisfy { $0 >= 1 && Int($0) <= HuffmanCode.maxLength })
    _ = try HuffmanCode(lengths: code.lengths)
    // Uniform frequencies over 2^k symbols give k-bit codes.
    let uniform = HuffmanCode(frequencies: [Int](repeating: 5, count: 64))
    #expect(uniform.lengths.allSatisfy { $0 == 6 })
}

@Test func huffmanRejectsInvalidLengths() {
    #expect(throws: CompressionError.self) { try HuffmanCode(lengths: [1, 1, 1]) }  // over-full
    #expect(throws: CompressionError.self) { try HuffmanCode(lengths: [2, 2, 2]) }  // incomplete
    #expect(throws: CompressionError.self) { try HuffmanCode(lengths: [16, 1]) }    // too long
}

@Test func truncatedHuffmanStreamThrows() throws {
    let code = HuffmanCode(frequencies: [1, 1, 1, 1])
    var writer = BitWriter()
    code.encode(3, into: &writer)
    let bytes = writer.finish()
    var reader = BitReader(bytes: bytes, bitCount: 1)
    #expect(throws: CompressionError.self) { _ = try HuffmanDecoder(code: code).decode(from: &reader) }
}
