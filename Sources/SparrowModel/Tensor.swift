/// Element types Sparrow computes with. Names follow the Open Inference Protocol's datatypes.
public enum DataType: String, Sendable, Codable, CaseIterable {
    case float32 = "FP32"
    case int64 = "INT64"

    public var byteWidth: Int { self == .float32 ? 4 : 8 }
}

/// A dense, row-major tensor of float32 or int64 values.
public struct Tensor: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case int64([Int64])
    }

    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], floats: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && Tensor.count(of: shape) == floats.count,
                     "shape \(shape) does not hold \(floats.count) values")
        self.shape = shape
        self.storage = .float32(floats)
    }

    public init(shape: [Int], int64s: [Int64]) {
        precondition(shape.allSatisfy { $0 >= 0 } && Tensor.count(of: shape) == int64s.count,
                     "shape \(shape) does not hold \(int64s.count) values")
        self.shape = shape
        self.storage = .int64(int64s)
    }

    public static func zeros(_ shape: [Int], dataType: DataType = .float32) -> Tensor {
        let n = count(of: shape)
        switch dataType {
        case .float32: return Tensor(shape: shape, floats: [Float](repeating: 0, count: n))
        case .int64: return Tensor(shape: shape, int64s: [Int64](repeating: 0, count: n))
        }
    }

    public static func scalar(_ value: Float) -> Tensor { Tensor(shape: [], floats: [value]) }
    public static func scalar(_ value: Int64) -> Tensor { Tensor(shape: [], int64s: [value]) }

    /// Number of elements a shape holds (1 for a scalar).
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    public var count: Int { Tensor.count(of: shape) }
    public var rank: Int { shape.count }

    public var dataType: DataType {
        switch storage {
        case .float32: return .float32
        case .int64: return .int64
        }
    }

    /// The values as float32 (int64 values are converted).
    public var floats: [Float] {
        switch storage {
        case .float32(let v): return v
        case .int64(let v): return v.map { Float($0) }
        }
    }

    /// The values as int64 (float32 values are truncated toward zero, as ONNX Cast does; NaN and
    /// values beyond int64 give Int64.min, as x86 conversion does).
    public var int64s: [Int64] {
        switch storage {
        case .float32(let v): return v.map(ElementType.truncatedInt64)
        case .int64(let v): return v
        }
    }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Tensor.count(of: newShape) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Row-major strides for this tensor's shape.
    public var strides: [Int] { Tensor.strides(of: shape) }

    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= shape[i]
        }
        return strides
    }
}
