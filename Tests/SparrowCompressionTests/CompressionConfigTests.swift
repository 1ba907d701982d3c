import Testing
import SparrowCompression
import SparrowModel

private func config(_ json: String) throws -> CompressionConfig { try CompressionConfig(json: Array(json.utf8)) }

private func expectConfigError(_ json: String, path: String, _ comment: Comment? = nil) {
    do {
        _ = try config(json)
        Issue.record("accepted \(json)")
    } catch let CompressionError.invalidConfig(p, _) {
        #expect(p == path, "\(json)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Test func emptyConfigHasThePapersDefaults() throws {
    let c = try config("{}")
    #expect(c == CompressionConfig())
    #expect(c.prune.sparsity == 0.9 && c.quantize.fcBits == 5 && c.quantize.convBits == 8)
    #expect(c.indexBits == .fixed(5) && c.huffman && c.quantize.initialization == .linear)
}

@Test func fullConfigParses() throws {
    let c = try config("""
    {"prune": {"sparsity": 0.8, "threshold_std": null, "layers": {"fc1.weight": 0.95}},
     "quantize": {"fc_bits": 4, "conv_bits": 6, "init": "kmeans++", "layers": {"fc1.weight": 6}, "seed": 7},
     "index_bits": "auto", "huffman": false, "min_params": 100, "sparse_order": "csc",
     "finetune": {"dataset": "mnist", "epochs": 3, "learning_rate": 0.01, "schedule": "iterative", "eval_dataset": "mnist-test"}}
    """)
    #expect(c.prune.sparsity == 0.8 && c.prune.layers == ["fc1.weight": 0.95])
    #expect(c.quantize.fcBits == 4 && c.quantize.convBits == 6 && c.quantize.initialization == .kmeansPlusPlus)
    #expect(c.quantize.layers == ["fc1.weight": 6] && c.quantize.seed == 7)
    #expect(c.indexBits == .auto && !c.huffman && c.minParams == 100 && c.sparseOrder == .csc)
    #expect(c.finetune?.schedule == .iterative && c.finetune?.epochs == 3)
    // The explicit form round-trips.
    #expect(try CompressionConfig(jsonValue: c.jsonValue) == c)
    let perLayer = try config(#"{"index_bits": {"default": 4, "layers": {"a": "auto"}}}"#)
    #expect(perLayer.indexBits == .fixed(4) && perLayer.indexBitsLayers["a"] == .auto)
}

@Test func unknownKeysAndBadValuesAreRejectedWithTheirPath() {
    expectConfigError(#"{"prunes": {}}"#, path: "$.prunes")
    expectConfigError(#"{"prune": {"sparsity": 0.9, "extra": 1}}"#, path: "$.prune.extra")
    expectConfigError(#"{"quantize": {"bits": 5}}"#, path: "$.quantize.bits")
    expectConfigError(#"{"finetune": {"lr": 0.1}}"#, path: "$.finetune.lr")
    expectConfigError(#"{"index_bits": {"default": 4, "other": 1}}"#, path: "$.index_bits.other")
    expectConfigError(#"{"prune": {"sparsity": 1.0}}"#, path: "$.prune.sparsity")
    expectConfigError(#"{"prune": {"sparsity": -0.1}}"#, path: "$.prune.sparsity")
    expectConfigError(#"{"prune": {"sparsity": "0.9"}}"#, path: "$.prune.sparsity")
    expectConfigError(#"{"prune": {"sparsity": 0.5, "threshold_std": 1}}"#, path: "$.prune")
    expectConfigError(#"{"prune": {"layers": {"a": 2}}}"#, path: "$.prune.layers.a")
    expectConfigError(#"{"prune": {"layers": []}}"#, path: "$.prune.layers")
    expectConfigError(#"{"quantize": {"fc_bits": 9}}"#, path: "$.quantize.fc_bits")
    expectConfigError(#"{"quantize": {"conv_bits": 2.5}}"#, path: "$.quantize.conv_bits")
    expectConfigError(#"{"quantize": {"init": "uniform"}}"#, path: "$.quantize.init")
    expectConfigError(#"{"quantize": {"layers": {"a": 0}}}"#, path: "$.quantize.layers.a")
    expectConfigError(#"{"index_bits": 13}"#, path: "$.index_bits")
    expectConfigError(#"{"index_bits": "best"}"#, path: "$.index_bits")
    expectConfigError(#"{"huffman": 1}"#, path: "$.huffman")
    expectConfigError(#"{"min_params": -1}"#, path: "$.min_params")
    expectConfigError(#"{"sparse_order": "coo"}"#, path: "$.sparse_order")
    expectConfigError(#"{"finetune": {"schedule": "sometimes"}}"#, path: "$.finetune.schedule")
    expectConfigError(#"{"finetune": {"learning_rate": 0}}"#, path: "$.finetune.learning_rate")
    expectConfigError(#"{"finetune": {"epochs": 1.5}}"#, path: "$.finetune.epochs")
    expectConfigError(#"[1]"#, path: "$")
    expectConfigError(#"{"prune": "#, path: "$")
    // A key given twice is refused: readers disagree on which one counts.
    expectConfigError(#"{"quantize": {"fc_bits": 3}, "quantize": {"fc_bits": 6}}"#, path: "$")
    expectConfigError(#"{"prune": {"sparsity": 0.5, "sparsity": 0.5}}"#, path: "$")
}

@Test func aLeadingByteOrderMarkIsSkipped() throws {
    let parsed = try CompressionConfig(json: [0xEF, 0xBB, 0xBF] + Array(#"{"quantize": {"fc_bits": 2}}"#.utf8))
    #expect(parsed == (try config(#"{"quantize": {"fc_bits": 2}}"#)))
}

@Test func planRejectsUnknownAndNonWeightLayerNames() throws {
    let graph = Graph(nodes: [Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["y"])],
                      initializers: ["W": .zeros([300, 10]), "b": .zeros([10])],
                      inputs: [], outputs: [], opsetVersion: 13)
    #expect(throws: CompressionError.invalidConfig(path: "$.prune.layers.V", message: "no initializer named \"V\" in the model")) {
        _ = try CompressionPlan(graph: graph, config: try config(#"{"prune": {"layers": {"V": 0.5}}}"#))
    }
    #expect(throws: CompressionError.self) {
        _ = try CompressionPlan(graph: graph, config: try config(#"{"quantize": {"layers": {"b": 4}}}"#))
    }
    let plan = try CompressionPlan(graph: graph, config: try config(#"{"prune": {"layers": {"W": 0.5}}, "quantize": {"layers": {"W": 3}}}"#))
    #expect(plan.layers.map(\.name) == ["W"])
    #expect(plan.layers[0].rule == .sparsity(0.5) && plan.layers[0].bits == 3 && plan.layers[0].kind == .fc)
}
