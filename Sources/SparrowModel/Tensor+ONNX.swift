import FoundationEssentials
import SwiftProtobuf

/// Conversion between ONNX `TensorProto` and `Tensor`.
///
/// Sparrow computes in float32 and int64, so floating types (float, double, float16, bfloat16) become
/// float32 and integer types (int8..int64, uint8..uint64, bool) become int64. Every count is checked
/// against the bytes actually present before anything is allocated.
extension Tensor {
    /// ONNX element types Sparrow reads, with their size in `raw_data`.
    enum ONNXElement: Int32 {
        case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
        case bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13, bfloat16 = 16

        var byteWidth: Int {
            switch self {
            case .uint8, .int8, .bool: return 1
            case .uint16, .int16, .float16, .bfloat16: return 2
            case .float, .int32, .uint32: return 4
            case .int64, .double, .uint64: return 8
            }
        }

        var sparrowType: DataType {
            switch self {
            case .float, .double, .float16, .bfloat16: return .float32
            default: return .int64
            }
        }
    }

    /// The Sparrow type an ONNX element type (`TensorProto.DataType` code) converts to.
    static func dataType(onnxElementType code: Int32, what: String) throws -> DataType {
        guard let element = ONNXElement(rawValue: code) else {
            throw ModelError(.unsupported, "\(what) has unsupported ONNX data type \(onnxTypeName(code))")
        }
        return element.sparrowType
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
        guard let element = ONNXElement(rawValue: proto.dataType) else {
            throw ModelError(.unsupported, "\(what) has unsupported ONNX data type \(Tensor.onnxTypeName(proto.dataType))")
        }
        let count = try Tensor.elementCount(ofONNXDims: proto.dims, what: what)
        let shape = proto.dims.map { Int($0) }

        if proto.hasRawData {
            let raw = proto.rawData
            let (expected, overflow) = count.multipliedReportingOverflow(by: element.byteWidth)
            guard !overflow, raw.count == expected else {
                throw ModelError(.malformed, "\(what): raw_data holds \(raw.count) bytes, shape \(proto.dims) needs \(count) × \(element.byteWidth)")
            }
            self = try Tensor.decodeRaw(raw, element: element, count: count, shape: shape, what: what)
            return
        }

        func check(_ n: Int, _ field: String) throws {
            guard n == count else {
                throw ModelError(.malformed, "\(what): \(field) holds \(n) values, shape \(proto.dims) needs \(count)")
            }
        }
        switch element {
        case .float:
            try check(proto.floatData.count, "float_data")
            self.init(shape: shape, floats: proto.floatData)
        case .double:
            try check(proto.doubleData.count, "double_data")
            self.init(shape: shape, floats: proto.doubleData.map { Float($0) })
        case .float16:
            try check(proto.int32Data.count, "int32_data")
            self.init(shape: shape, floats: proto.int32Data.map { Tensor.float(fromHalfBits: UInt16(truncatingIfNeeded: $0)) })
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

    private static func decodeRaw(_ raw: Data, element: ONNXElement, count: Int, shape: [Int],
                                  what: String) throws -> Tensor {
        try raw.withUnsafeBytes { (buf: UnsafeRawBufferPointer) throws -> Tensor in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(littleEndian: buf.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            }
            switch element {
            case .float:
                return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
            case .double:
                return Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
            case .float16:
                return Tensor(shape: shape, floats: (0..<count).map { float(fromHalfBits: load(UInt16.self, $0)) })
            case .bfloat16:
                return Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) })
            case .int64:
                return Tensor(shape: shape, int64s: (0..<count).map { load(Int64.self, $0) })
            case .int32:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(Int32.self, $0)) })
            case .int16:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(Int16.self, $0)) })
            case .int8:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(Int8.self, $0)) })
            case .uint8:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(UInt8.self, $0)) })
            case .bool:
                return Tensor(shape: shape, int64s: (0..<count).map { load(UInt8.self, $0) != 0 ? 1 : 0 })
            case .uint16:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(UInt16.self, $0)) })
            case .uint32:
                return Tensor(shape: shape, int64s: (0..<count).map { Int64(load(UInt32.self, $0)) })
            case .uint64:
                var values = [Int64]()
                values.reserveCapacity(count)
                for i in 0..<count {
                    let v = load(UInt64.self, i)
                    guard let converted = Int64(exactly: v) else {
                        throw ModelError(.unsupported, "\(what): value \(v) does not fit in int64")
                    }
                    values.append(converted)
                }
                return Tensor(shape: shape, int64s: values)
            }
        }
    }

    /// IEEE 754 half-precision bits to float32 (subnormals, infinities and NaN included).
    public static func float(fromHalfBits h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa × 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1f {
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Encodes this tensor as an ONNX tensor with little-endian `raw_data` (FLOAT or INT64).
    public func onnxProto(name: String) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = shape.map { Int64($0) }
        var bytes = [UInt8]()
        switch storage {
        case .float32(let values):
            proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            bytes.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        case .int64(let values):
            proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            bytes.reserveCapacity(values.count * 8)
            for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        proto.rawData = Data(bytes)
        return proto
    }
}
