import SparrowModel

/// ONNX Relu.
final class ReluLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0]

    init(node: Node, inputs: [Int], outputs: [Int]) {
        name = node.displayName
        inputSlots = inputs
        outputSlots = outputs
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        var x = try input(values, 0)
        x.data.withUnsafeMutableBufferPointer { p in for i in 0..<p.count where p[i] < 0 { p[i] = 0 } }
        values[outputSlots[0]] = x
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard wants(0, needsGradient), let y = values[outputSlots[0]] else { return }
        var dy = outputGradient(values, gradients)
        for i in 0..<dy.count where y.data[i] <= 0 { dy[i] = 0 }
        accumulate(&gradients, 0, dy)
    }
}

/// ONNX Softmax inside the graph (a final Softmax is folded into the loss instead). Opset < 13
/// coerces the input to 2-D at `axis`; opset ≥ 13 normalises along `axis`, trained here when it is
/// the last one.
final class SoftmaxLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0]
    let axis: Int
    let coerce2D: Bool
    private var rowLength = 1

    init(node: Node, inputs: [Int], outputs: [Int], opset: Int) {
        name = node.displayName
        inputSlots = inputs
        outputSlots = outputs
        coerce2D = opset < 13
        axis = node.int("axis", default: opset < 13 ? 1 : -1)
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        var x = try input(values, 0)
        let rank = x.shape.count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw TrainingError.shapeMismatch(node: name, reason: "axis \(axis) for rank \(rank)") }
        if coerce2D {
            rowLength = x.shape[a...].reduce(1, *)
        } else {
            guard a == rank - 1 else {
                throw TrainingError.unsupportedOperator(node: name, reason: "Softmax is trained along the last axis only")
            }
            rowLength = x.shape[a]
        }
        let rows = rowLength == 0 ? 0 : x.data.count / rowLength
        for r in 0..<rows {
            let base = r * rowLength
            var mx = -Float.infinity
            for j in 0..<rowLength { mx = max(mx, x.data[base + j]) }
            var sum: Float = 0
            for j in 0..<rowLength { let e = expf(x.data[base + j] - mx); x.data[base + j] = e; sum += e }
            for j in 0..<rowLength { x.data[base + j] /= sum }
        }
        values[outputSlots[0]] = x
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard wants(0, needsGradient), let y = values[outputSlots[0]] else { return }
        let dy = outputGradient(values, gradients)
        var dx = [Float](repeating: 0, count: dy.count)
        let rows = rowLength == 0 ? 0 : dy.count / rowLength
        for r in 0..<rows {
            let base = r * rowLength
            var dot: Float = 0
            for j in 0..<rowLength { dot += dy[base + j] * y.data[base + j] }
            for j in 0..<rowLength { dx[base + j] = y.data[base + j] * (dy[base + j] - dot) }
        }
        accumulate(&gradients, 0, dx)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
