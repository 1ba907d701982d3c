import SparrowModel

/// ONNX Flatten, Reshape and Identity: the data is unchanged, only the shape; gradients pass through.
final class ReshapeLayer: Layer {
    enum Kind {
        case flatten(axis: Int)
        /// Target shape as ONNX Reshape reads it: 0 copies the input dimension, -1 is inferred.
        case reshape([Int], allowZero: Bool)
        case identity
    }

    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0]
    let kind: Kind

    init(name: String, kind: Kind, inputs: [Int], outputs: [Int]) {
        self.name = name
        self.kind = kind
        inputSlots = inputs
        outputSlots = outputs
    }

    func outputShape(_ shape: [Int]) throws -> [Int] {
        switch kind {
        case .identity:
            return shape
        case .flatten(let axis):
            let a = axis < 0 ? axis + shape.count : axis
            guard a >= 0, a <= shape.count else {
                throw TrainingError.shapeMismatch(node: name, reason: "Flatten axis \(axis) for rank \(shape.count)")
            }
            return [shape[..<a].reduce(1, *), shape[a...].reduce(1, *)]
        case .reshape(let target, let allowZero):
            var out = target
            var inferred: Int? = nil
            for (i, d) in target.enumerated() {
                if d == 0 && !allowZero {
                    guard i < shape.count else {
                        throw TrainingError.shapeMismatch(node: name, reason: "Reshape copies dimension \(i) of \(shape)")
                    }
                    out[i] = shape[i]
                } else if d == -1 {
                    guard inferred == nil else { throw TrainingError.shapeMismatch(node: name, reason: "two -1 dimensions") }
                    inferred = i
                } else if d < -1 {
                    throw TrainingError.shapeMismatch(node: name, reason: "negative dimension \(d)")
                }
            }
            let total = shape.reduce(1, *)
            if let i = inferred {
                let known = out.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
                guard known > 0, total % known == 0 else {
                    throw TrainingError.shapeMismatch(node: name, reason: "cannot reshape \(shape) to \(target)")
                }
                out[i] = total / known
            }
            guard out.reduce(1, *) == total else {
                throw TrainingError.shapeMismatch(node: name, reason: "cannot reshape \(shape) to \(target)")
            }
            return out
        }
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        var x = try input(values, 0)
        x.shape = try outputShape(x.shape)
        values[outputSlots[0]] = x
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard wants(0, needsGradient) else { return }
        accumulate(&gradients, 0, outputGradient(values, gradients))
    }
}

/// ONNX Dropout: in training, zeroes each element with probability `ratio` and scales the rest by
/// 1/(1 − ratio) (inverted dropout, so inference is the identity).
final class DropoutLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0]
    let ratio: Float
    private var mask: [Float] = []

    init(name: String, ratio: Float, inputs: [Int], outputs: [Int]) throws {
        guard ratio >= 0, ratio < 1 else {
            throw TrainingError.unsupportedOperator(node: name, reason: "dropout ratio \(ratio) is outside [0, 1)")
        }
        self.name = name
        self.ratio = ratio
        inputSlots = inputs
        outputSlots = outputs
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        var x = try input(values, 0)
        if context.training && ratio > 0 {
            let scale = 1 / (1 - ratio)
            mask = [Float](repeating: 0, count: x.data.count)
            for i in 0..<x.data.count {
                mask[i] = context.generator.nextUnitFloat() < ratio ? 0 : scale
                x.data[i] *= mask[i]
            }
        } else {
            mask = []
        }
        values[outputSlots[0]] = x
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard wants(0, needsGradient) else { return }
        var dy = outputGradient(values, gradients)
        if !mask.isEmpty { for i in 0..<dy.count { dy[i] *= mask[i] } }
        accumulate(&gradients, 0, dy)
    }
}
