import SparrowModel

/// A float tensor flowing through the training graph (row-major, like `Tensor`).
struct Activation {
    var shape: [Int]
    var data: [Float]

    init(shape: [Int], data: [Float]) {
        self.shape = shape
        self.data = data
    }

    init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: Tensor.count(of: shape))
    }
}

/// Per-pass state shared by the layers: training or inference mode, and the dropout generator.
struct PassContext {
    var training: Bool
    var generator: SeededGenerator
}

/// One graph node compiled for training. Values live in slots of the network's value table;
/// `-1` marks an omitted optional input.
///
/// `forward` writes the node's outputs (keeping whatever the backward pass needs in the layer);
/// `backward` reads the output gradients and *adds* the gradients of every input slot whose
/// `needsGradient` flag is set, so values consumed by several nodes sum their contributions.
protocol Layer: AnyObject {
    var name: String { get }
    var inputSlots: [Int] { get }
    var outputSlots: [Int] { get }
    /// Input positions that carry a gradient (weights there become trainable parameters).
    var differentiableInputs: [Int] { get }
    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws
    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool])
}

extension Layer {
    func input(_ values: [Activation?], _ position: Int) throws -> Activation {
        guard position < inputSlots.count, inputSlots[position] >= 0, let v = values[inputSlots[position]] else {
            throw TrainingError.invalidGraph("node \(name) is missing input \(position)")
        }
        return v
    }

    func optionalInput(_ values: [Activation?], _ position: Int) -> Activation? {
        guard position < inputSlots.count, inputSlots[position] >= 0 else { return nil }
        return values[inputSlots[position]]
    }

    /// The gradient reaching output `position` (zeros if nothing downstream used it).
    func outputGradient(_ values: [Activation?], _ gradients: [[Float]?], _ position: Int = 0) -> [Float] {
        let slot = outputSlots[position]
        if let g = gradients[slot] { return g }
        return [Float](repeating: 0, count: values[slot]?.data.count ?? 0)
    }

    func wants(_ position: Int, _ needsGradient: [Bool]) -> Bool {
        position < inputSlots.count && inputSlots[position] >= 0 && needsGradient[inputSlots[position]]
    }

    func accumulate(_ gradients: inout [[Float]?], _ position: Int, _ g: [Float]) {
        let slot = inputSlots[position]
        if var existing = gradients[slot] {
            gradients[slot] = nil
            existing.withUnsafeMutableBufferPointer { e in
                g.withUnsafeBufferPointer { s in for i in 0..<min(e.count, s.count) { e[i] += s[i] } }
            }
            gradients[slot] = existing
        } else {
            gradients[slot] = g
        }
    }
}

/// Attribute readers with ONNX defaults.
extension Node {
    func int(_ key: String, default value: Int) -> Int {
        if case .int(let v) = attributes[key] { return Int(v) }
        return value
    }

    func float(_ key: String, default value: Float) -> Float {
        if case .float(let v) = attributes[key] { return v }
        return value
    }

    func ints(_ key: String) -> [Int]? {
        if case .ints(let v) = attributes[key] { return v.map { Int($0) } }
        return nil
    }

    func string(_ key: String, default value: String) -> String {
        if case .string(let v) = attributes[key] { return v }
        return value
    }
}
