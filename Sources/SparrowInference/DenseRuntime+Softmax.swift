import FoundationEssentials
import Glibc
import SparrowModel

/// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at `axis` (default 1) and the
/// normalisation runs over the whole flattened tail; from opset 13 it runs along the single `axis`
/// (default -1).
extension DenseRuntime {
    static func softmax(_ context: CompileContext) throws -> Kernel { try softmaxKernel(context, log: false) }
    static func logSoftmax(_ context: CompileContext) throws -> Kernel { try softmaxKernel(context, log: true) }

    static func softmaxKernel(_ context: CompileContext, log: Bool) throws -> Kernel {
        try context.requireInputs(1...1)
        let legacy = context.opset < 13
        let axisAttribute = try context.int("axis", default: legacy ? 1 : -1)
        return { args in
            var x = try args.take(0, "input")
            guard x.dataType == .float32 else { throw RuntimeError("input must be float32, got INT64") }
            let shape = x.shape
            // A scalar is treated as a single-element vector.
            let axis = shape.isEmpty ? 0 : try normalizeAxis(axisAttribute, rank: shape.count)
            let outer = shape.isEmpty ? 1 : shape[..<axis].reduce(1, *)
            let length = shape.isEmpty ? 1 : (legacy ? shape[axis...].reduce(1, *) : shape[axis])
            let inner = legacy || shape.isEmpty ? 1 : shape[(axis + 1)...].reduce(1, *)
            var v = x.takeFloats()
            v.withUnsafeMutableBufferPointer { buffer in
                guard let p = buffer.baseAddress else { return }
                for o in 0..<outer {
                    for i in 0..<inner {
                        softmaxLine(p + o * length * inner + i, count: length, stride: inner, log: log)
                    }
                }
            }
            return [Tensor(shape: shape, floats: v)]
        }
    }

    /// Normalises `count` values `stride` apart, subtracting the max first for stability.
    static func softmaxLine(_ p: UnsafeMutablePointer<Float>, count: Int, stride: Int, log: Bool) {
        guard count > 0 else { return }
        var m = -Float.infinity
        for j in 0..<count { m = Swift.max(m, p[j * stride]) }
        if !m.isFinite { m = 0 }
        var sum: Float = 0
        if log {
            for j in 0..<count { sum += expf(p[j * stride] - m) }
            let shift = m + logf(sum)
            for j in 0..<count { p[j * stride] -= shift }
        } else {
            for j in 0..<count {
                let e = expf(p[j * stride] - m)
                p[j * stride] = e
                sum += e
            }
            let scale = 1 / sum
            for j in 0..<count { p[j * stride] *= scale }
        }
    }
}
