import SparrowModel

/// ArgMax and ReduceMean: reductions viewed as [outer, axis length, inner] loops.
extension DenseRuntime {
    /// ArgMax (float32 or int64): first index of the max, or the last with select_last_index = 1.
    static func argMax(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let axisAttribute = try context.int("axis", default: 0)
        let keepDims = try context.int("keepdims", default: 1) != 0
        let selectLast = try context.int("select_last_index", default: 0) != 0
        return { args in
            let x = try args.required(0, "data")
            guard x.rank >= 1 else { throw RuntimeError("data must have rank ≥ 1") }
            let axis = try normalizeAxis(axisAttribute, rank: x.rank)
            let length = x.shape[axis]
            guard length > 0 else { throw RuntimeError("cannot take ArgMax over an empty axis \(axis)") }
            let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
            var result = [Int64](repeating: 0, count: outer * inner)
            func scan<T: Comparable>(_ v: [T]) {
                v.withUnsafeBufferPointer { p in
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let base = o * length * inner + i
                            var best = p[base], bestIndex = 0
                            for j in 1..<Swift.max(1, length) {
                                let value = p[base + j * inner]
                                if value > best || (selectLast && value == best) { best = value; bestIndex = j }
                            }
                            result[o * inner + i] = Int64(bestIndex)
                        }
                    }
                }
            }
            switch x.storage {
            case .float32(let v): scan(v)
            case .int64(let v): scan(v)
            }
            var shape = x.shape
            if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
            return [Tensor(shape: shape, int64s: result)]
        }
    }

    /// ReduceMean over float32: axes from the attribute (opset < 18) or the optional input (opset ≥ 18);
    /// no axes reduces everything unless noop_with_empty_axes = 1.
    static func reduceMean(_ context: CompileContext) throws -> Kernel {
        let legacy = context.opset < 18
        try context.requireInputs(legacy ? 1...1 : 1...2)
        try context.requireOutputs(1...1)
        let attributeAxes = legacy ? try context.ints("axes") : nil
        let keepDims = try context.int("keepdims", default: 1) != 0
        let noopWhenEmpty = try context.int("noop_with_empty_axes", default: 0) != 0
        return { args in
            let x = try args.required(0, "data")
            let xv = try x.requireFloats("data")
            let listed = try attributeAxes ?? args.optional(1)?.requireIntList("axes") ?? []
            if listed.isEmpty && noopWhenEmpty { return [x] }
            let axes = Set(listed.isEmpty ? Array(0..<x.rank) : try normalizeAxes(listed, rank: x.rank))
            // Keep-dims output shape, and each input element's output position via strides (0 on reduced axes).
            let kept = x.shape.indices.map { axes.contains($0) ? 1 : x.shape[$0] }
            let keptStrides = Tensor.strides(of: kept)
            let maps = x.shape.map { Array(0..<$0) }
            let targets = combinedIndices(maps: maps, strides: x.shape.indices.map { axes.contains($0) ? 0 : keptStrides[$0] })
            var sums = [Float](repeating: 0, count: kept.reduce(1, *))
            for (i, t) in targets.enumerated() { sums[t] += xv[i] }
            let reduced = axes.reduce(1) { $0 * x.shape[$1] }
            let divisor = Float(reduced)
            for i in sums.indices { sums[i] = reduced == 0 ? .nan : sums[i] / divisor }
            let shape = keepDims ? kept : x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] }
            return [Tensor(shape: shape, floats: sums)]
        }
    }
}
