import Foundation
import Testing
import SparrowModel

private func tensor(_ type: Onnx_TensorProto.DataType, dims: [Int64], raw: [UInt8]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = "t"
    t.dims = dims
    t.dataType = Int32(type.rawValue)
    t.rawData = Data(raw)
    return t
}

@Test func decodesRawIntegerTypesToInt64() throws {
    #expect(try Tensor(onnx: tensor(.int8, dims: [2], raw: [0xff, 0x05])) == Tensor(shape: [2], int64s: [-1, 5]))
    #expect(try Tensor(onnx: tensor(.uint8, dims: [2], raw: [0xff, 0x05])) == Tensor(shape: [2], int64s: [255, 5]))
    #expect(try Tensor(onnx: tensor(.int16, dims: [1], raw: [0xfe, 0xff])) == Tensor(shape: [1], int64s: [-2]))
    #expect(try Tensor(onnx: tensor(.uint16, dims: [1], raw: [0xfe, 0xff])) == Tensor(shape: [1], int64s: [65534]))
    #expect(try Tensor(onnx: tensor(.int32, dims: [1], raw: [0xff, 0xff, 0xff, 0xff])) == Tensor(shape: [1], int64s: [-1]))
    #expect(try Tensor(onnx: tensor(.uint32, dims: [1], raw: [0xff, 0xff, 0xff, 0xff])) == Tensor(shape: [1], int64s: [4294967295]))
    #expect(try Tensor(onnx: tensor(.bool, dims: [3], raw: [0, 1, 2])) == Tensor(shape: [3], int64s: [0, 1, 1]))
    #expect(try Tensor(onnx: tensor(.int64, dims: [1], raw: [1, 0, 0, 0, 0, 0, 0, 0x80])) == Tensor(shape: [1], int64s: [Int64.min + 1]))
    #expect(throws: ModelError.self) {
        try Tensor(onnx: tensor(.uint64, dims: [1], raw: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
    }
}

@Test func decodesRawFloatTypesToFloat32() throws {
    // 1.5 as double, half (0x3e00) and bfloat16 (0x3fc0).
    let double = withUnsafeBytes(of: (1.5 as Double).bitPattern.littleEndian) { Array($0) }
    #expect(try Tensor(onnx: tensor(.double, dims: [], raw: double)) == Tensor.scalar(Float(1.5)))
    #expect(try Tensor(onnx: tensor(.float16, dims: [2], raw: [0x00, 0x3e, 0x00, 0xc0])) == Tensor(shape: [2], floats: [1.5, -2]))
    #expect(try Tensor(onnx: tensor(.bfloat16, dims: [1], raw: [0xc0, 0x3f])) == Tensor(shape: [1], floats: [1.5]))
}

@Test func halfConversionCoversSpecialValues() throws {
    // Little-endian fp16 bit patterns, as raw_data and binary tensors carry them.
    let bits: [UInt16] = [0x0000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x3c00]
    let bytes = bits.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
    let v = try bytes.withUnsafeBytes { try ElementType.float16.decodeLittleEndian($0, shape: [7], what: "t") }.floats
    #expect(v[0] == 0 && v[1] == Float(sign: .plus, exponent: -24, significand: 1) && v[2] == 65504)
    #expect(v[3] == .infinity && v[4] == -.infinity && v[5].isNaN && v[6] == 1)
}

@Test func decodesTypedFields() throws {
    var t = Onnx_TensorProto()
    t.dims = [2]
    t.dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
    t.doubleData = [0.25, -4]
    #expect(try Tensor(onnx: t) == Tensor(shape: [2], floats: [0.25, -4]))
    t.dataType = Int32(Onnx_TensorProto.DataType.int32.rawValue)
    t.int32Data = [7, -7]
    #expect(try Tensor(onnx: t) == Tensor(shape: [2], int64s: [7, -7]))
    t.dataType = Int32(Onnx_TensorProto.DataType.float16.rawValue)
    t.int32Data = [0x3c00, 0xc000]
    #expect(try Tensor(onnx: t) == Tensor(shape: [2], floats: [1, -2]))
    t.dataType = Int32(Onnx_TensorProto.DataType.uint64.rawValue)
    t.uint64Data = [1, 2]
    #expect(try Tensor(onnx: t) == Tensor(shape: [2], int64s: [1, 2]))
    t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    t.int64Data = [1]
    #expect(throws: ModelError.self) { try Tensor(onnx: t) }  // 1 value for shape [2]
}

@Test func encodeDecodeRoundTrip() throws {
    let f = Tensor(shape: [2, 2], floats: [1, -2.5, .infinity, 0])
    #expect(try Tensor(onnx: f.onnxProto(name: "f")) == f)
    let i = Tensor(shape: [3], int64s: [Int64.min, 0, Int64.max])
    #expect(try Tensor(onnx: i.onnxProto(name: "i")) == i)
    #expect(f.onnxProto(name: "f").name == "f")
}
