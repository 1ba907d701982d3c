import FoundationEssentials
import Glibc
import SparrowModel

/// Element-wise float activations (Relu, LeakyRelu, Sigmoid, Tanh, Clip), computed in place on the
/// input's storage when the runtime has released it.
extension DenseRuntime {
    /// A unary float kernel: `body` rewrites the buffer in place.
    static func unaryFloat(_ body: @escaping @Sendable (UnsafeMutableBufferPointer<Float>) -> Void) -> Kernel {
        return { args in
            var x = try args.take(0, "X")
            guard x.dataType == .float32 else { throw RuntimeError("input must be float32, got INT64") }
            let shape = x.shape
            var v = x.takeFloats()
            v.withUnsafeMutableBufferPointer { body($0) }
            return [Tensor(shape: shape, floats: v)]
        }
    }

    static func relu(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        return unaryFloat { v in for i in v.indices { v[i] = v[i] < 0 ? 0 : v[i] } }
    }

    static func leakyRelu(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        let alpha = try context.float("alpha", default: 0.01)
        return unaryFloat { v in for i in v.indices where v[i] < 0 { v[i] *= alpha } }
    }

    static func sigmoid(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        return unaryFloat { v in for i in v.indices { v[i] = sigmoidValue(v[i]) } }
    }

    /// 1/(1+e^-x), written so neither branch overflows.
    @inline(__always)
    static func sigmoidValue(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }

    static func tanh(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        return unaryFloat { v in for i in v.indices { v[i] = tanhf(v[i]) } }
    }

    /// Clip: bounds are attributes before opset 11 and optional scalar inputs from opset 11.
    static func clip(_ context: CompileContext) throws -> Kernel {
        if context.opset < 11 {
            try context.requireInputs(1...1)
            let lo = try context.float("min", default: -Float.greatestFiniteMagnitude)
            let hi = try context.float("max", default: Float.greatestFiniteMagnitude)
            return unaryFloat { v in clamp(v, lo, hi) }
        }
        try context.requireInputs(1...3)
        return { args in
            func bound(_ index: Int, _ role: String, _ fallback: Float) throws -> Float {
                guard let t = args.optional(index) else { return fallback }
                let values = try t.requireFloats(role)
                guard values.count == 1 else { throw RuntimeError("\(role) must be a scalar, has shape \(t.shape)") }
                return values[0]
            }
            let lo = try bound(1, "min", -Float.infinity), hi = try bound(2, "max", Float.infinity)
            var x = try args.take(0, "input")
            guard x.dataType == .float32 else { throw RuntimeError("input must be float32, got INT64") }
            let shape = x.shape
            var v = x.takeFloats()
            v.withUnsafeMutableBufferPointer { clamp($0, lo, hi) }
            return [Tensor(shape: shape, floats: v)]
        }
    }

    /// ONNX Clip: min(max(x, lo), hi) — when lo > hi every value becomes hi.
    static func clamp(_ v: UnsafeMutableBufferPointer<Float>, _ lo: Float, _ hi: Float) {
        for i in v.indices { v[i] = Swift.min(Swift.max(v[i], lo), hi) }
    }
}
