import SparrowModel

/// ONNX BatchNormalization over [N, C, ...]. Training normalises with the mini-batch's statistics
/// and updates the running mean and variance in place (running = momentum·running + (1 − momentum)·batch,
/// population variance, as ONNX's training mode defines it); inference uses the running statistics.
final class BatchNormLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0, 1, 2]
    let epsilon: Float
    let momentum: Float
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private var shape: [Int] = []
    private var trainedPass = false

    init(node: Node, inputs: [Int], outputs: [Int]) throws {
        name = node.displayName
        inputSlots = inputs
        outputSlots = Array(outputs.prefix(1))
        epsilon = node.float("epsilon", default: 1e-5)
        momentum = node.float("momentum", default: 0.9)
        guard inputs.count == 5 else { throw TrainingError.invalidGraph("BatchNormalization \(name) needs 5 inputs") }
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        let x = try input(values, 0), scale = try input(values, 1), bias = try input(values, 2)
        var mean = try input(values, 3), variance = try input(values, 4)
        guard x.shape.count >= 2 else { throw TrainingError.shapeMismatch(node: name, reason: "input \(x.shape)") }
        let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        guard [scale, bias, mean, variance].allSatisfy({ $0.data.count == c }) else {
            throw TrainingError.shapeMismatch(node: name, reason: "parameters must hold \(c) values")
        }
        shape = x.shape
        trainedPass = context.training
        var y = [Float](repeating: 0, count: x.data.count)
        normalized = context.training ? [Float](repeating: 0, count: x.data.count) : []
        inverseStd = [Float](repeating: 0, count: c)
        let count = Float(n * inner)
        for ch in 0..<c {
            var mu = mean.data[ch], v = variance.data[ch]
            if context.training {
                var s: Double = 0, ss: Double = 0
                for s0 in 0..<n { let base = (s0 * c + ch) * inner; for i in 0..<inner { s += Double(x.data[base + i]) } }
                let m = s / Double(count)
                for s0 in 0..<n {
                    let base = (s0 * c + ch) * inner
                    for i in 0..<inner { let d = Double(x.data[base + i]) - m; ss += d * d }
                }
                mu = Float(m)
                v = Float(ss / Double(count))
                mean.data[ch] = momentum * mean.data[ch] + (1 - momentum) * mu
                variance.data[ch] = momentum * variance.data[ch] + (1 - momentum) * v
            }
            let inv = 1 / (v + epsilon).squareRoot()
            inverseStd[ch] = inv
            for s0 in 0..<n {
                let base = (s0 * c + ch) * inner
                for i in 0..<inner {
                    let xh = (x.data[base + i] - mu) * inv
                    if context.training { normalized[base + i] = xh }
                    y[base + i] = scale.data[ch] * xh + bias.data[ch]
                }
            }
        }
        if context.training {
            values[inputSlots[3]] = mean
            values[inputSlots[4]] = variance
        }
        values[outputSlots[0]] = Activation(shape: x.shape, data: y)
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard trainedPass, let scale = try? input(values, 1) else { return }
        let dy = outputGradient(values, gradients)
        let n = shape[0], c = shape[1], inner = shape[2...].reduce(1, *)
        let count = Float(n * inner)
        var dx = [Float](repeating: 0, count: dy.count)
        var dscale = [Float](repeating: 0, count: c), dbias = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            var sumDy: Float = 0, sumDyXh: Float = 0
            for s0 in 0..<n {
                let base = (s0 * c + ch) * inner
                for i in 0..<inner { sumDy += dy[base + i]; sumDyXh += dy[base + i] * normalized[base + i] }
            }
            dbias[ch] = sumDy
            dscale[ch] = sumDyXh
            let k = scale.data[ch] * inverseStd[ch] / count
            for s0 in 0..<n {
                let base = (s0 * c + ch) * inner
                for i in 0..<inner {
                    dx[base + i] = k * (count * dy[base + i] - sumDy - normalized[base + i] * sumDyXh)
                }
            }
        }
        if wants(0, needsGradient) { accumulate(&gradients, 0, dx) }
        if wants(1, needsGradient) { accumulate(&gradients, 1, dscale) }
        if wants(2, needsGradient) { accumulate(&gradients, 2, dbias) }
    }
}
