import SparrowInference
import SparrowModel
import Testing

/// Builds a one-node graph whose inputs are fed with exactly the given tensors, runs it, and returns
/// the outputs in order. `constants` become initializers instead of graph inputs.
func runOp(_ op: String, domain: String = "", inputs: [Tensor?], constants: [Int: Tensor] = [:],
           attributes: [String: Attribute] = [:], outputs: Int = 1, opset: Int = 17) throws -> [Tensor] {
    var feeds: [String: Tensor] = [:]
    var infos: [ValueInfo] = []
    var initializers: [String: Tensor] = [:]
    var names: [String] = []
    for (i, t) in inputs.enumerated() {
        guard let t else { names.append(""); continue }
        let name = "in\(i)"
        names.append(name)
        if constants[i] != nil {
            initializers[name] = t
        } else {
            feeds[name] = t
            infos.append(ValueInfo(name: name, dataType: t.dataType, shape: t.shape.map { .fixed($0) }))
        }
    }
    for (i, t) in constants where i >= inputs.count || inputs[i] == nil {
        _ = t
        Issue.record("constant \(i) must also be listed in inputs")
    }
    let outputNames = (0..<outputs).map { "out\($0)" }
    let node = Node(name: "n", opType: op, domain: domain, inputs: names, outputs: outputNames, attributes: attributes)
    let graph = Graph(nodes: [node], initializers: initializers, inputs: infos,
                      outputs: outputNames.map { ValueInfo(name: $0, dataType: .float32, shape: []) },
                      opsetVersion: opset)
    let runtime = try DenseRuntime(graph: graph)
    let result = try runtime.run(feeds)
    return try outputNames.map { try #require(result[$0]) }
}

/// Runs a one-output op.
func run1(_ op: String, _ inputs: [Tensor?], constants: [Int: Tensor] = [:],
          _ attributes: [String: Attribute] = [:], opset: Int = 17, domain: String = "") throws -> Tensor {
    try runOp(op, domain: domain, inputs: inputs, constants: constants, attributes: attributes, opset: opset)[0]
}

func floats(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, floats: values) }
func ints(_ shape: [Int], _ values: [Int64]) -> Tensor { Tensor(shape: shape, int64s: values) }
func ints1D(_ values: [Int64]) -> Tensor { Tensor(shape: [values.count], int64s: values) }

/// Deterministic pseudo-random floats in [-1, 1) (xorshift), so failures reproduce.
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state >> 40) / Float(1 << 23) - 1
    }
}

func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(shape: shape, floats: randomFloats(shape.reduce(1, *), seed: seed))
}

/// Element-wise closeness with a relative-plus-absolute tolerance.
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        if x.isNaN && y.isNaN { continue }
        if abs(x - y) > tolerance * (1 + abs(y)) { return false }
    }
    return true
}

/// Expects `body` to throw a RuntimeError whose message contains every fragment.
func expectRuntimeError(_ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a RuntimeError containing \(fragments)", sourceLocation: sourceLocation)
    } catch let error as RuntimeError {
        for f in fragments where !error.message.contains(f) {
            Issue.record("error '\(error.message)' lacks '\(f)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
