import Testing
import SparrowModel

/// A .npy file with the given header dictionary and data bytes (version 1 unless stated).
func npyBytes(_ header: String, _ data: [UInt8], major: UInt8 = 1) -> [UInt8] {
    var h = Array(header.utf8) + [0x0a]
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    if major == 1 {
        out += [UInt8(h.count & 0xff), UInt8(h.count >> 8)]
    } else {
        out += [UInt8(h.count & 0xff), UInt8(h.count >> 8 & 0xff), 0, 0]
    }
    out += h
    h.removeAll()
    return out + data
}

private func npyError(_ bytes: [UInt8]) -> String {
    do {
        _ = try NPY.decode(bytes)
        return "decoded"
    } catch {
        return "\(error)"
    }
}

@Test func npyRoundTripsFloatAndInt() throws {
    for t in [Tensor(shape: [2, 3], floats: [1, -2, 3.5, .infinity, 0, -0.25]),
              Tensor(shape: [4], int64s: [Int64.min, -1, 0, Int64.max]),
              Tensor.scalar(Float(7)), Tensor(shape: [0, 3], floats: [])] {
        let bytes = NPY.encode(t)
        #expect(bytes.count % 64 == (t.count * t.dataType.byteWidth) % 64)  // data starts 64-aligned
        #expect(try NPY.decode(bytes) == t)
    }
}

@Test func npyReadsEveryDtypeAndByteOrder() throws {
    let shape = "'fortran_order': False, 'shape': (2,), }"
    #expect(try NPY.decode(npyBytes("{'descr': '<f4', \(shape)", [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0])) == Tensor(shape: [2], floats: [1.5, -2]))
    #expect(try NPY.decode(npyBytes("{'descr': '>f4', \(shape)", [0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0])) == Tensor(shape: [2], floats: [1.5, -2]))
    #expect(try NPY.decode(npyBytes("{'descr': '<f2', \(shape)", [0, 0x3e, 0, 0xc0])) == Tensor(shape: [2], floats: [1.5, -2]))
    #expect(try NPY.decode(npyBytes("{'descr': '<f8', \(shape)", [0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0])) == Tensor(shape: [2], floats: [1.5, -2]))
    #expect(try NPY.decode(npyBytes("{'descr': '|i1', \(shape)", [0xff, 5])) == Tensor(shape: [2], int64s: [-1, 5]))
    #expect(try NPY.decode(npyBytes("{'descr': '|u1', \(shape)", [0xff, 5])) == Tensor(shape: [2], int64s: [255, 5]))
    #expect(try NPY.decode(npyBytes("{'descr': '<i2', \(shape)", [0xfe, 0xff, 1, 0])) == Tensor(shape: [2], int64s: [-2, 1]))
    #expect(try NPY.decode(npyBytes("{'descr': '>i2', \(shape)", [0xff, 0xfe, 0, 1])) == Tensor(shape: [2], int64s: [-2, 1]))
    #expect(try NPY.decode(npyBytes("{'descr': '<u2', \(shape)", [0xfe, 0xff, 1, 0])) == Tensor(shape: [2], int64s: [65534, 1]))
    #expect(try NPY.decode(npyBytes("{'descr': '<i4', \(shape)", [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])) == Tensor(shape: [2], int64s: [-1, 2]))
    #expect(try NPY.decode(npyBytes("{'descr': '<u4', \(shape)", [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])) == Tensor(shape: [2], int64s: [4294967295, 2]))
    #expect(try NPY.decode(npyBytes("{'descr': '>i8', \(shape)", [0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd])) == Tensor(shape: [2], int64s: [3, -3]))
    #expect(try NPY.decode(npyBytes("{'descr': '|b1', \(shape)", [1, 0])) == Tensor(shape: [2], int64s: [1, 0]))
}

@Test func npyReadsVersions2And3() throws {
    let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }"
    #expect(try NPY.decode(npyBytes(header, [9, 0, 0, 0, 0, 0, 0, 0], major: 2)) == Tensor(shape: [1], int64s: [9]))
    #expect(try NPY.decode(npyBytes(header, [9, 0, 0, 0, 0, 0, 0, 0], major: 3)) == Tensor(shape: [1], int64s: [9]))
}

@Test func npyParsesHeaderVariants() throws {
    // Key order, double quotes, no trailing comma, scalar shape, Python 2 longs.
    #expect(try NPY.decode(npyBytes("{\"shape\": (), \"fortran_order\": False, \"descr\": \"<f4\"}", [0, 0, 0x80, 0x3f])) == Tensor.scalar(Float(1)))
    #expect(try NPY.decode(npyBytes("{'descr': '<i1', 'fortran_order': False, 'shape': (1L, 2L), }", [1, 2])) == Tensor(shape: [1, 2], int64s: [1, 2]))
}

@Test func npyRejectsBadFiles() {
    let good = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0, 0, 0, 0, 0, 0])
    #expect(npyError(Array("NUMPX".utf8) + good.dropFirst(5)).contains("bad magic"))
    #expect(npyError(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", [0, 0, 0, 0, 0, 0, 0, 0])).contains("Fortran"))
    #expect(npyError(npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0, 0, 0, 0, 0])).contains("unsupported .npy dtype '<c8'"))
    #expect(npyError(npyBytes("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", Array(repeating: 0, count: 12))).contains("dtype"))
    #expect(npyError(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0])).contains("structured"))
    #expect(npyError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", [])).contains("non-negative"))
    #expect(npyError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", [0, 0, 0, 0, 0, 0, 0, 0])).contains("needs 12"))
    #expect(npyError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", [])).contains("overflow"))
    #expect(npyError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", [])).contains("header"))
    #expect(npyError(npyBytes("not a dict", [])).contains("header"))
    #expect(npyError(npyBytes("{'descr': '<f4'}", [])).contains("fortran_order"))
    #expect(npyError(npyBytes(String(repeating: "[", count: 100), [])).contains("nesting"))
    var future = good
    future[6] = 9
    #expect(npyError(future).contains("version 9"))
}

@Test func npyRejectsEveryTruncation() {
    let bytes = NPY.encode(Tensor(shape: [2, 2], floats: [1, 2, 3, 4]))
    for n in 0..<bytes.count {
        #expect(throws: ModelError.self) { try NPY.decode(Array(bytes[..<n])) }
    }
    #expect(throws: ModelError.self) { try NPY.decode(bytes + [0]) }  // trailing bytes: wrong count
}

@Test func npySurvivesEverySingleByteCorruption() throws {
    let bytes = NPY.encode(Tensor(shape: [2, 2], floats: [1, 2, 3, 4]))
    for i in bytes.indices {
        for mask: UInt8 in [0x01, 0x20, 0xff] {
            var mutated = bytes
            mutated[i] ^= mask
            do {
                _ = try NPY.decode(mutated)
            } catch {
                #expect(error is ModelError)
            }
        }
    }
}
