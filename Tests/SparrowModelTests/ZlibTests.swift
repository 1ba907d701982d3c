import Testing
import SparrowModel

@Test func deflateInflateRoundTrip() throws {
    var generator = SystemRandomNumberGenerator()
    let random = (0..<200_000).map { _ in UInt8.random(in: 0...3, using: &generator) }
    for input in [[], Array("hello".utf8), random] {
        #expect(try Zlib.inflateRaw(Zlib.deflateRaw(input), expectedSize: input.count) == input)
        #expect(try Zlib.gunzip(Zlib.gzip(input)) == input)
    }
}

@Test func gunzipReadsConcatenatedMembers() throws {
    let joined = try Zlib.gzip(Array("ab".utf8)) + Zlib.gzip(Array("cd".utf8))
    #expect(try Zlib.gunzip(joined) == Array("abcd".utf8))
}

@Test func inflateEnforcesSizeAndLimit() throws {
    let zeros = try Zlib.deflateRaw([UInt8](repeating: 0, count: 100_000))
    #expect(throws: ModelError.self) { try Zlib.inflateRaw(zeros, expectedSize: 99_999) }
    #expect(throws: ModelError.self) { try Zlib.inflateRaw(zeros, limit: 50_000) }
    #expect(throws: ModelError.self) { try Zlib.gunzip([0x1f, 0x8b, 0xff, 0xff]) }
}

@Test func crc32MatchesKnownValue() {
    #expect(Zlib.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(Zlib.crc32([]) == 0)
}

@Test func gzipSizeMatchesGzipOutput() throws {
    var generator = SystemRandomNumberGenerator()
    // Incompressible 3 MB: the output spans many 64 KiB chunks.
    let noise = (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    for input in [[], Array("hello".utf8), [UInt8](repeating: 7, count: 1_000_000), noise] {
        for level: Int32 in [1, 9] {
            #expect(try Zlib.gzipSize(input, level: level) == Zlib.gzip(input, level: level).count)
        }
    }
}

@Test func crc32OfSliceMatchesCopy() {
    let bytes = Array("xx123456789yy".utf8)
    #expect(Zlib.crc32(bytes[2..<11]) == 0xCBF4_3926)
    #expect(Zlib.crc32(bytes[2..<11]) == Zlib.crc32(Array(bytes[2..<11])))
}
