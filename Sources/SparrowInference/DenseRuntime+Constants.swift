import SparrowModel

/// Constant, ConstantOfShape and Cast. ONNX's many element types map onto Sparrow's two: float
/// types become float32, integer and bool types int64.
extension DenseRuntime {
    static func constant(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(0...0)
        try context.requireOutputs(1...1)
        let attributes = context.node.attributes
        let value: Tensor
        switch (attributes["value"], attributes["value_float"], attributes["value_floats"],
                attributes["value_int"], attributes["value_ints"]) {
        case (.tensor(let t)?, nil, nil, nil, nil): value = t
        case (nil, .float(let f)?, nil, nil, nil): value = .scalar(f)
        case (nil, nil, .floats(let f)?, nil, nil): value = Tensor(shape: [f.count], floats: f)
        case (nil, nil, nil, .int(let i)?, nil): value = .scalar(i)
        case (nil, nil, nil, nil, .ints(let i)?): value = Tensor(shape: [i.count], int64s: i)
        default:
            throw RuntimeError("needs exactly one of value, value_float(s), value_int(s) (string and sparse values are not supported)")
        }
        return { _ in [value] }
    }

    /// ConstantOfShape: a tensor of the given shape filled with `value`'s single element (default float 0).
    static func constantOfShape(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let fill = try context.tensor("value") ?? .scalar(Float(0))
        guard fill.count == 1 else { throw RuntimeError("value must hold one element, has shape \(fill.shape)") }
        return { args in
            let shape = try args.required(0, "input").requireIntList("input")
            let count = try Tensor.checkedCount(shape)
            switch fill.storage {
            case .float32(let v): return [Tensor(shape: shape, floats: [Float](repeating: v[0], count: count))]
            case .int64(let v): return [Tensor(shape: shape, int64s: [Int64](repeating: v[0], count: count))]
            }
        }
    }

    /// ONNX TensorProto element types Cast accepts, by Sparrow type.
    static let floatTypeCodes: Set<Int> = [1, 10, 11, 16]           // float, float16, double, bfloat16
    static let integerTypeCodes: Set<Int> = [2, 3, 4, 5, 6, 7, 12, 13] // (u)int8…(u)int64
    static let boolTypeCode = 9

    static func cast(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        guard let to = try context.optionalInt("to") else { throw RuntimeError("attribute 'to' is required") }
        if floatTypeCodes.contains(to) {
            // Sparrow holds every float as float32; a cast to a narrower float rounds the value to
            // what that type can hold (and overflows to ±inf as it would), then holds it as float32.
            return { args in
                let x = try args.take(0, "input")
                switch x.storage {
                case .float32(let v):
                    guard to == 10 || to == 16 else { return [x] }
                    return [Tensor(shape: x.shape, floats: v.map { roundedFloat($0, to: to) })]
                case .int64(let v): return [Tensor(shape: x.shape, floats: v.map { roundedFloat(Float($0), to: to) })]
                }
            }
        }
        guard integerTypeCodes.contains(to) || to == boolTypeCode else {
            throw RuntimeError("cannot cast to ONNX element type \(to)")
        }
        let toBool = to == boolTypeCode
        return { args in
            let x = try args.take(0, "input")
            switch x.storage {
            case .int64(let v):
                return [Tensor(shape: x.shape, int64s: v.map { toBool ? ($0 != 0 ? 1 : 0) : wrappedInteger($0, to: to) })]
            case .float32(let v):
                return [Tensor(shape: x.shape, int64s: v.map { toBool ? ($0 != 0 ? 1 : 0) : wrappedInteger(truncatedInt64($0), to: to) })]
            }
        }
    }

    /// `value` as the integer type `code` holds it (two's complement wrap, as onnxruntime's casts
    /// do), widened back to int64; uint64 keeps its bit pattern.
    static func wrappedInteger(_ value: Int64, to code: Int) -> Int64 {
        switch code {
        case 3: Int64(Int8(truncatingIfNeeded: value))
        case 2: Int64(UInt8(truncatingIfNeeded: value))
        case 5: Int64(Int16(truncatingIfNeeded: value))
        case 4: Int64(UInt16(truncatingIfNeeded: value))
        case 6: Int64(Int32(truncatingIfNeeded: value))
        case 12: Int64(UInt32(truncatingIfNeeded: value))
        default: value
        }
    }

    /// `f` rounded to float16 (code 10) or bfloat16 (code 16), to nearest even, as a float32.
    static func roundedFloat(_ f: Float, to code: Int) -> Float {
        switch code {
        case 10: return Float(Float16(f))
        case 16:
            guard !f.isNaN else { return f }
            let bits = f.bitPattern
            return Float(bitPattern: (bits &+ 0x7FFF &+ (bits >> 16 & 1)) & 0xFFFF_0000)
        default: return f
        }
    }

    /// Float → int64 toward zero; NaN and out-of-range values give Int64.min, as x86 conversion does.
    static func truncatedInt64(_ f: Float) -> Int64 {
        guard f.isFinite, f >= -9.223372e18, f < 9.223372e18 else { return Int64.min }
        return Int64(f)
    }
}
