import Foundation
import Testing
import SparrowCompression
import SparrowInference
import SparrowModel

/// x[N,1,8,8] → Conv(Wc 6×1×3×3) → Relu → Flatten → Gemm(W1 32×216, transB=1) → Relu → MatMul(W2 32×10)
/// → Add(b2): one weight of each orientation the engine handles.
private func smallNet() throws -> ONNXModel {
    func vi(_ name: String, _ dims: [Onnx_TensorShapeProto.Dimension.OneOf_Value]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.shape.dim = dims.map { var d = Onnx_TensorShapeProto.Dimension(); d.value = $0; return d }
        v.type.tensorType = t
        return v
    }
    func node(_ op: String, _ inputs: [String], _ output: String, ints: [String: Int64] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.attribute = ints.sorted { $0.key < $1.key }.map { key, value in
            var a = Onnx_AttributeProto()
            a.name = key
            a.type = .int
            a.i = value
            return a
        }
        return n
    }
    func tensor(_ name: String, _ dims: [Int64], seed: UInt64) -> Onnx_TensorProto {
        var rng = SplitMix64(seed: seed)
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.floatData = (0..<dims.reduce(1, *)).map { _ in Float(rng.nextUnit() - 0.5) }
        return t
    }
    var g = Onnx_GraphProto()
    g.name = "small"
    g.input = [vi("x", [.dimParam("N"), .dimValue(1), .dimValue(8), .dimValue(8)])]
    g.output = [vi("y", [.dimParam("N"), .dimValue(10)])]
    g.initializer = [tensor("Wc", [6, 1, 3, 3], seed: 1), tensor("bc", [6], seed: 2),
                     tensor("W1", [32, 216], seed: 3), tensor("b1", [32], seed: 4),
                     tensor("W2", [32, 10], seed: 5), tensor("b2", [10], seed: 6)]
    g.node = [node("Conv", ["x", "Wc", "bc"], "c"), node("Relu", ["c"], "cr"),
              node("Flatten", ["cr"], "f", ints: ["axis": 1]),
              node("Gemm", ["f", "W1", "b1"], "h", ints: ["transB": 1]), node("Relu", ["h"], "hr"),
              node("MatMul", ["hr", "W2"], "z"), node("Add", ["z", "b2"], "y")]
    var m = Onnx_ModelProto()
    m.irVersion = 8
    m.graph = g
    var op = Onnx_OperatorSetIdProto()
    op.version = 13
    m.opsetImport = [op]
    return try ONNXModel(proto: m)
}

private func compressed(_ model: ONNXModel) throws -> Artifact {
    var config = CompressionConfig()
    config.prune.sparsity = 0.6
    config.minParams = 16
    config.quantize.fcBits = 4
    config.quantize.convBits = 5
    let result = try DeepCompression.compress(graph: model.graph, config: config,
                                              graphBytesWithout: { try model.serialized(removingInitializers: $0) })
    return try Artifact(bytes: result.bytes)
}

struct SparseRuntimeTests {
    @Test func sparseEngineMatchesDecodedDenseRuntime() throws {
        let artifact = try compressed(try smallNet())
        #expect(Set(artifact.layers.map(\.name)) == ["Wc", "W1", "W2"])
        let (_, layers) = try makeSparseLayers(artifact: artifact, threads: 2)
        #expect(Set(layers.keys) == ["Wc", "W1", "W2"])
        #expect(layers["W2"].map { ($0.outFeatures, $0.inFeatures) } ?? (0, 0) == (10, 32))
        #expect(layers["Wc"].map { ($0.outFeatures, $0.inFeatures) } ?? (0, 0) == (6, 9))
        let sparse = try makeRuntime(artifact: artifact, engine: .sparse, threads: 2)
        let dense = try makeRuntime(artifact: artifact, engine: .dense)
        var rng = SplitMix64(seed: 9)
        for batch in [1, 5] {
            let x = Tensor(shape: [batch, 1, 8, 8], floats: (0..<(batch * 64)).map { _ in Float(rng.nextUnit()) })
            let ys = try #require(try sparse.run(["x": x])["y"])
            let yd = try #require(try dense.run(["x": x])["y"])
            #expect(ys.shape == [batch, 10])
            let scale = yd.floats.reduce(Float(0)) { max($0, abs($1)) }
            let worst = zip(ys.floats, yd.floats).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(worst <= 1e-4 * max(scale, 1))
        }
    }

    /// Concurrent inferences on one runtime: a batched Conv splits its images over the helper threads
    /// and reuses its patch buffers between calls, so callers must never share a buffer.
    @Test func concurrentRunsOfOneRuntimeAgree() async throws {
        let artifact = try compressed(try smallNet())
        let sparse = try makeRuntime(artifact: artifact, engine: .sparse, threads: 3)
        let dense = try makeRuntime(artifact: artifact, engine: .dense)
        let failures = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<6 {
                group.addTask {
                    var rng = SplitMix64(seed: UInt64(caller + 40))
                    var failures = 0
                    for round in 0..<10 {
                        let batch = [1, 7, 16][(caller + round) % 3]
                        let x = Tensor(shape: [batch, 1, 8, 8], floats: (0..<(batch * 64)).map { _ in Float(rng.nextUnit()) })
                        guard let ys = try? sparse.run(["x": x])["y"], let yd = try? dense.run(["x": x])["y"] else {
                            failures += 1
                            continue
                        }
                        let scale = yd.floats.reduce(Float(0)) { max($0, abs($1)) }
                        let worst = zip(ys.floats, yd.floats).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
                        if ys.shape != yd.shape || !(worst <= 1e-4 * max(scale, 1)) { failures += 1 }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }

    @Test func compressedLayerDecodesWithoutDenseExpansion() throws {
        let artifact = try compressed(try smallNet())
        let layer = try #require(artifact.layers.first { $0.name == "W2" })
        let m = try SparseMatrix(layer, transposed: true)
        let dense = try layer.dense()  // 32 × 10, stored in × out
        #expect(m.outFeatures == 10 && m.inFeatures == 32)
        #expect(m.entries.count == dense.filter { $0 != 0 }.count)
        for e in m.entries { #expect(dense[Int(e.column) * 10 + Int(e.row)] == m.codebook[Int(e.code)]) }
    }
}
