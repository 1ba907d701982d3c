/// The element types of the ONNX tensors Sparrow reads, named as the Open Inference Protocol
/// names them.
///
/// Sparrow computes in two types (`DataType`): floating types are held as float32, integer and
/// bool types as int64. An element type is what a model declares and what travels on the wire;
/// `converting(_:)` gives a computed value the exact value that type would hold.
public enum ElementType: String, Sendable, CaseIterable, Codable {
    case bool = "BOOL"
    case uint8 = "UINT8", uint16 = "UINT16", uint32 = "UINT32", uint64 = "UINT64"
    case int8 = "INT8", int16 = "INT16", int32 = "INT32", int64 = "INT64"
    case float16 = "FP16", float32 = "FP32", float64 = "FP64", bfloat16 = "BF16"

    /// The `TensorProto.DataType` code.
    public var onnxCode: Int32 {
        switch self {
        case .float32: 1
        case .uint8: 2
        case .int8: 3
        case .uint16: 4
        case .int16: 5
        case .int32: 6
        case .int64: 7
        case .bool: 9
        case .float16: 10
        case .float64: 11
        case .uint32: 12
        case .uint64: 13
        case .bfloat16: 16
        }
    }

    public init?(onnxCode: Int32) {
        guard let match = ElementType.allCases.first(where: { $0.onnxCode == onnxCode }) else { return nil }
        self = match
    }

    public var byteWidth: Int {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .float16, .bfloat16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    /// The type Sparrow computes this element type in.
    public var computeType: DataType {
        switch self {
        case .float16, .float32, .float64, .bfloat16: .float32
        default: .int64
        }
    }

    /// The element type a compute type stands for when nothing narrower was declared.
    public init(_ computeType: DataType) {
        self = computeType == .float32 ? .float32 : .int64
    }

    /// `f` as this floating type holds it (nearest even), widened back to float32. float64 keeps
    /// the float32 value, since Sparrow computes no wider.
    public func rounded(_ f: Float) -> Float {
        switch self {
        case .float16: return Float(Float16(f))
        case .bfloat16:
            guard !f.isNaN else { return f }
            let bits = f.bitPattern
            return Float(bitPattern: (bits &+ 0x7FFF &+ (bits >> 16 & 1)) & 0xFFFF_0000)
        default: return f
        }
    }

    /// `value` as this integer type holds it (two's complement wrap, as onnxruntime's casts do),
    /// widened back to int64; uint64 keeps its bit pattern, bool is 0 or 1.
    public func wrapped(_ value: Int64) -> Int64 {
        switch self {
        case .bool: value != 0 ? 1 : 0
        case .int8: Int64(Int8(truncatingIfNeeded: value))
        case .uint8: Int64(UInt8(truncatingIfNeeded: value))
        case .int16: Int64(Int16(truncatingIfNeeded: value))
        case .uint16: Int64(UInt16(truncatingIfNeeded: value))
        case .int32: Int64(Int32(truncatingIfNeeded: value))
        case .uint32: Int64(UInt32(truncatingIfNeeded: value))
        default: value
        }
    }

    /// Whether this integer type holds `value` exactly (a uint64 above 2^63 − 1 is not an int64).
    public func holds(_ value: Int64) -> Bool {
        wrapped(value) == value && (self != .uint64 || value >= 0)
    }

    /// A float as this integer type holds it. ONNX leaves NaN and out-of-range conversions
    /// undefined; these follow onnxruntime on x86-64, whose narrow types convert through int32
    /// (NaN and values outside it give Int32.min, then wrap), and whose unsigned 32/64-bit
    /// conversions subtract 2^31 / 2^63 from values past the signed range and add it back.
    func integer(from f: Float) -> Int64 {
        func int32(_ x: Float) -> Int64 {
            x.isFinite && x >= -2_147_483_648 && x < 2_147_483_648 ? Int64(x) : Int64(Int32.min)
        }
        switch self {
        case .bool: return f != 0 ? 1 : 0
        case .int8, .uint8, .int16, .uint16, .int32: return wrapped(int32(f))
        case .uint32: return wrapped(f >= 2_147_483_648 ? int32(f - 2_147_483_648) &+ 2_147_483_648 : int32(f))
        case .uint64 where f >= 9_223_372_036_854_775_808:
            return ElementType.truncatedInt64(f - 9_223_372_036_854_775_808) ^ Int64.min
        default: return ElementType.truncatedInt64(f)
        }
    }

    /// Float → int64 toward zero; NaN and out-of-range values give Int64.min, as x86 conversion does.
    public static func truncatedInt64(_ f: Float) -> Int64 {
        guard f.isFinite, f >= -9.223372e18, f < 9.223372e18 else { return Int64.min }
        return Int64(f)
    }

    /// ONNX Cast to this type: the values this type would hold, in its compute type.
    public func converting(_ tensor: Tensor) -> Tensor {
        switch (computeType, tensor.storage) {
        case (.float32, .float32(let v)):
            guard self == .float16 || self == .bfloat16 else { return tensor }
            return Tensor(shape: tensor.shape, floats: v.map(rounded))
        case (.float32, .int64(let v)):
            return Tensor(shape: tensor.shape, floats: v.map { rounded(Float($0)) })
        case (.int64, .int64(let v)):
            guard self != .int64, self != .uint64 else { return tensor }
            return Tensor(shape: tensor.shape, int64s: v.map(wrapped))
        case (.int64, .float32(let v)):
            return Tensor(shape: tensor.shape, int64s: v.map(integer(from:)))
        }
    }
}
