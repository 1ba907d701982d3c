import Glibc
import SparrowModel

/// Element-wise math beyond the CNN activations: Exp, Log, Sqrt, Reciprocal, Erf, Floor, Ceil,
/// Round, Softplus, Softsign, HardSigmoid, HardSwish, Elu, Selu, Gelu on floats; Neg, Abs, Sign on
/// floats and integers. IEEE semantics throughout: Log(0) = -inf, Sqrt(-1) = NaN, as onnxruntime.
extension DenseRuntime {
    static func floatMath(_ f: @escaping @Sendable (Float) -> Float) -> KernelFactory {
        return { context in
            try context.requireInputs(1...1)
            try context.requireOutputs(1...1)
            return unaryFloat { v in for i in v.indices { v[i] = f(v[i]) } }
        }
    }

    static let mathFactories: [String: KernelFactory] = [
        "Exp": floatMath { expf($0) },
        "Log": floatMath { logf($0) },
        "Sqrt": floatMath { sqrtf($0) },
        "Reciprocal": floatMath { 1 / $0 },
        "Erf": floatMath { erff($0) },
        "Floor": floatMath { $0.rounded(.down) },
        "Ceil": floatMath { $0.rounded(.up) },
        "Round": floatMath { $0.rounded(.toNearestOrEven) },
        "Softsign": floatMath { $0 / (1 + abs($0)) },
        // log(1 + e^x) without overflow for large x.
        "Softplus": floatMath { $0 > 0 ? $0 + log1pf(expf(-$0)) : log1pf(expf($0)) },
        "HardSwish": floatMath { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) },
        "HardSigmoid": hardSigmoid,
        "Elu": elu,
        "Selu": selu,
        "Gelu": gelu,
        "Neg": signedMath(float: { -$0 }, integer: { 0 &- $0 }),
        "Abs": signedMath(float: { abs($0) }, integer: { $0 == .min ? .min : abs($0) }),
        "Sign": signedMath(float: { $0.isNaN ? $0 : $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }, integer: { $0.signum() }),
    ]

    /// A unary op defined on floats and integers alike; integers wrap as in C++ (Neg of Int64.min).
    static func signedMath(float: @escaping @Sendable (Float) -> Float,
                           integer: @escaping @Sendable (Int64) -> Int64) -> KernelFactory {
        return { context in
            try context.requireInputs(1...1)
            try context.requireOutputs(1...1)
            let floats = unaryFloat { v in for i in v.indices { v[i] = float(v[i]) } }
            return { args in
                let x = try args.required(0, "X")
                guard case .int64(let v) = x.storage else { return try floats(&args) }
                return [Tensor(shape: x.shape, int64s: v.map(integer))]
            }
        }
    }

    static func hardSigmoid(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        let alpha = try context.float("alpha", default: 0.2), beta = try context.float("beta", default: 0.5)
        // NaN stays NaN (Swift's min/max would pick the bound), as in onnxruntime.
        return unaryFloat { v in for i in v.indices where !v[i].isNaN { v[i] = Swift.max(0, Swift.min(1, alpha * v[i] + beta)) } }
    }

    static func elu(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        let alpha = try context.float("alpha", default: 1)
        return unaryFloat { v in for i in v.indices where v[i] < 0 { v[i] = alpha * expm1f(v[i]) } }
    }

    static func selu(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        let alpha = try context.float("alpha", default: 1.67326319217681884765625)
        let gamma = try context.float("gamma", default: 1.05070102214813232421875)
        return unaryFloat { v in
            for i in v.indices { v[i] = v[i] > 0 ? gamma * v[i] : gamma * alpha * expm1f(v[i]) }
        }
    }

    /// Gelu (opset 20): exact with erf, or the tanh approximation.
    static func gelu(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        switch try context.string("approximate", default: "none") {
        case "none":
            return unaryFloat { v in for i in v.indices { v[i] = 0.5 * v[i] * (1 + erff(v[i] * 0.70710678118654752)) } }
        case "tanh":
            return unaryFloat { v in
                for i in v.indices {
                    let x = v[i]
                    v[i] = 0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
                }
            }
        case let other:
            throw RuntimeError("approximate must be 'none' or 'tanh', not '\(other)'")
        }
    }
}
