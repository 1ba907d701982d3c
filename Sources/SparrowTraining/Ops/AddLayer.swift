import SparrowModel

/// Numpy-style broadcast shapes; `Tensor.broadcastOffsets` maps each output element to the input
/// element it reads, and the backward pass sums gradients along the same map.
enum Broadcast {
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else { return nil }
            out[i] = max(da, db)
            if da == 0 || db == 0 { out[i] = 0 }
        }
        return out
    }
}

/// ONNX Add with broadcasting (a bias after MatMul, or a residual connection).
final class AddLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0, 1]
    private var outShape: [Int] = []
    private var mapA: [Int]? = nil, mapB: [Int]? = nil

    init(node: Node, inputs: [Int], outputs: [Int]) throws {
        name = node.displayName
        inputSlots = inputs
        outputSlots = outputs
        guard inputs.count == 2 else { throw TrainingError.invalidGraph("Add \(name) needs two inputs") }
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        let a = try input(values, 0), b = try input(values, 1)
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            throw TrainingError.shapeMismatch(node: name, reason: "\(a.shape) and \(b.shape) do not broadcast")
        }
        outShape = shape
        mapA = a.shape == shape ? nil : Tensor.broadcastOffsets(from: a.shape, to: shape)
        mapB = b.shape == shape ? nil : Tensor.broadcastOffsets(from: b.shape, to: shape)
        let total = Tensor.count(of: shape)
        var y = [Float](repeating: 0, count: total)
        for i in 0..<total { y[i] = a.data[mapA?[i] ?? i] + b.data[mapB?[i] ?? i] }
        values[outputSlots[0]] = Activation(shape: shape, data: y)
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        let dy = outputGradient(values, gradients)
        for (position, map) in [(0, mapA), (1, mapB)] where wants(position, needsGradient) {
            guard let map else { accumulate(&gradients, position, dy); continue }
            var g = [Float](repeating: 0, count: (try? input(values, position))?.data.count ?? 0)
            for i in 0..<dy.count { g[map[i]] += dy[i] }
            accumulate(&gradients, position, g)
        }
    }
}
