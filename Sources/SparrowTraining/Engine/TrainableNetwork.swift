import SparrowModel

/// A `Graph` compiled for training: forward and backward passes over mini-batches, with the float
/// initializers that feed differentiable inputs (weights, biases, batch-norm scale and shift) as
/// trainable parameters. The loss is softmax cross-entropy on the graph's first output; when that
/// output comes from a Softmax (or LogSoftmax), training uses the Softmax's input as the logits.
///
/// Not thread-safe: one network per training job.
public final class TrainableNetwork {
    /// One trainable initializer.
    public struct Parameter: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public var count: Int { Tensor.count(of: shape) }
    }

    public let graph: Graph
    public let parameters: [Parameter]
    /// Shape of one sample (the declared input shape without its batch dimension).
    public let sampleShape: [Int]
    /// Number of classes (the logits' last dimension), known after the first forward pass or
    /// from the declared output shape.
    public private(set) var classCount: Int?

    let layers: [Layer]
    let inputSlot: Int
    let logitsSlot: Int
    let parameterSlots: [Int]
    let needsGradient: [Bool]
    /// Slots holding initializers (trainable or not); everything else is recomputed each pass.
    let constantSlots: Set<Int>
    let slotNames: [String]
    var values: [Activation?]
    var gradients: [[Float]?]

    public init(graph: Graph) throws {
        self.graph = graph
        var slots: [String: Int] = [:]
        var names: [String] = []
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = names.count
            names.append(name)
            return names.count - 1
        }
        guard let input = graph.inputs.first(where: { graph.initializers[$0.name] == nil }) else {
            throw TrainingError.invalidGraph("the graph has no data input")
        }
        guard input.dataType == .float32 else {
            throw TrainingError.invalidGraph("input \(input.name) is \(input.dataType.rawValue); training takes FP32 input")
        }
        guard input.shape.count >= 2 else {
            throw TrainingError.invalidGraph("input \(input.name) must have a batch dimension and a sample shape")
        }
        var sample: [Int] = []
        for d in input.shape.dropFirst() {
            guard case .fixed(let v) = d, v > 0 else {
                throw TrainingError.invalidGraph("input \(input.name) needs fixed sample dimensions, got \(input.shape)")
            }
            sample.append(v)
        }
        sampleShape = sample
        guard let output = graph.outputs.first else { throw TrainingError.invalidGraph("the graph has no output") }
        if case .fixed(let c)? = output.shape.last { classCount = c }

        // Train on the logits: skip a final Softmax / LogSoftmax.
        var logitsName = output.name
        if let last = graph.nodes.last(where: { $0.outputs.contains(output.name) }),
           last.opType == "Softmax" || last.opType == "LogSoftmax", let first = last.inputs.first {
            logitsName = first
        }
        // Only the nodes the logits depend on run.
        var needed: Set<String> = [logitsName]
        var keep = [Bool](repeating: false, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated().reversed() where node.outputs.contains(where: needed.contains) {
            keep[i] = true
            for name in node.inputs where !name.isEmpty { needed.insert(name) }
        }

        inputSlot = slot(input.name)
        var constants: Set<Int> = []
        var initialValues: [Int: Activation] = [:]
        var int64Constants: [String: [Int64]] = [:]
        for (name, tensor) in graph.initializers {
            switch tensor.storage {
            case .float32(let v):
                let s = slot(name)
                constants.insert(s)
                initialValues[s] = Activation(shape: tensor.shape, data: v)
            case .int64(let v):
                int64Constants[name] = v
            }
        }
        var layers: [Layer] = []
        var trainable: Set<Int> = []
        var produced: Set<Int> = [inputSlot]
        produced.formUnion(constants)
        for (i, node) in graph.nodes.enumerated() where keep[i] {
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw TrainingError.unsupportedOperator(node: node.displayName, reason: "domain \(node.domain)")
            }
            let ins = node.inputs.map { $0.isEmpty ? -1 : slot($0) }
            for (j, s) in ins.enumerated() where s >= 0 && !produced.contains(s) {
                if int64Constants[node.inputs[j]] != nil { continue }
                throw TrainingError.invalidGraph("node \(node.displayName) reads \(node.inputs[j]) before it is produced")
            }
            let outs = node.outputs.map { $0.isEmpty ? -1 : slot($0) }
            let layer = try TrainableNetwork.makeLayer(node, ins, outs, opset: graph.opsetVersion, int64Constants: int64Constants,
                                                      floatConstants: graph.initializers)
            for position in layer.differentiableInputs where position < ins.count && ins[position] >= 0
                && constants.contains(ins[position]) {
                trainable.insert(ins[position])
            }
            for s in layer.outputSlots where s >= 0 { produced.insert(s) }
            layers.append(layer)
        }
        guard let ls = slots[logitsName], produced.contains(ls) else {
            throw TrainingError.invalidGraph("output \(logitsName) is not produced by any node")
        }
        logitsSlot = ls
        self.layers = layers
        slotNames = names
        constantSlots = constants
        let ordered = trainable.sorted { names[$0] < names[$1] }
        parameterSlots = ordered
        parameters = ordered.map { Parameter(name: names[$0], shape: initialValues[$0]?.shape ?? []) }

        // A slot needs a gradient if it is trainable or computed from something that is.
        var needs = [Bool](repeating: false, count: names.count)
        for s in ordered { needs[s] = true }
        for layer in layers {
            let any = layer.differentiableInputs.contains { p in p < layer.inputSlots.count && layer.inputSlots[p] >= 0 && needs[layer.inputSlots[p]] }
            if any { for s in layer.outputSlots where s >= 0 { needs[s] = true } }
        }
        needsGradient = needs
        values = [Activation?](repeating: nil, count: names.count)
        for (s, v) in initialValues { values[s] = v }
        gradients = [[Float]?](repeating: nil, count: names.count)
    }

    /// The current value of a parameter (or any float initializer, e.g. batch-norm running mean).
    public func value(of name: String) -> [Float]? {
        guard let s = slotNames.firstIndex(of: name), constantSlots.contains(s) else { return nil }
        return values[s]?.data
    }

    /// Replaces a float initializer's values (same count).
    public func setValue(_ data: [Float], of name: String) throws {
        guard let s = slotNames.firstIndex(of: name), constantSlots.contains(s), let old = values[s] else {
            throw TrainingError.invalidOption("no float initializer named \(name)")
        }
        guard old.data.count == data.count else {
            throw TrainingError.invalidOption("\(name) holds \(old.data.count) values, not \(data.count)")
        }
        values[s] = Activation(shape: old.shape, data: data)
    }

    /// The graph with every float initializer replaced by its trained value.
    public func trainedGraph() -> Graph {
        var g = graph
        for s in constantSlots { if let v = values[s] { g.initializers[slotNames[s]] = Tensor(shape: v.shape, floats: v.data) } }
        return g
    }

    /// Trained initializers by name (for `ONNXModel.serialized(replacingInitializers:)`).
    public func trainedInitializers() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for s in constantSlots { if let v = values[s] { result[slotNames[s]] = Tensor(shape: v.shape, floats: v.data) } }
        return result
    }

    /// Runs the graph on a batch [N] + sampleShape and returns the logits [N, classes].
    func forward(_ batch: [Float], count n: Int, training: Bool, generator: inout SeededGenerator) throws -> Activation {
        let sampleCount = Tensor.count(of: sampleShape)
        guard batch.count == n * sampleCount else {
            throw TrainingError.invalidDataset("a batch of \(n) needs \(n * sampleCount) values, got \(batch.count)")
        }
        for s in 0..<values.count where !constantSlots.contains(s) { values[s] = nil }
        values[inputSlot] = Activation(shape: [n] + sampleShape, data: batch)
        var context = PassContext(training: training, generator: generator)
        for layer in layers { try layer.forward(&values, &context) }
        generator = context.generator
        guard let logits = values[logitsSlot], logits.shape.count == 2, logits.shape[0] == n else {
            throw TrainingError.invalidGraph("the logits must be [batch, classes], got \(values[logitsSlot]?.shape ?? [])")
        }
        classCount = logits.shape[1]
        return logits
    }

    /// Back-propagates d(loss)/d(logits) and returns the parameter gradients, in `parameters` order.
    func backward(logitsGradient: [Float]) -> [[Float]] {
        for s in 0..<gradients.count { gradients[s] = nil }
        gradients[logitsSlot] = logitsGradient
        for layer in layers.reversed() {
            guard layer.outputSlots.contains(where: { $0 >= 0 && gradients[$0] != nil }) else { continue }
            layer.backward(values, &gradients, needsGradient: needsGradient)
            // Free intermediate gradients as soon as they have been consumed.
            for s in layer.outputSlots where s >= 0 { gradients[s] = nil }
        }
        return parameterSlots.map { s in gradients[s] ?? [Float](repeating: 0, count: values[s]?.data.count ?? 0) }
    }

    /// Loss, correct predictions and parameter gradients of one mini-batch (training mode).
    public func gradients(batch: [Float], labels: [Int], generator: inout SeededGenerator,
                          training: Bool = true) throws -> (loss: Float, correct: Int, gradients: [[Float]]) {
        let logits = try forward(batch, count: labels.count, training: training, generator: &generator)
        let (loss, correct, dLogits) = try SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
        return (loss, correct, backward(logitsGradient: dLogits))
    }

    /// Logits for a batch in inference mode (dropout off, batch-norm running statistics).
    public func logits(batch: [Float], count: Int) throws -> (values: [Float], classes: Int) {
        var g = SeededGenerator(seed: 0)
        let l = try forward(batch, count: count, training: false, generator: &g)
        return (l.data, l.shape[1])
    }
}
