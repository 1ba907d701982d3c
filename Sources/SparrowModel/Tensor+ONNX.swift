import FoundationEssentials
import SwiftProtobuf

/// Conversion between ONNX `TensorProto` and `Tensor`.
///
/// Sparrow computes in float32 and int64, so floating types (float, double, float16, bfloat16) become
/// float32 and integer types (int8..int64, uint8..uint64, bool) become int64. Every count is checked
/// against the bytes actually present before anything is allocated.
extension Tensor {
    /// The element type of a `TensorProto.DataType` code, or an error naming the unsupported type.
    static func elementType(onnxCode code: Int32, what: String) throws -> ElementType {
        guard let element = ElementType(onnxCode: code) else {
            throw ModelError(.unsupported, "\(what) has unsupported ONNX data type \(onnxTypeName(code))")
        }
        return element
    }

    static func onnxTypeName(_ code: Int32) -> String {
        if let t = Onnx_TensorProto.DataType(rawValue: Int(code)) { return "\(t)".uppercased() }
        return "code \(code)"
    }

    /// Number of elements in an ONNX shape, rejecting negative dimensions and overflow.
    static func elementCount(ofONNXDims dims: [Int64], what: String) throws -> Int {
        var n = 1
        for d in dims {
            guard d >= 0, d <= Int64(Int.max) else {
                throw ModelError(.malformed, "\(what) has negative or huge dimension \(d) in shape \(dims)")
            }
            let (product, overflow) = n.multipliedReportingOverflow(by: Int(d))
            guard !overflow else { throw ModelError(.malformed, "\(what): element count of shape \(dims) overflows") }
            n = product
        }
        return n
    }

    /// Decodes an ONNX tensor (initializer or attribute value).
    public init(onnx proto: Onnx_TensorProto) throws {
        let what = "tensor '\(proto.name)'"
        if proto.dataLocation == .external || !proto.externalData.isEmpty {
            throw ModelError(.unsupported, "external data not supported: tensor '\(proto.name)'")
        }
        if proto.hasSegment {
            throw ModelError(.unsupported, "segmented tensors not supported: tensor '\(proto.name)'")
        }
        let element = try Tensor.elementType(onnxCode: proto.dataType, what: what)
        let count = try Tensor.elementCount(ofONNXDims: proto.dims, what: what)
        let shape = proto.dims.map { Int($0) }

        if proto.hasRawData {
            let raw = proto.rawData
            let (expected, overflow) = count.multipliedReportingOverflow(by: element.byteWidth)
            guard !overflow, raw.count == expected else {
                throw ModelError(.malformed, "\(what): raw_data holds \(raw.count) bytes, shape \(proto.dims) needs \(count) × \(element.byteWidth)")
            }
            self = try Tensor.decodeRaw(raw, element: element, shape: shape, what: what)
            return
        }

        func check(_ n: Int, _ field: String) throws {
            guard n == count else {
                throw ModelError(.malformed, "\(what): \(field) holds \(n) values, shape \(proto.dims) needs \(count)")
            }
        }
        switch element {
        case .float32:
            try check(proto.floatData.count, "float_data")
            self.init(shape: shape, floats: proto.floatData)
        case .float64:
            try check(proto.doubleData.count, "double_data")
            self.init(shape: shape, floats: proto.doubleData.map { Float($0) })
        case .float16:
            try check(proto.int32Data.count, "int32_data")
            self.init(shape: shape, floats: proto.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
        case .bfloat16:
            try check(proto.int32Data.count, "int32_data")
            self.init(shape: shape, floats: proto.int32Data.map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) })
        case .int64:
            try check(proto.int64Data.count, "int64_data")
            self.init(shape: shape, int64s: proto.int64Data)
        case .int32, .int16, .int8, .uint16, .uint8, .bool:
            try check(proto.int32Data.count, "int32_data")
            self.init(shape: shape, int64s: proto.int32Data.map { Int64($0) })
        case .uint32, .uint64:
            try check(proto.uint64Data.count, "uint64_data")
            var values = [Int64]()
            values.reserveCapacity(count)
            for v in proto.uint64Data {
                guard let converted = Int64(exactly: v) else {
                    throw ModelError(.unsupported, "\(what): value \(v) does not fit in int64")
                }
                values.append(converted)
            }
            self.init(shape: shape, int64s: values)
        }
    }

    private static func decodeRaw(_ raw: Data, element: ElementType, shape: [Int], what: String) throws -> Tensor {
        try raw.withUnsafeBytes { try element.decodeLittleEndian($0, shape: shape, what: what) }
    }

    /// Encodes this tensor as an ONNX tensor with little-endian `raw_data` (FLOAT or INT64).
    public func onnxProto(name: String) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = shape.map { Int64($0) }
        let element = ElementType(dataType)
        proto.dataType = element.onnxCode
        proto.rawData = Data(element.littleEndianBytes(self))
        return proto
    }
}
