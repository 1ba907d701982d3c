/// The update rule applied to every trainable parameter after each mini-batch.
public enum Optimizer: Sendable, Equatable {
    /// Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay:
    /// v ← μ·v + (g + λ·w); w ← w − lr·v.
    case sgd(momentum: Float, weightDecay: Float)
    /// Adam (Kingma & Ba 2015) with bias correction and L2 weight decay added to the gradient.
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)

    public static let defaultSGD = Optimizer.sgd(momentum: 0.9, weightDecay: 5e-4)
    public static let defaultAdam = Optimizer.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)

    public var name: String {
        switch self {
        case .sgd: return "sgd"
        case .adam: return "adam"
        }
    }
}

/// Per-parameter optimizer state (momentum / Adam moments) and the update itself.
struct OptimizerState {
    let rule: Optimizer
    var first: [Float]
    var second: [Float]
    var step = 0

    init(rule: Optimizer, count: Int) {
        self.rule = rule
        first = [Float](repeating: 0, count: count)
        if case .adam = rule { second = [Float](repeating: 0, count: count) } else { second = [] }
    }

    /// Zeroes the moments where `mask` is 0 (newly pruned weights must not drift back).
    mutating func clear(where mask: [Float]) {
        for i in 0..<min(mask.count, first.count) where mask[i] == 0 { first[i] = 0 }
        for i in 0..<min(mask.count, second.count) where mask[i] == 0 { second[i] = 0 }
    }

    /// Updates `weights` in place from `gradient`; where `mask` is 0 the gradient, the moments and
    /// the weight are all forced to exactly zero, so pruned connections never come back.
    mutating func update(_ weights: inout [Float], gradient: [Float], learningRate: Float, mask: [Float]?,
                         applyDecay: Bool = true) {
        step += 1
        let n = weights.count
        weights.withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                first.withUnsafeMutableBufferPointer { m in
                    switch rule {
                    case .sgd(let momentum, let decay):
                        let lambda = applyDecay ? decay : 0
                        for i in 0..<n {
                            m[i] = momentum * m[i] + g[i] + lambda * w[i]
                            w[i] -= learningRate * m[i]
                        }
                    case .adam(let b1, let b2, let eps, let decay):
                        let lambda = applyDecay ? decay : 0
                        let c1 = 1 - pow(b1, Float(step)), c2 = 1 - pow(b2, Float(step))
                        second.withUnsafeMutableBufferPointer { v in
                            for i in 0..<n {
                                let gi = g[i] + lambda * w[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                w[i] -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                            }
                        }
                    }
                    if let mask {
                        mask.withUnsafeBufferPointer { k in
                            for i in 0..<n where k[i] == 0 {
                                w[i] = 0
                                m[i] = 0
                            }
                        }
                        if !second.isEmpty {
                            second.withUnsafeMutableBufferPointer { v in
                                mask.withUnsafeBufferPointer { k in for i in 0..<n where k[i] == 0 { v[i] = 0 } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
