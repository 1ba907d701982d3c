import Testing
import SparrowCompression
import SparrowModel

private func sampleArtifactBytes() throws -> [UInt8] {
    let graph = sampleGraph(seed: 11)
    var config = CompressionConfig()
    config.minParams = 100
    return try DeepCompression.compress(graph: graph, config: config, graphBytesWithout: fakeGraphBytes(graph)).bytes
}

private func le32(_ b: [UInt8], _ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
private func le64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
private func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
private func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) { for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }

/// Rewrites the table CRC so that a test reaches the check behind it.
private func resealTable(_ b: inout [UInt8]) {
    let n = le32(b, 12)
    let end = 16 + 32 * n
    put32(&b, end, Zlib.crc32(b[0..<end]))
}

/// Rewrites a section's CRC after editing its bytes.
private func resealSection(_ b: inout [UInt8], _ i: Int) {
    let entry = 16 + 32 * i
    let offset = le64(b, entry + 8), length = le64(b, entry + 16)
    put32(&b, entry + 24, Zlib.crc32(b[offset..<(offset + length)]))
    resealTable(&b)
}

private func expectMalformed(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let a = try Artifact(bytes: bytes)
        try a.validate()
        Issue.record("accepted a malformed file (expected \(fragment))", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}

@Test func goodArtifactReadsBack() throws {
    let bytes = try sampleArtifactBytes()
    let a = try Artifact(bytes: bytes)
    try a.validate()
    #expect(a.serialized() == bytes)
}

@Test func rejectsBadMagicAndVersion() throws {
    let good = try sampleArtifactBytes()
    var b = good; b[0] = UInt8(ascii: "X")
    expectMalformed(b, "bad magic")
    b = good; put32(&b, 4, 2)
    expectMalformed(b, "unsupported version 2")
    b = good; put32(&b, 8, 1)
    expectMalformed(b, "flags")
    expectMalformed([], "bad magic")
}

@Test func rejectsEveryTruncation() throws {
    let good = try sampleArtifactBytes()
    let n = le32(good, 12)
    var boundaries = [0, 4, 8, 12, 16, 16 + 32 * n, 16 + 32 * n + 4]
    for i in 0..<n {
        let offset = le64(good, 16 + 32 * i + 8), length = le64(good, 16 + 32 * i + 16)
        boundaries += [offset, offset + 1, offset + length - 1]
    }
    for cut in Set(boundaries) where cut < good.count {
        expectMalformed(Array(good[0..<cut]), "malformed")
    }
    // And every prefix of the header and table, byte by byte.
    for cut in 0..<(16 + 32 * n + 4) { expectMalformed(Array(good[0..<cut]), "malformed") }
}

@Test func rejectsCountOverflowAndOffsetsPastTheEnd() throws {
    let good = try sampleArtifactBytes()
    var b = good; put32(&b, 12, UInt32.max)
    expectMalformed(b, "section count")
    b = good; put64(&b, 16 + 8, UInt64.max - 2); resealTable(&b)
    expectMalformed(b, "past the end")
    b = good; put64(&b, 16 + 16, UInt64(good.count)); resealTable(&b)
    expectMalformed(b, "past the end")
    b = good; put64(&b, 16 + 32 + 8, 0); resealTable(&b)  // second section over the table
    expectMalformed(b, "overlaps")
    b = good; put32(&b, 16 + 32 * 2, 99); resealTable(&b)
    expectMalformed(b, "unknown section kind 99")
}

@Test func rejectsCRCMismatches() throws {
    let good = try sampleArtifactBytes()
    let n = le32(good, 12)
    var b = good; b[16 + 32 + 8] ^= 1  // a table byte (an offset)
    expectMalformed(b, "CRC mismatch")
    for i in 0..<n {
        let offset = le64(good, 16 + 32 * i + 8)
        b = good; b[offset] ^= 0x40
        expectMalformed(b, "CRC mismatch")
    }
}

@Test func rejectsForgedLayerFieldsBehindValidCRCs() throws {
    let good = try sampleArtifactBytes()
    let layer = 2  // sections: meta, graph, then the layers
    let offset = le64(good, 16 + 32 * layer + 8)
    let nameLength = Int(good[offset]) | Int(good[offset + 1]) << 8
    let fields = offset + 2 + nameLength  // kind, order, weight bits, index bits, rank
    func forged(_ edit: (inout [UInt8]) -> Void) -> [UInt8] { var b = good; edit(&b); resealSection(&b, layer); return b }
    expectMalformed(forged { $0[fields] = 7 }, "unknown layer kind")
    expectMalformed(forged { $0[fields + 2] = 9 }, "weight bits")
    expectMalformed(forged { $0[fields + 3] = 0 }, "index bits")
    expectMalformed(forged { $0[fields + 4] = 200 }, "rank")
    expectMalformed(forged { put64(&$0, fields + 5, UInt64.max) }, "dimension 0")
    expectMalformed(forged { put64(&$0, fields + 5, 1 << 20); put64(&$0, fields + 13, 1 << 20) }, "more than")
    expectMalformed(forged { $0[offset + 2] = 0xFF; $0[offset + 3] = 0xFE }, "UTF-8")
    let rank = Int(good[fields + 4])
    let codebook = fields + 5 + 8 * rank
    let weightBits = Int(good[fields + 2])
    expectMalformed(forged { put32(&$0, codebook, Float(1).bitPattern) }, "codebook entry 0")
    expectMalformed(forged { put32(&$0, codebook + 4, Float.nan.bitPattern) }, "not finite")
    let counts = codebook + 4 << weightBits
    expectMalformed(forged { put64(&$0, counts, UInt64.max) }, "entry count")
    expectMalformed(forged { put64(&$0, counts + 8, UInt64(le64(good, counts) + 1)) }, "non-zero count")
    expectMalformed(forged { put64(&$0, counts + 8, UInt64(le64(good, counts) - 1)) }, "non-zeros decoded")
    expectMalformed(forged { $0[counts + 16] = 5 }, "unknown encoding")
    expectMalformed(forged { $0[counts + 17] = 1 }, "Huffman")  // first code length changed
}

@Test func randomCorruptionNeverCrashes() throws {
    let good = try sampleArtifactBytes()
    var r = TestRandom(12)
    let n = le32(good, 12)
    for _ in 0..<300 {
        var b = good
        let flips = r.int(1..<4)
        for _ in 0..<flips { b[r.int(0..<b.count)] ^= UInt8(r.int(1..<256)) }
        // Half the time, reseal every CRC so the structural checks behind them are exercised.
        if r.int(0..<2) == 0 && le32(b, 12) == n {
            for i in 0..<n {
                let offset = le64(b, 16 + 32 * i + 8), length = le64(b, 16 + 32 * i + 16)
                if offset >= 0, length >= 0, offset + length <= b.count, offset <= b.count {
                    put32(&b, 16 + 32 * i + 24, Zlib.crc32(b[offset..<(offset + length)]))
                }
            }
            resealTable(&b)
        }
        if let a = try? Artifact(bytes: b) { _ = try? a.validate(); _ = try? a.decodedInitializers() }
    }
}
