import Glibc
import SparrowModel

/// Add, Sub, Mul, Div with multidirectional broadcasting, for float32 and int64; Pow and PRelu.
/// Integer arithmetic wraps on overflow (as ONNX runtimes do in C++); integer division truncates
/// toward zero and division by zero is an error.
extension DenseRuntime {
    enum ArithmeticOp: Sendable { case add, sub, mul, div }

    static func arithmetic(_ op: ArithmeticOp) -> KernelFactory {
        return { context in
            try context.requireInputs(2...2)
            try context.requireOutputs(1...1)
            return { args in
                var a = try args.take(0, "A")
                let b = try args.take(1, "B")
                guard a.dataType == b.dataType else {
                    throw RuntimeError("inputs have different types \(a.dataType.rawValue) and \(b.dataType.rawValue)")
                }
                let plan = try BroadcastPlan(a.shape, b.shape)
                switch (a.storage, b.storage) {
                case (.float32, .float32(let y)):
                    let x = a.takeFloats()
                    return [Tensor(shape: plan.outShape, floats: floatArithmetic(op, plan, x, y))]
                case (.int64(let x), .int64(let y)):
                    if op == .div, y.contains(0) { throw RuntimeError("integer division by zero") }
                    return [Tensor(shape: plan.outShape, int64s: intArithmetic(op, plan, x, y))]
                default:
                    throw RuntimeError("inputs have different types")
                }
            }
        }
    }

    static func floatArithmetic(_ op: ArithmeticOp, _ plan: BroadcastPlan, _ x: consuming [Float], _ y: [Float]) -> [Float] {
        // Write into x's storage when it already has the result's layout (each a[i] is read before o[i]
        // is written); it is copied only if someone else still holds it.
        if x.count == plan.outCount && isContiguousA(plan) {
            var out = x
            out.withUnsafeMutableBufferPointer { o in
                y.withUnsafeBufferPointer { b in
                    guard let oa = o.baseAddress, let ba = b.baseAddress else { return }
                    floatLoop(op, plan, UnsafePointer(oa), ba, oa)
                }
            }
            return out
        }
        var out = [Float](repeating: 0, count: plan.outCount)
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { b in
                    guard let oa = o.baseAddress, let aa = a.baseAddress, let ba = b.baseAddress else { return }
                    floatLoop(op, plan, aa, ba, oa)
                }
            }
        }
        return out
    }

    @inline(__always)
    static func floatLoop(_ op: ArithmeticOp, _ plan: BroadcastPlan, _ aa: UnsafePointer<Float>,
                          _ ba: UnsafePointer<Float>, _ oa: UnsafeMutablePointer<Float>) {
        switch op {
        case .add: plan.apply(aa, ba, oa) { $0 + $1 }
        case .sub: plan.apply(aa, ba, oa) { $0 - $1 }
        case .mul: plan.apply(aa, ba, oa) { $0 * $1 }
        case .div: plan.apply(aa, ba, oa) { $0 / $1 }
        }
    }

    static func intArithmetic(_ op: ArithmeticOp, _ plan: BroadcastPlan, _ x: [Int64], _ y: [Int64]) -> [Int64] {
        switch op {
        case .add: plan.map(x, y) { $0 &+ $1 }
        case .sub: plan.map(x, y) { $0 &- $1 }
        case .mul: plan.map(x, y) { $0 &* $1 }
        case .div: plan.map(x, y) { $1 == 0 ? 0 : $0.dividedReportingOverflow(by: $1).partialValue }
        }
    }

    /// Pow: a float base; the exponent may be float or integer (as ONNX allows).
    static func pow(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...2)
        try context.requireOutputs(1...1)
        return { args in
            let x = try args.required(0, "X"), y = try args.required(1, "Y")
            guard case .float32(let base) = x.storage else { throw RuntimeError("Pow supports a float32 base, got INT64") }
            let plan = try BroadcastPlan(x.shape, y.shape)
            return [Tensor(shape: plan.outShape, floats: plan.map(base, y.floats) { powf($0, $1) })]
        }
    }

    /// PRelu: slope broadcast to X's shape (unidirectionally).
    static func pRelu(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...2)
        try context.requireOutputs(1...1)
        return { args in
            let x = try args.required(0, "X").requireFloats("X"), xShape = try args.required(0, "X").shape
            let slope = try args.required(1, "slope").requireFloats("slope")
            let plan = try BroadcastPlan(xShape, try args.required(1, "slope").shape)
            guard plan.outShape == xShape else { throw RuntimeError("slope cannot be broadcast to X's shape \(xShape)") }
            return [Tensor(shape: xShape, floats: plan.map(x, slope) { $0 < 0 ? $0 * $1 : $0 })]
        }
    }

    /// True when operand A is laid out exactly like the output (so writing o[i] after reading a[i] is safe).
    static func isContiguousA(_ plan: BroadcastPlan) -> Bool {
        var expected = 1
        for k in stride(from: plan.dims.count - 1, through: 0, by: -1) {
            guard plan.aStrides[k] == expected else { return false }
            expected *= plan.dims[k]
        }
        return true
    }
}
