import SparrowModel

/// Min, Max, Sum and Mean over one or more inputs broadcast together. Min and Max return NaN when
/// any input is NaN, as onnxruntime does.
extension DenseRuntime {
    enum Fold: Sendable { case min, max, sum, mean }

    static func variadic(_ fold: Fold) -> KernelFactory {
        return { context in
            try context.requireInputs(1...Int.max)
            try context.requireOutputs(1...1)
            let count = context.node.inputs.count
            return { args in
                var result = try args.required(0, "data_0")
                for i in 1..<Swift.max(count, 1) {
                    let next = try args.required(i, "data_\(i)")
                    let plan = try BroadcastPlan(result.shape, next.shape)
                    switch (result.storage, next.storage) {
                    case (.float32(let x), .float32(let y)):
                        result = Tensor(shape: plan.outShape, floats: plan.map(x, y, floatFold(fold)))
                    case (.int64(let x), .int64(let y)):
                        result = Tensor(shape: plan.outShape, int64s: plan.map(x, y, intFold(fold)))
                    default:
                        throw RuntimeError("inputs have different types \(result.dataType.rawValue) and \(next.dataType.rawValue)")
                    }
                }
                guard fold == .mean, count > 1 else { return [result] }
                switch result.storage {
                case .float32(let v): return [Tensor(shape: result.shape, floats: v.map { $0 / Float(count) })]
                case .int64: throw RuntimeError("Mean supports float32 inputs, got INT64")
                }
            }
        }
    }

    private static func floatFold(_ fold: Fold) -> (Float, Float) -> Float {
        switch fold {
        case .min: { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case .max: { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .sum, .mean: { $0 + $1 }
        }
    }

    private static func intFold(_ fold: Fold) -> (Int64, Int64) -> Int64 {
        switch fold {
        case .min: { Swift.min($0, $1) }
        case .max: { Swift.max($0, $1) }
        case .sum, .mean: { $0 &+ $1 }
        }
    }
}
