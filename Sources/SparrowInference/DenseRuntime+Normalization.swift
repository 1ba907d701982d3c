import FoundationEssentials
import Glibc
import SparrowModel

/// BatchNormalization (inference form) and LRN over NC… float tensors.
extension DenseRuntime {
    /// y = scale · (x − mean) / √(var + ε) + B per channel (dim 1), folded to y = a·x + b.
    static func batchNormalization(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(5...5)
        try context.requireOutputs(1...5)
        guard context.node.outputs.dropFirst().allSatisfy(\.isEmpty) else {
            throw RuntimeError("training-mode outputs (running mean/var) are not supported")
        }
        guard try context.int("training_mode", default: 0) == 0 else {
            throw RuntimeError("training_mode = 1 is not supported")
        }
        let epsilon = try context.float("epsilon", default: 1e-5)
        return { args in
            var x = try args.take(0, "X")
            guard x.dataType == .float32 else { throw RuntimeError("X must be float32, got INT64") }
            guard x.rank >= 2 else { throw RuntimeError("X must have a channel dim, has shape \(x.shape)") }
            let channels = x.shape[1]
            var parameters: [[Float]] = []
            for (index, role) in ["scale", "B", "input_mean", "input_var"].enumerated() {
                let t = try args.required(index + 1, role)
                let v = try t.requireFloats(role)
                guard v.count == channels, t.rank == 1 else {
                    throw RuntimeError("\(role) must have shape [\(channels)], has \(t.shape)")
                }
                parameters.append(v)
            }
            let shape = x.shape
            let plane = shape[2...].reduce(1, *), images = shape[0]
            var v = x.takeFloats()
            v.withUnsafeMutableBufferPointer { p in
                for c in 0..<channels {
                    let a = parameters[0][c] / (parameters[3][c] + epsilon).squareRoot()
                    let b = parameters[1][c] - a * parameters[2][c]
                    for n in 0..<images {
                        let base = (n * channels + c) * plane
                        for i in base..<(base + plane) { p[i] = a * p[i] + b }
                    }
                }
            }
            return [Tensor(shape: shape, floats: v)]
        }
    }

    /// LRN: y = x / (bias + alpha/size · Σ x²)^beta, the sum over channels
    /// [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉].
    static func lrn(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(1...1)
        try context.requireOutputs(1...1)
        guard let size = try context.optionalInt("size"), size >= 1 else {
            throw RuntimeError("attribute 'size' is required and must be positive")
        }
        let alpha = try context.float("alpha", default: 1e-4), beta = try context.float("beta", default: 0.75)
        let bias = try context.float("bias", default: 1)
        let before = (size - 1) / 2, after = size - 1 - before
        return { args in
            let x = try args.required(0, "X")
            let xv = try x.requireFloats("X")
            guard x.rank >= 2 else { throw RuntimeError("X must have a channel dim, has shape \(x.shape)") }
            let channels = x.shape[1], plane = x.shape[2...].reduce(1, *)
            var y = [Float](repeating: 0, count: xv.count)
            let scale = alpha / Float(size)
            xv.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    for n in 0..<x.shape[0] {
                        for c in 0..<channels {
                            let lo = Swift.max(0, c - before), hi = Swift.min(channels - 1, c + after)
                            for i in 0..<plane {
                                var sum: Float = 0
                                for k in lo...hi {
                                    let v = xp[(n * channels + k) * plane + i]
                                    sum += v * v
                                }
                                let index = (n * channels + c) * plane + i
                                yp[index] = xp[index] / powf(bias + scale * sum, beta)
                            }
                        }
                    }
                }
            }
            return [Tensor(shape: x.shape, floats: y)]
        }
    }
}
