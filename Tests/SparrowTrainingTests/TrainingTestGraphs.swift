import SparrowModel
import SparrowTraining

/// Small graphs built by hand for the tests, with seeded random weights.
struct GraphBuilder {
    var nodes: [Node] = []
    var initializers: [String: Tensor] = [:]
    var generator = SeededGenerator(seed: 7)

    mutating func weight(_ name: String, _ shape: [Int], scale: Float = 0.5) -> String {
        let n = Tensor.count(of: shape)
        initializers[name] = Tensor(shape: shape, floats: (0..<n).map { _ in (generator.nextUnitFloat() * 2 - 1) * scale })
        return name
    }

    mutating func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
        initializers[name] = Tensor(shape: shape, floats: values)
        return name
    }

    mutating func int64(_ name: String, _ values: [Int64]) -> String {
        initializers[name] = Tensor(shape: [values.count], int64s: values)
        return name
    }

    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [String: Attribute] = [:]) -> String {
        nodes.append(Node(name: output, opType: op, inputs: inputs, outputs: [output], attributes: attributes))
        return output
    }

    func graph(input: [Int], output: String, classes: Int) -> Graph {
        Graph(nodes: nodes, initializers: initializers,
              inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N")] + input.map { .fixed($0) })],
              outputs: [ValueInfo(name: output, dataType: .float32, shape: [.dynamic("N"), .fixed(classes)])],
              opsetVersion: 13)
    }
}

enum TestData {
    static func random(count: Int, sampleShape: [Int], classes: Int, seed: UInt64) throws -> LabeledData {
        var g = SeededGenerator(seed: seed)
        let size = sampleShape.reduce(1, *)
        let x = (0..<(count * size)).map { _ in g.nextUnitFloat() * 2 - 1 }
        let y = (0..<count).map { _ in Int(g.next() % UInt64(classes)) }
        return try LabeledData(features: x, sampleShape: sampleShape, labels: y)
    }

    /// A learnable toy problem: the class is the index of the largest of the first `classes` features.
    static func argmaxProblem(count: Int, features: Int, classes: Int, seed: UInt64) throws -> LabeledData {
        var g = SeededGenerator(seed: seed)
        var x: [Float] = [], y: [Int] = []
        for _ in 0..<count {
            let row = (0..<features).map { _ in g.nextUnitFloat() * 2 - 1 }
            x += row
            y.append(row[0..<classes].enumerated().max { $0.element < $1.element }!.offset)
        }
        return try LabeledData(features: x, sampleShape: [features], labels: y)
    }

    /// A two-hidden-layer MLP: Gemm (transB) → Relu → MatMul + Add → Relu → Gemm → Softmax.
    static func mlp(inputs: Int, hidden: Int, classes: Int, dropout: Float = 0) -> Graph {
        var b = GraphBuilder()
        let w1 = b.weight("fc1.w", [hidden, inputs], scale: 0.3), b1 = b.weight("fc1.b", [hidden], scale: 0.1)
        b.node("Gemm", ["x", w1, b1], "h1", ["transB": .int(1)])
        b.node("Relu", ["h1"], "a1")
        let w2 = b.weight("fc2.w", [hidden, hidden], scale: 0.3), b2 = b.weight("fc2.b", [hidden], scale: 0.1)
        b.node("MatMul", ["a1", w2], "m2")
        b.node("Add", ["m2", b2], "h2")
        b.node("Relu", ["h2"], "a2")
        var last = "a2"
        if dropout > 0 {
            last = b.node("Dropout", ["a2", b.constant("ratio", [dropout], shape: [])], "d2")
        }
        let w3 = b.weight("fc3.w", [hidden, classes], scale: 0.3), b3 = b.weight("fc3.b", [1, classes], scale: 0.1)
        b.node("Gemm", [last, w3, b3], "logits")
        b.node("Softmax", ["logits"], "probs", ["axis": .int(1)])
        return b.graph(input: [inputs], output: "probs", classes: classes)
    }
}
