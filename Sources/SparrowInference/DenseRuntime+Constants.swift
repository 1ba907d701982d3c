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

    /// Cast: a narrower float is rounded to what that type holds (overflowing to ±inf as it
    /// would) and an integer wraps, then the value is held in Sparrow's compute type.
    static func cast(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        guard let to = try context.optionalInt("to") else { throw RuntimeError("attribute 'to' is required") }
        guard let code = Int32(exactly: to), let target = ElementType(onnxCode: code) else {
            throw RuntimeError("cannot cast to ONNX element type \(to)")
        }
        return { args in [target.converting(try args.take(0, "input"))] }
    }
}
