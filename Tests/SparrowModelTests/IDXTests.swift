import Testing
import SparrowModel

@Test func idxReadsUint8ImagesPlainAndGzip() throws {
    let bytes: [UInt8] = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 128, 255, 7]
    let expected = Tensor(shape: [2, 1, 2], int64s: [0, 128, 255, 7])
    #expect(try IDX.decode(bytes) == expected)
    #expect(try IDX.decode(Zlib.gzip(bytes)) == expected)
}

@Test func idxReadsOtherTypesBigEndian() throws {
    #expect(try IDX.decode([0, 0, 0x09, 1, 0, 0, 0, 2, 0xff, 0x01]) == Tensor(shape: [2], int64s: [-1, 1]))
    #expect(try IDX.decode([0, 0, 0x0b, 1, 0, 0, 0, 1, 0xff, 0xfe]) == Tensor(shape: [1], int64s: [-2]))
    #expect(try IDX.decode([0, 0, 0x0c, 1, 0, 0, 0, 1, 0, 1, 0, 0]) == Tensor(shape: [1], int64s: [65536]))
    #expect(try IDX.decode([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]) == Tensor(shape: [1], floats: [1.5]))
    #expect(try IDX.decode([0, 0, 0x0e, 0, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]) == Tensor.scalar(Float(1.5)))
}

@Test func idxRoundTrips() throws {
    for t in [Tensor(shape: [2, 3], int64s: [0, 1, 2, 253, 254, 255]), Tensor(shape: [2], floats: [-1, 0.5])] {
        #expect(try IDX.decode(IDX.encode(t)) == t)
    }
    #expect(throws: ModelError.self) { try IDX.encode(Tensor(shape: [1], int64s: [256])) }
}

@Test func idxRejectsBadFiles() throws {
    func message(_ bytes: [UInt8]) -> String {
        do { _ = try IDX.decode(bytes); return "decoded" } catch { return "\(error)" }
    }
    #expect(message([1, 0, 0x08, 1, 0, 0, 0, 0]).contains("bad magic"))
    #expect(message([0, 0, 0x07, 1, 0, 0, 0, 0]).contains("element type"))
    #expect(message([0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2]).contains("need 3"))
    #expect(message([0, 0, 0x08, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).contains("overflow"))
    #expect(message([0, 0, 0x08, 2, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff]).contains("need 4294836225"))
    #expect(message([0x1f, 0x8b, 0x08, 0, 1, 2, 3]).contains("gzip"))
    let good = try IDX.encode(Tensor(shape: [2, 2], int64s: [1, 2, 3, 4]))
    for n in 0..<good.count {
        #expect(throws: ModelError.self) { try IDX.decode(Array(good[..<n])) }
    }
    let gz = try Zlib.gzip(good)
    for n in 0..<gz.count {
        #expect(throws: ModelError.self) { try IDX.decode(Array(gz[..<n])) }
    }
}
