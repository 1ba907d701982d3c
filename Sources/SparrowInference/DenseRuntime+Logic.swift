import SparrowModel

/// Comparisons, boolean logic, Where and Expand. A bool is an int64 0 or 1 (see `ElementType`);
/// comparisons with NaN are false, as in IEEE and onnxruntime.
extension DenseRuntime {
    enum Comparison: Sendable { case equal, greater, greaterOrEqual, less, lessOrEqual }

    static func compare(_ comparison: Comparison) -> KernelFactory {
        return { context in
            try context.requireInputs(2...2)
            try context.requireOutputs(1...1)
            return { args in
                let a = try args.required(0, "A"), b = try args.required(1, "B")
                let plan = try BroadcastPlan(a.shape, b.shape)
                switch (a.storage, b.storage) {
                case (.float32(let x), .float32(let y)):
                    return [Tensor(shape: plan.outShape, int64s: compared(comparison, plan, x, y))]
                case (.int64(let x), .int64(let y)):
                    return [Tensor(shape: plan.outShape, int64s: compared(comparison, plan, x, y))]
                default:
                    throw RuntimeError("inputs have different types \(a.dataType.rawValue) and \(b.dataType.rawValue)")
                }
            }
        }
    }

    private static func compared<T: Comparable>(_ comparison: Comparison, _ plan: BroadcastPlan,
                                                _ x: [T], _ y: [T]) -> [Int64] {
        switch comparison {
        case .equal: plan.map(x, y) { $0 == $1 ? 1 : 0 }
        case .greater: plan.map(x, y) { $0 > $1 ? 1 : 0 }
        case .greaterOrEqual: plan.map(x, y) { $0 >= $1 ? 1 : 0 }
        case .less: plan.map(x, y) { $0 < $1 ? 1 : 0 }
        case .lessOrEqual: plan.map(x, y) { $0 <= $1 ? 1 : 0 }
        }
    }

    enum Logic: Sendable { case and, or, xor }

    static func logic(_ op: Logic) -> KernelFactory {
        return { context in
            try context.requireInputs(2...2)
            try context.requireOutputs(1...1)
            return { args in
                let a = try args.required(0, "A"), b = try args.required(1, "B")
                let x = try a.requireInt64s("A"), y = try b.requireInt64s("B")
                let plan = try BroadcastPlan(a.shape, b.shape)
                let out: [Int64] = switch op {
                case .and: plan.map(x, y) { $0 != 0 && $1 != 0 ? 1 : 0 }
                case .or: plan.map(x, y) { $0 != 0 || $1 != 0 ? 1 : 0 }
                case .xor: plan.map(x, y) { ($0 != 0) != ($1 != 0) ? 1 : 0 }
                }
                return [Tensor(shape: plan.outShape, int64s: out)]
            }
        }
    }

    static func not(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        return { args in
            let x = try args.required(0, "X")
            return [Tensor(shape: x.shape, int64s: try x.requireInt64s("X").map { $0 == 0 ? 1 : 0 })]
        }
    }

    /// Where(condition, X, Y): X where the condition holds, else Y, all three broadcast together.
    static func whereOp(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(3...3)
        try context.requireOutputs(1...1)
        return { args in
            let c = try args.required(0, "condition"), x = try args.required(1, "X"), y = try args.required(2, "Y")
            guard x.dataType == y.dataType else {
                throw RuntimeError("X and Y have different types \(x.dataType.rawValue) and \(y.dataType.rawValue)")
            }
            let condition = try c.requireInt64s("condition")
            let out = try BroadcastPlan.shape([c.shape, x.shape, y.shape])
            _ = try Tensor.checkedCount(out)
            let ci = Tensor.broadcastOffsets(from: c.shape, to: out)
            let xi = Tensor.broadcastOffsets(from: x.shape, to: out), yi = Tensor.broadcastOffsets(from: y.shape, to: out)
            switch (x.storage, y.storage) {
            case (.float32(let xv), .float32(let yv)):
                return [Tensor(shape: out, floats: ci.indices.map { condition[ci[$0]] != 0 ? xv[xi[$0]] : yv[yi[$0]] })]
            case (.int64(let xv), .int64(let yv)):
                return [Tensor(shape: out, int64s: ci.indices.map { condition[ci[$0]] != 0 ? xv[xi[$0]] : yv[yi[$0]] })]
            default:
                throw RuntimeError("X and Y have different types")
            }
        }
    }

    /// Expand(input, shape): the input broadcast with `shape` (numpy rules, both ways).
    static func expand(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...2)
        try context.requireOutputs(1...1)
        return { args in
            let x = try args.required(0, "input")
            let requested = try args.required(1, "shape").requireIntList("shape")
            guard requested.allSatisfy({ $0 >= 0 }) else { throw RuntimeError("shape \(requested) has a negative dimension") }
            let out = try BroadcastPlan.shape([x.shape, requested])
            _ = try Tensor.checkedCount(out)
            return [x.gathered(Tensor.broadcastOffsets(from: x.shape, to: out), shape: out)]
        }
    }
}
