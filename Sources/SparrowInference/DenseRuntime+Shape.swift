import SparrowModel

/// Ops that only change a tensor's shape or pass it through: Flatten, Reshape, Squeeze, Unsqueeze,
/// Identity, Dropout (inference), Shape.
extension DenseRuntime {
    static func identity(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        return { args in [try args.take(0, "input")] }
    }

    /// Dropout at inference is the identity; the optional mask output is all ones (ONNX bool, here int64).
    static func dropout(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...3)
        try context.requireOutputs(1...2)
        if let training = context.constantInput(2), training.int64s.contains(where: { $0 != 0 }) {
            throw RuntimeError("training_mode = true is not supported")
        }
        let wantsMask = context.node.outputs.count > 1 && !context.node.outputs[1].isEmpty
        return { args in
            if let training = args.optional(2), training.int64s.contains(where: { $0 != 0 }) {
                throw RuntimeError("training_mode = true is not supported")
            }
            let x = try args.take(0, "data")
            guard wantsMask else { return [x] }
            return [x, Tensor(shape: x.shape, int64s: [Int64](repeating: 1, count: x.count))]
        }
    }

    static func flatten(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let axisAttribute = try context.int("axis", default: 1)
        return { args in
            let x = try args.take(0, "input")
            // axis may equal rank (everything in the first dim).
            guard axisAttribute >= -x.rank, axisAttribute <= x.rank else {
                throw RuntimeError("axis \(axisAttribute) is out of range for rank \(x.rank)")
            }
            let axis = axisAttribute < 0 ? axisAttribute + x.rank : axisAttribute
            return [x.reshaped([x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)])]
        }
    }

    /// Reshape: the target comes from the `shape` input (opset ≥ 5) or attribute. 0 copies the input dim
    /// (unless allowzero = 1, when it means an empty dim) and one -1 is inferred.
    static func reshape(_ context: CompileContext) throws -> Kernel {
        let attributeShape = try context.ints("shape")
        try context.requireInputs(attributeShape == nil ? 2...2 : 1...1)
        try context.requireOutputs(1...1)
        let allowZero = try context.int("allowzero", default: 0) != 0
        return { args in
            let x = try args.take(0, "data")
            let target = try attributeShape ?? args.required(1, "shape").requireIntList("shape")
            return [x.reshaped(try resolveReshape(x.shape, target, allowZero: allowZero))]
        }
    }

    static func resolveReshape(_ shape: [Int], _ target: [Int], allowZero: Bool) throws -> [Int] {
        var out: [Int] = []
        var inferred: Int?
        for (i, d) in target.enumerated() {
            switch d {
            case -1:
                guard inferred == nil else { throw RuntimeError("shape \(target) has more than one -1") }
                inferred = i
                out.append(1)
            case 0 where !allowZero:
                guard i < shape.count else { throw RuntimeError("shape \(target) copies dim \(i) of a rank-\(shape.count) input") }
                out.append(shape[i])
            default:
                guard d >= 0 else { throw RuntimeError("shape \(target) has a negative dim") }
                out.append(d)
            }
        }
        let total = shape.reduce(1, *)
        if let i = inferred {
            let known = try Tensor.checkedCount(out)
            guard known > 0, total % known == 0 else {
                throw RuntimeError("cannot reshape \(shape) to \(target)")
            }
            out[i] = total / known
        }
        guard try Tensor.checkedCount(out) == total else {
            throw RuntimeError("cannot reshape \(shape) (\(total) values) to \(target)")
        }
        return out
    }

    /// Squeeze: axes from the attribute (opset < 13) or the optional input; none removes every 1.
    static func squeeze(_ context: CompileContext) throws -> Kernel {
        let legacy = context.opset < 13
        try context.requireInputs(legacy ? 1...1 : 1...2)
        try context.requireOutputs(1...1)
        let attributeAxes = legacy ? try context.ints("axes") : nil
        return { args in
            let x = try args.take(0, "data")
            let listed = try attributeAxes ?? args.optional(1)?.requireIntList("axes")
            let axes: Set<Int>
            if let listed {
                axes = Set(try normalizeAxes(listed, rank: x.rank))
                for a in axes where x.shape[a] != 1 {
                    throw RuntimeError("cannot squeeze axis \(a) of size \(x.shape[a]) in shape \(x.shape)")
                }
            } else {
                axes = Set(x.shape.indices.filter { x.shape[$0] == 1 })
            }
            return [x.reshaped(x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] })]
        }
    }

    /// Unsqueeze: axes (attribute before opset 13, input from 13) index the output's dims.
    static func unsqueeze(_ context: CompileContext) throws -> Kernel {
        let legacy = context.opset < 13
        try context.requireInputs(legacy ? 1...1 : 2...2)
        try context.requireOutputs(1...1)
        let attributeAxes = legacy ? try context.ints("axes") : nil
        if legacy && attributeAxes == nil { throw RuntimeError("attribute 'axes' is required") }
        return { args in
            let x = try args.take(0, "data")
            let listed = try attributeAxes ?? args.required(1, "axes").requireIntList("axes")
            let rank = x.rank + listed.count
            let axes = Set(try normalizeAxes(listed, rank: rank))
            var shape: [Int] = []
            var source = x.shape.makeIterator()
            for i in 0..<rank { shape.append(axes.contains(i) ? 1 : source.next()!) }
            return [x.reshaped(shape)]
        }
    }

    /// Shape, optionally sliced by start/end (opset 15; clamped like Slice).
    static func shape(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let start = try context.int("start", default: 0), end = try context.optionalInt("end")
        return { args in
            let x = try args.required(0, "data")
            let rank = x.rank
            func clampIndex(_ i: Int) -> Int { Swift.min(rank, Swift.max(0, i < 0 ? i + rank : i)) }
            let lo = clampIndex(start), hi = clampIndex(end ?? rank)
            let dims = lo < hi ? x.shape[lo..<hi].map { Int64($0) } : []
            return [Tensor(shape: [dims.count], int64s: dims)]
        }
    }
}
