import Testing
import SparrowCompression
import SparrowModel

/// A small LeNet-like graph: Conv then two Gemm layers, with biases.
func sampleGraph(seed: UInt64 = 9) -> Graph {
    var r = TestRandom(seed)
    func t(_ shape: [Int]) -> Tensor { Tensor(shape: shape, floats: r.weights(Tensor.count(of: shape))) }
    return Graph(
        nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "c.w", "c.b"], outputs: ["h"]),
            Node(name: "flat", opType: "Flatten", inputs: ["h"], outputs: ["f"]),
            Node(name: "fc1", opType: "Gemm", inputs: ["f", "fc1.w", "fc1.b"], outputs: ["g"]),
            Node(name: "fc2", opType: "MatMul", inputs: ["g", "fc2.w"], outputs: ["y"]),
        ],
        initializers: ["c.w": t([8, 1, 5, 5]), "c.b": t([8]), "fc1.w": t([600, 120]), "fc1.b": t([120]),
                       "fc2.w": t([120, 10]), "tiny.w": t([4])],
        inputs: [], outputs: [], opsetVersion: 13)
}

/// Stand-in for the ONNX serializer: the names left in the graph, so the test can check them.
func fakeGraphBytes(_ graph: Graph) -> (Set<String>) -> [UInt8] {
    { removed in Array(graph.initializers.keys.filter { !removed.contains($0) }.sorted().joined(separator: ",").utf8) }
}

@Test func compressDecodesBitIdenticallyToTheStagedPipeline() throws {
    let graph = sampleGraph()
    var config = CompressionConfig()
    config.minParams = 100
    let result = try DeepCompression.compress(graph: graph, config: config, graphBytesWithout: fakeGraphBytes(graph))
    #expect(result.artifact.layers.map(\.name) == ["c.w", "fc1.w", "fc2.w"])
    #expect(String(decoding: result.artifact.graphBytes, as: UTF8.self) == "c.b,fc1.b,tiny.w")
    let read = try Artifact(bytes: result.bytes)
    #expect(read == result.artifact)
    try read.validate()
    let decoded = try read.decodedInitializers()
    let plan = try CompressionPlan(graph: graph, config: config)
    for layerPlan in plan.layers {
        let pruned = Pruner.prune(graph.initializers[layerPlan.name]!.floats, shape: layerPlan.shape, rule: layerPlan.rule)
        let q = Quantizer.quantize(pruned, name: layerPlan.name, kind: layerPlan.kind, bits: layerPlan.bits,
                                   initialization: layerPlan.initialization, seed: layerPlan.seed)
        #expect(decoded[layerPlan.name]!.floats.map(\.bitPattern) == q.dense().map(\.bitPattern))
        #expect(decoded[layerPlan.name]!.shape == layerPlan.shape)
        let density = Double(pruned.positions.count) / Double(pruned.count)
        #expect(abs(density - 0.1) < 0.01)
    }
    #expect(result.artifact.layers[0].weightBits == 8 && result.artifact.layers[1].weightBits == 5)
    #expect(result.artifact.layers[0].kind == .conv)
}

@Test func compressionIsDeterministic() throws {
    let graph = sampleGraph()
    for initialization in CentroidInit.allCases {
        var config = CompressionConfig()
        config.quantize.initialization = initialization
        config.indexBits = .auto
        let a = try DeepCompression.compress(graph: graph, config: config, graphBytesWithout: fakeGraphBytes(graph))
        let b = try DeepCompression.compress(graph: graph, config: config, graphBytesWithout: fakeGraphBytes(graph))
        #expect(a.bytes == b.bytes)
    }
}

@Test func reportMeasuresTheRealBytes() throws {
    let graph = sampleGraph()
    var config = CompressionConfig()
    config.minParams = 100
    let result = try DeepCompression.compress(graph: graph, config: config,
                                              graphBytesWithout: fakeGraphBytes(graph), denseModelBytes: [UInt8](repeating: 7, count: 10_000))
    let r = result.report
    #expect(r.compressedBytes == result.bytes.count)
    #expect(r.originalBytes == 4 * graph.parameterCount)
    #expect(abs(r.ratio - Double(r.originalBytes) / Double(r.compressedBytes)) < 1e-12)
    #expect(r.denseGzipBytes != nil && r.denseGzipBytes! < 200)
    #expect(r.layers.count == 3)
    let fc1 = r.layers[1]
    #expect(fc1.name == "fc1.w" && fc1.params == 72_000 && fc1.nonzero == 7200 && fc1.kind == .fc)
    #expect(fc1.weightBitsHuffman! < 5 && fc1.indexBitsHuffman! <= 5)
    #expect(r.table().contains("fc1.w"))
    let json = String(decoding: r.json(), as: UTF8.self)
    #expect(json.contains("\"weight_bits_huffman\"") && json.contains("\"compressed_bytes\""))
}

@Test func cancellationAndBadWeightsStopCompression() {
    let graph = sampleGraph()
    #expect(throws: CompressionError.cancelled) {
        _ = try DeepCompression.compress(graph: graph, config: CompressionConfig(), graphBytesWithout: fakeGraphBytes(graph),
                                         isCancelled: { true })
    }
    var bad = graph
    var w = bad.initializers["fc1.w"]!.floats
    w[3] = .nan
    bad.initializers["fc1.w"] = Tensor(shape: [600, 120], floats: w)
    #expect(throws: CompressionError.self) {
        _ = try DeepCompression.compress(graph: bad, config: CompressionConfig(), graphBytesWithout: fakeGraphBytes(bad))
    }
}
