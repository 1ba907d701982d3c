import Testing
import SparrowModel

@Test func elementTypesMapToONNXCodesAndComputeTypes() {
    // TensorProto.DataType codes, written out (a round trip alone would not catch two swapped).
    let codes: [ElementType: Int32] = [.float32: 1, .uint8: 2, .int8: 3, .uint16: 4, .int16: 5, .int32: 6, .int64: 7,
                                       .bool: 9, .float16: 10, .float64: 11, .uint32: 12, .uint64: 13, .bfloat16: 16]
    for element in ElementType.allCases {
        #expect(element.onnxCode == codes[element])
        #expect(ElementType(onnxCode: element.onnxCode) == element)
    }
    #expect(ElementType(onnxCode: 8) == nil)   // STRING
    #expect(ElementType(onnxCode: 17) == nil)  // FLOAT8E4M3FN
    #expect(ElementType.float16.computeType == .float32 && ElementType.bool.computeType == .int64)
    #expect(ElementType.allCases.map(\.byteWidth) == [1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2])
}

@Test func convertingRoundsAndWrapsAsOnnxCastDoes() {
    let floats = Tensor(shape: [5], floats: [1.00390625, 70000, -2.7, .nan, 300.9])
    #expect(ElementType.bfloat16.converting(floats).floats[0] == 1)           // a tie, to even (down)
    // 1.01171875 is a tie above an odd bfloat16: to even rounds up, where chopping would not.
    #expect(ElementType.bfloat16.converting(Tensor(shape: [1], floats: [1.01171875])).floats == [1.015625])
    #expect(ElementType.float16.converting(Tensor(shape: [1], floats: [1.00146484375])).floats == [1.001953125])
    #expect(ElementType.float16.converting(floats).floats[1] == .infinity)
    #expect(ElementType.float16.converting(floats).floats[3].isNaN)
    #expect(ElementType.int8.converting(floats).int64s == [1, 112, -2, Int64(Int8(truncatingIfNeeded: Int64.min)), 44])
    #expect(ElementType.uint8.converting(Tensor(shape: [2], int64s: [256, -1])).int64s == [0, 255])
    #expect(ElementType.bool.converting(floats).int64s == [1, 1, 1, 1, 1])
    #expect(ElementType.bool.converting(Tensor(shape: [2], floats: [0, -0.0])).int64s == [0, 0])
    #expect(ElementType.float32.converting(Tensor(shape: [1], int64s: [16_777_217])).floats == [16_777_216])
    #expect(ElementType.uint64.converting(Tensor(shape: [1], int64s: [-1])).int64s == [-1])  // bit pattern kept
}

/// A seeded generator, so a failure reproduces.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func littleEndianBytesAreTheWireLayout() {
    // Bytes written out by hand for one value of each kind.
    #expect(ElementType.int8.littleEndianBytes(Tensor(shape: [2], int64s: [-2, 130])) == [0xfe, 0x82])
    #expect(ElementType.int16.littleEndianBytes(Tensor(shape: [1], int64s: [-300])) == [0xd4, 0xfe])
    #expect(ElementType.uint32.littleEndianBytes(Tensor(shape: [1], int64s: [0x0102_0304])) == [4, 3, 2, 1])
    #expect(ElementType.int64.littleEndianBytes(Tensor(shape: [1], int64s: [-1])) == [UInt8](repeating: 0xff, count: 8))
    #expect(ElementType.float32.littleEndianBytes(Tensor(shape: [1], floats: [1.5])) == [0, 0, 0xc0, 0x3f])
    #expect(ElementType.float16.littleEndianBytes(Tensor(shape: [1], floats: [-2])) == [0, 0xc0])
    #expect(ElementType.bool.littleEndianBytes(Tensor(shape: [2], int64s: [0, 7])) == [0, 1])
}

@Test func littleEndianBytesReadBackForEveryType() throws {
    var rng = SplitMix(state: 42)
    for element in ElementType.allCases {
        let source: Tensor = element.computeType == .float32
            ? Tensor(shape: [4, 3], floats: (0..<12).map { _ in Float.random(in: -1e4...1e4, using: &rng) })
            : Tensor(shape: [4, 3], int64s: (0..<12).map { _ in Int64.random(in: 0...Int64.max, using: &rng) })
        let bytes = element.littleEndianBytes(source)
        #expect(bytes.count == 12 * element.byteWidth)
        let back = try bytes.withUnsafeBytes { try element.decodeLittleEndian($0, shape: [4, 3], what: "t") }
        #expect(back == element.converting(source), "\(element)")
    }
    let tooBig = [UInt8](repeating: 0xff, count: 8)
    #expect(throws: ModelError.self) {
        try tooBig.withUnsafeBytes { try ElementType.uint64.decodeLittleEndian($0, shape: [1], what: "t") }
    }
}
