import Testing
import SparrowModel

@Test func elementTypesMapToONNXCodesAndComputeTypes() {
    for element in ElementType.allCases {
        #expect(ElementType(onnxCode: element.onnxCode) == element)
    }
    #expect(ElementType(onnxCode: 8) == nil)   // STRING
    #expect(ElementType(onnxCode: 17) == nil)  // FLOAT8E4M3FN
    #expect(ElementType.float16.computeType == .float32 && ElementType.bool.computeType == .int64)
    #expect(ElementType.allCases.map(\.byteWidth) == [1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2])
}

@Test func convertingRoundsAndWrapsAsOnnxCastDoes() {
    let floats = Tensor(shape: [5], floats: [1.00390625, 70000, -2.7, .nan, 300.9])
    #expect(ElementType.bfloat16.converting(floats).floats[0] == 1)           // ties to even
    #expect(ElementType.float16.converting(floats).floats[1] == .infinity)
    #expect(ElementType.float16.converting(floats).floats[3].isNaN)
    #expect(ElementType.int8.converting(floats).int64s == [1, 112, -2, Int64(Int8(truncatingIfNeeded: Int64.min)), 44])
    #expect(ElementType.uint8.converting(Tensor(shape: [2], int64s: [256, -1])).int64s == [0, 255])
    #expect(ElementType.bool.converting(floats).int64s == [1, 1, 1, 1, 1])
    #expect(ElementType.bool.converting(Tensor(shape: [2], floats: [0, -0.0])).int64s == [0, 0])
    #expect(ElementType.float32.converting(Tensor(shape: [1], int64s: [16_777_217])).floats == [16_777_216])
    #expect(ElementType.uint64.converting(Tensor(shape: [1], int64s: [-1])).int64s == [-1])  // bit pattern kept
}

@Test func littleEndianBytesReadBackForEveryType() throws {
    var rng = SystemRandomNumberGenerator()
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
