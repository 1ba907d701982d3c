import SparrowModel

/// Data-movement ops on float32 or int64 tensors: Transpose, Concat, Gather, Slice, Pad and
/// ai.onnx.ml ArrayFeatureExtractor.
extension DenseRuntime {
    static func transpose(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        let permAttribute = try context.ints("perm")
        return { args in
            let x = try args.required(0, "data")
            let perm = permAttribute ?? Array((0..<x.rank).reversed())
            guard perm.sorted() == Array(0..<x.rank) else {
                throw RuntimeError("perm \(perm) is not a permutation of the \(x.rank) axes")
            }
            let strides = x.strides
            let shape = perm.map { x.shape[$0] }
            let indices = combinedIndices(maps: perm.map { Array(0..<x.shape[$0]) }, strides: perm.map { strides[$0] })
            return [x.gathered(indices, shape: shape)]
        }
    }

    static func concat(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...Int.max)
        try context.requireOutputs(1...1)
        guard let axisAttribute = try context.optionalInt("axis") else { throw RuntimeError("attribute 'axis' is required") }
        return { args in
            let parts = try args.indices.map { try args.required($0, "input \($0)") }
            let first = parts[0]
            let axis = try normalizeAxis(axisAttribute, rank: first.rank)
            var shape = first.shape
            shape[axis] = 0
            for p in parts {
                guard p.dataType == first.dataType else { throw RuntimeError("inputs have different types") }
                guard p.rank == first.rank,
                      p.shape.indices.allSatisfy({ $0 == axis || p.shape[$0] == first.shape[$0] }) else {
                    throw RuntimeError("input shapes \(parts.map(\.shape)) differ outside axis \(axis)")
                }
                shape[axis] += p.shape[axis]
            }
            let outer = first.shape[..<axis].reduce(1, *)
            let inner = first.shape[(axis + 1)...].reduce(1, *)
            switch first.storage {
            case .float32:
                return [Tensor(shape: shape, floats: concatenate(parts.map(\.floats), parts.map { $0.shape[axis] * inner }, outer))]
            case .int64:
                return [Tensor(shape: shape, int64s: concatenate(parts.map(\.int64s), parts.map { $0.shape[axis] * inner }, outer))]
            }
        }
    }

    /// Interleaves `outer` blocks: block o of the result is block o of every part, in order.
    static func concatenate<T>(_ parts: [[T]], _ blocks: [Int], _ outer: Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(blocks.reduce(0, +) * outer)
        for o in 0..<outer {
            for (part, block) in zip(parts, blocks) where block > 0 {
                out.append(contentsOf: part[(o * block)..<((o + 1) * block)])
            }
        }
        return out
    }

    /// Gather along `axis`; negative indices count from the end.
    static func gather(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...2)
        try context.requireOutputs(1...1)
        let axisAttribute = try context.int("axis", default: 0)
        return { args in
            let data = try args.required(0, "data"), indices = try args.required(1, "indices")
            guard data.rank >= 1 else { throw RuntimeError("data must have rank ≥ 1") }
            let axis = try normalizeAxis(axisAttribute, rank: data.rank)
            let positions = try resolveIndices(indices.requireInt64s("indices"), dim: data.shape[axis])
            var maps = data.shape.map { Array(0..<$0) }
            maps[axis] = positions
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            _ = try Tensor.checkedCount(shape)
            return [data.gathered(combinedIndices(maps: maps, strides: data.strides), shape: shape)]
        }
    }

    /// Indices in [-dim, dim) resolved to [0, dim).
    static func resolveIndices(_ indices: [Int64], dim: Int) throws -> [Int] {
        try indices.map { i in
            guard i >= -Int64(dim), i < Int64(dim) else {
                throw RuntimeError("index \(i) is out of range for a dim of size \(dim)")
            }
            return Int(i < 0 ? i + Int64(dim) : i)
        }
    }

    /// Slice: starts/ends/axes attributes (opset < 10) or inputs starts, ends, axes?, steps? (opset ≥ 10),
    /// with ONNX clamping of out-of-range bounds.
    static func slice(_ context: CompileContext) throws -> Kernel {
        let legacy = context.opset < 10
        try context.requireInputs(legacy ? 1...1 : 3...5)
        try context.requireOutputs(1...1)
        let legacyStarts = legacy ? try context.ints("starts") : nil
        let legacyEnds = legacy ? try context.ints("ends") : nil
        let legacyAxes = legacy ? try context.ints("axes") : nil
        if legacy && (legacyStarts == nil || legacyEnds == nil) { throw RuntimeError("attributes 'starts' and 'ends' are required") }
        return { args in
            let x = try args.required(0, "data")
            let starts = try legacyStarts ?? args.required(1, "starts").requireIntList("starts")
            let ends = try legacyEnds ?? args.required(2, "ends").requireIntList("ends")
            let axes = try legacyAxes ?? args.optional(3)?.requireIntList("axes") ?? Array(0..<starts.count)
            let steps = try args.optional(4)?.requireIntList("steps") ?? [Int](repeating: 1, count: starts.count)
            guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
                throw RuntimeError("starts, ends, axes and steps must have the same length")
            }
            var maps = x.shape.map { Array(0..<$0) }
            for (j, axis) in try normalizeAxes(axes, rank: x.rank).enumerated() {
                // Clamp steps to ±Int.max so negating one cannot overflow.
                let dim = x.shape[axis], step = Swift.max(steps[j], -Int.max)
                guard step != 0 else { throw RuntimeError("slice step must not be 0") }
                var start = starts[j] < 0 ? starts[j] + dim : starts[j]
                var end = ends[j] < 0 ? ends[j] + dim : ends[j]
                let count: Int
                if step > 0 {
                    start = Swift.min(Swift.max(start, 0), dim)
                    end = Swift.min(Swift.max(end, 0), dim)
                    count = end > start ? (end - start - 1) / step + 1 : 0
                } else {
                    start = Swift.min(Swift.max(start, 0), dim - 1)
                    end = Swift.min(Swift.max(end, -1), dim - 1)
                    count = start > end ? (start - end - 1) / -step + 1 : 0
                }
                maps[axis] = (0..<count).map { start + $0 * step }
            }
            return [x.gathered(combinedIndices(maps: maps, strides: x.strides), shape: maps.map(\.count))]
        }
    }

    /// Pad: mode constant / reflect / edge; pads (and value) are attributes before opset 11, inputs
    /// (pads, constant_value?, axes?) from 11. Negative pads crop.
    static func pad(_ context: CompileContext) throws -> Kernel {
        let legacy = context.opset < 11
        try context.requireInputs(legacy ? 1...1 : 2...4)
        try context.requireOutputs(1...1)
        let mode = try context.string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else { throw RuntimeError("unsupported pad mode '\(mode)'") }
        let legacyPads = legacy ? try context.ints("pads") ?? context.ints("paddings") : nil
        if legacy && legacyPads == nil { throw RuntimeError("attribute 'pads' is required") }
        let legacyValue = try context.float("value", default: 0)
        return { args in
            let x = try args.required(0, "data")
            let rank = x.rank
            let listed = try legacyPads ?? args.required(1, "pads").requireIntList("pads")
            let axes = try normalizeAxes(args.optional(3)?.requireIntList("axes") ?? Array(0..<rank), rank: rank)
            guard listed.count == 2 * axes.count else {
                throw RuntimeError("pads has \(listed.count) entries, expected \(2 * axes.count)")
            }
            var begins = [Int](repeating: 0, count: rank), ends = begins
            for (j, axis) in axes.enumerated() {
                begins[axis] = listed[j]
                ends[axis] = listed[axes.count + j]
            }
            var fill = Double(legacyValue)
            if !legacy, let v = args.optional(2) {
                guard v.count == 1 else { throw RuntimeError("constant_value must be a scalar") }
                guard v.dataType == x.dataType else { throw RuntimeError("constant_value type differs from data") }
                fill = x.dataType == .float32 ? Double(v.floats[0]) : Double(v.int64s[0])
            }
            var sizes: [Int] = []
            for axis in 0..<rank {
                let (partial, o1) = x.shape[axis].addingReportingOverflow(begins[axis])
                let (size, o2) = partial.addingReportingOverflow(ends[axis])
                guard !o1, !o2, size >= 0 else { throw RuntimeError("pads \(listed) are out of range for axis \(axis)") }
                sizes.append(size)
            }
            _ = try Tensor.checkedCount(sizes)
            var maps: [[Int]] = []
            for axis in 0..<rank {
                let dim = x.shape[axis], size = sizes[axis]
                if mode != "constant" && dim == 0 && size > 0 {
                    throw RuntimeError("\(mode) padding needs a non-empty axis \(axis)")
                }
                maps.append((0..<size).map { o in
                    let i = o - begins[axis]
                    if i >= 0 && i < dim { return i }
                    switch mode {
                    case "edge": return i < 0 ? 0 : dim - 1
                    case "reflect": return reflect(i, dim)
                    default: return -1
                    }
                })
            }
            let shape = maps.map(\.count)
            return [x.gathered(combinedIndices(maps: maps, strides: x.strides), shape: shape, fill: fill)]
        }
    }

    /// Mirrors an out-of-range coordinate back into [0, dim) without repeating the edge.
    static func reflect(_ i: Int, _ dim: Int) -> Int {
        guard dim > 1 else { return 0 }
        let period = 2 * (dim - 1)
        var r = i % period
        if r < 0 { r += period }
        return r < dim ? r : period - r
    }

    /// ai.onnx.ml ArrayFeatureExtractor: selects `Y`'s indices along X's last axis (a 1-D X gives [1, k]).
    static func arrayFeatureExtractor(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...2)
        try context.requireOutputs(1...1)
        return { args in
            let x = try args.required(0, "X"), y = try args.required(1, "Y")
            guard x.rank >= 1 else { throw RuntimeError("X must have rank ≥ 1") }
            let last = x.shape[x.rank - 1]
            let selected: [Int] = try y.requireInt64s("Y").map { i in
                guard i >= 0, i < Int64(last) else {
                    throw RuntimeError("index \(i) is out of range for a last dim of size \(last)")
                }
                return Int(i)
            }
            var maps = x.shape.map { Array(0..<$0) }
            maps[x.rank - 1] = selected
            var shape = x.shape
            if x.rank == 1 { shape = [1, selected.count] } else { shape[x.rank - 1] = selected.count }
            _ = try Tensor.checkedCount(shape)
            return [x.gathered(combinedIndices(maps: maps, strides: x.strides), shape: shape)]
        }
    }
}
