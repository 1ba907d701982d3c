import Testing
import SparrowCompression
import SparrowModel

/// y = relu(x · W1 + b1) · W2 as an ONNX model built in memory.
private func mlpModel() throws -> ONNXModel {
    var r = TestRandom(21)
    func info(_ name: String, _ cols: Int) -> Onnx_ValueInfoProto {
        var vi = Onnx_ValueInfoProto()
        vi.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var batch = Onnx_TensorShapeProto.Dimension(), width = Onnx_TensorShapeProto.Dimension()
        batch.value = .dimParam("N")
        width.value = .dimValue(Int64(cols))
        tt.shape.dim = [batch, width]
        vi.type.tensorType = tt
        return vi
    }
    func node(_ op: String, _ inputs: [String], _ outputs: [String]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = outputs[0]
        return n
    }
    var g = Onnx_GraphProto()
    g.name = "mlp"
    g.input = [info("x", 64)]
    g.output = [info("y", 10)]
    g.initializer = [Tensor(shape: [64, 32], floats: r.weights(2048)).onnxProto(name: "W1"),
                     Tensor(shape: [32], floats: r.weights(32)).onnxProto(name: "b1"),
                     Tensor(shape: [32, 10], floats: r.weights(320)).onnxProto(name: "W2")]
    g.node = [node("Gemm", ["x", "W1", "b1"], ["h"]), node("Relu", ["h"], ["a"]), node("MatMul", ["a", "W2"], ["y"])]
    var m = Onnx_ModelProto()
    m.irVersion = 8
    m.graph = g
    var op = Onnx_OperatorSetIdProto()
    op.version = 13
    m.opsetImport = [op]
    return try ONNXModel(proto: m)
}

@Test func onnxRoundTripRestoresBitIdenticalWeights() throws {
    let model = try mlpModel()
    let result = try DeepCompression.compress(onnx: try model.serialized(), config: CompressionConfig())
    #expect(result.artifact.layers.map(\.name) == ["W1", "W2"])
    let restored = try Artifact(bytes: result.bytes).restoredModel()
    #expect(restored.graph.initializers["b1"] == model.graph.initializers["b1"])
    for layer in result.artifact.layers {
        #expect(restored.graph.initializers[layer.name]?.floats.map(\.bitPattern) == (try layer.dense()).map(\.bitPattern))
    }
    #expect(result.report.denseGzipBytes != nil)
}

@Test func stagedArtifactFromFineTunedCodebooks() throws {
    let model = try mlpModel()
    let config = CompressionConfig()
    let plan = try CompressionPlan(graph: model.graph, config: config)
    var quantized: [QuantizedLayer] = []
    for p in plan.layers {
        let weights = model.graph.initializers[p.name]!.floats
        let pruned = Pruner.prune(weights, shape: p.shape, rule: p.rule)
        // What retraining does: rebuild survivors from a mask, quantize, then nudge centroids.
        let remasked = PrunedLayer(shape: p.shape, weights: pruned.dense(), mask: pruned.mask())
        #expect(remasked == pruned)
        var q = Quantizer.quantize(remasked, name: p.name, kind: p.kind, bits: p.bits)
        for i in 1..<q.codebook.count { q.codebook[i] *= 1.01 }
        quantized.append(q)
    }
    let newBias = Tensor(shape: [32], floats: [Float](repeating: 0.25, count: 32))
    let result = try DeepCompression.artifact(quantized: quantized, model: model, config: config,
                                              denseReplacements: ["b1": newBias],
                                              accuracy: .init(before: 0.98, after: 0.97))
    let read = try Artifact(bytes: result.bytes)
    #expect(read.metadata.accuracy == .init(before: 0.98, after: 0.97))
    #expect(result.report.accuracy?.after == 0.97)
    let restored = try read.restoredModel()
    #expect(restored.graph.initializers["b1"] == newBias)
    for q in quantized {
        #expect(restored.graph.initializers[q.name]?.floats.map(\.bitPattern) == q.dense().map(\.bitPattern))
    }
}

@Test func layersAreCheckedAgainstTheGraphBeforeDecoding() throws {
    let result = try DeepCompression.compress(onnx: try mlpModel().serialized(), config: CompressionConfig())
    let good = result.artifact
    try good.checkLayersAgainstGraph()
    func refused(_ edit: (inout Artifact) -> Void, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var forged = good
        edit(&forged)
        let reread = try Artifact(bytes: forged.serialized())  // CRCs sealed: only the graph check can tell
        try reread.validate()
        for check in [{ try reread.checkLayersAgainstGraph() }, { _ = try reread.restoredModel() }] {
            do {
                try check()
                Issue.record("accepted", sourceLocation: sourceLocation)
            } catch {
                #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
    }
    // A decompression bomb: Gemm's B flattened to one huge dimension is refused before 2^31 floats
    // are allocated.
    try refused({ $0.layers[0].shape = [1 << 31] }, "cannot be input 1 of Gemm")
    try refused({ $0.layers[0].name = "W9" }, "reads 'W1', which is not")  // the graph's weight is gone
    try refused({ var extra = $0.layers[0]; extra.name = "nope"; $0.layers.append(extra) }, "uses no such tensor")
    try refused({ var extra = $0.layers[0]; extra.name = "b1"; $0.layers.append(extra) }, "uses no such tensor")  // a bias
    try refused({ $0.graphBytes = [UInt8](repeating: 0xFF, count: 50) }, "GRAPH")
}
