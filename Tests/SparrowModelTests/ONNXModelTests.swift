import Foundation
import SwiftProtobuf
import Testing
import SparrowModel

/// Builders for hand-made ONNX protos.
enum ONNXFixture {
    static func valueInfo(_ name: String, elemType: Onnx_TensorProto.DataType = .float,
                          dims: [Onnx_TensorShapeProto.Dimension.OneOf_Value?]) -> Onnx_ValueInfoProto {
        var vi = Onnx_ValueInfoProto()
        vi.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = Int32(elemType.rawValue)
        tt.shape.dim = dims.map { v in
            var d = Onnx_TensorShapeProto.Dimension()
            d.value = v
            return d
        }
        vi.type.tensorType = tt
        return vi
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "",
                     attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = name
        n.attribute = attributes
        return n
    }

    static func floatTensor(_ name: String, dims: [Int64], values: [Float], raw: Bool = true) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        if raw {
            var bytes = [UInt8]()
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            t.rawData = Data(bytes)
        } else {
            t.floatData = values
        }
        return t
    }

    /// y = x · W + b with x: [N, 2], W: [2, 3], b: [3].
    static func linearModel(opset: Int64 = 13) -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "linear"
        g.input = [valueInfo("x", dims: [.dimParam("N"), .dimValue(2)])]
        g.output = [valueInfo("y", dims: [.dimParam("N"), .dimValue(3)])]
        g.initializer = [floatTensor("W", dims: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                         floatTensor("b", dims: [3], values: [0.5, -0.5, 0], raw: false)]
        g.node = [node("MatMul", ["x", "W"], ["xw"], name: "mm"), node("Add", ["xw", "b"], ["y"], name: "add")]
        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.graph = g
        var op = Onnx_OperatorSetIdProto()
        op.version = opset
        m.opsetImport = [op]
        return m
    }

    static func bytes(_ m: Onnx_ModelProto) throws -> [UInt8] { try m.serializedBytes() }
}

@Test func loadsLinearModel() throws {
    let model = try ONNXModel(serializedBytes: ONNXFixture.bytes(ONNXFixture.linearModel()))
    let g = model.graph
    #expect(g.opsetVersion == 13)
    #expect(g.inputs == [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(2)])])
    #expect(g.outputs.map(\.name) == ["y"])
    #expect(g.nodes.map(\.opType) == ["MatMul", "Add"])
    #expect(g.initializers["W"] == Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
    #expect(g.initializers["b"] == Tensor(shape: [3], floats: [0.5, -0.5, 0]))
}

@Test func initializerListedAsInputIsNotAFeed() throws {
    var m = ONNXFixture.linearModel()
    m.graph.input.append(ONNXFixture.valueInfo("W", dims: [.dimValue(2), .dimValue(3)]))
    let model = try ONNXModel(serializedBytes: ONNXFixture.bytes(m))
    #expect(model.graph.inputs.map(\.name) == ["x"])
}

@Test func serializedReplacesAndRemovesInitializers() throws {
    let model = try ONNXModel(serializedBytes: ONNXFixture.bytes(ONNXFixture.linearModel()))
    let newW = Tensor(shape: [2, 3], floats: [6, 5, 4, 3, 2, 1])
    let replaced = try ONNXModel(serializedBytes: model.serialized(replacingInitializers: ["W": newW]))
    #expect(replaced.graph.initializers["W"] == newW)
    #expect(replaced.graph.initializers["b"] == model.graph.initializers["b"])

    let stripped = try model.serialized(removingInitializers: ["W"])
    #expect(stripped.count < (try model.serialized()).count)
    // Without W the MatMul reads an undefined value, so plain loading fails ...
    #expect(throws: ModelError.self) { try ONNXModel(serializedBytes: stripped) }
    // ... and restoring puts it back.
    let restored = try ONNXModel(serializedBytes: stripped, restoringInitializers: ["W": newW])
    #expect(restored.graph.initializers["W"] == newW)
    #expect(restored.graph.nodes == model.graph.nodes)

    #expect(throws: ModelError.self) { try model.serialized(removingInitializers: ["nope"]) }
}

private func loadError(_ m: Onnx_ModelProto) -> String {
    do {
        _ = try ONNXModel(serializedBytes: ONNXFixture.bytes(m))
        return "loaded"
    } catch {
        return "\(error)"
    }
}

@Test func rejectsUnsupportedOpsets() {
    #expect(loadError(ONNXFixture.linearModel(opset: 8)).contains("unsupported opset 8"))
    #expect(loadError(ONNXFixture.linearModel(opset: 22)).contains("unsupported opset 22"))
    var m = ONNXFixture.linearModel()
    var custom = Onnx_OperatorSetIdProto()
    custom.domain = "com.example"
    custom.version = 1
    m.opsetImport.append(custom)
    #expect(loadError(m).contains("com.example"))
    var ml = ONNXFixture.linearModel()
    var mlOpset = Onnx_OperatorSetIdProto()
    mlOpset.domain = "ai.onnx.ml"
    mlOpset.version = 3
    ml.opsetImport.append(mlOpset)
    #expect(loadError(ml) == "loaded")
}

@Test func rejectsNodesOutOfOrder() {
    var m = ONNXFixture.linearModel()
    m.graph.node.reverse()
    let message = loadError(m)
    #expect(message.contains("'add'") && message.contains("xw") && message.contains("topological"))
}

@Test func rejectsEmptyGraphAndMissingOutputs() {
    var m = ONNXFixture.linearModel()
    m.graph.node = []
    #expect(loadError(m).contains("no nodes"))
    var m2 = ONNXFixture.linearModel()
    m2.graph.output.append(ONNXFixture.valueInfo("ghost", dims: []))
    #expect(loadError(m2).contains("ghost"))
}

@Test func rejectsInconsistentTensors() {
    var m = ONNXFixture.linearModel()
    m.graph.initializer[0].dims = [2, 4]
    #expect(loadError(m).contains("raw_data holds 24 bytes"))
    var neg = ONNXFixture.linearModel()
    neg.graph.initializer[1].dims = [-3]
    #expect(loadError(neg).contains("negative"))
    var huge = ONNXFixture.linearModel()
    huge.graph.initializer[1].dims = [Int64.max, Int64.max]
    #expect(loadError(huge).contains("overflows"))
    var ext = ONNXFixture.linearModel()
    ext.graph.initializer[0].dataLocation = .external
    #expect(loadError(ext) == "external data not supported: tensor 'W'")
    var str = ONNXFixture.linearModel()
    str.graph.initializer[1].dataType = Int32(Onnx_TensorProto.DataType.string.rawValue)
    #expect(loadError(str).contains("unsupported ONNX data type STRING"))
}

@Test func rejectsGarbageAndTruncatedBytes() throws {
    #expect(throws: ModelError.self) { try ONNXModel(serializedBytes: []) }
    #expect(throws: ModelError.self) { try ONNXModel(serializedBytes: [0xff, 0xff, 0xff, 0xff, 0x0f]) }
    #expect(throws: ModelError.self) { try ONNXModel(serializedBytes: Array("hello, world".utf8)) }
    let bytes = try ONNXFixture.bytes(ONNXFixture.linearModel())
    // Every proper prefix must fail cleanly: either protobuf decoding or graph validation rejects it.
    for n in 0..<bytes.count {
        #expect(throws: ModelError.self) { try ONNXModel(serializedBytes: Array(bytes[..<n])) }
    }
}

@Test func convertsAttributes() throws {
    var m = ONNXFixture.linearModel()
    var alpha = Onnx_AttributeProto()
    alpha.name = "alpha"
    alpha.type = .float
    alpha.f = 0.25
    var perm = Onnx_AttributeProto()
    perm.name = "perm"
    perm.ints = [1, 0]  // type left unset, as old exporters do
    var mode = Onnx_AttributeProto()
    mode.name = "mode"
    mode.type = .string
    mode.s = Data("constant".utf8)
    var value = Onnx_AttributeProto()
    value.name = "value"
    value.type = .tensor
    value.t = ONNXFixture.floatTensor("", dims: [], values: [3])
    m.graph.node[1].attribute = [alpha, perm, mode, value]
    let attrs = try ONNXModel(serializedBytes: ONNXFixture.bytes(m)).graph.nodes[1].attributes
    #expect(attrs["alpha"] == .float(0.25))
    #expect(attrs["perm"] == .ints([1, 0]))
    #expect(attrs["mode"] == .string("constant"))
    #expect(attrs["value"] == .tensor(Tensor.scalar(Float(3))))
}

@Test func survivesEverySingleByteCorruption() throws {
    // Each byte flipped in turn: loading either succeeds (a harmless change) or throws ModelError —
    // never traps. A trap would abort the test process.
    let bytes = try ONNXFixture.bytes(ONNXFixture.linearModel())
    for i in bytes.indices {
        for mask: UInt8 in [0x01, 0x80, 0xff] {
            var mutated = bytes
            mutated[i] ^= mask
            do {
                _ = try ONNXModel(serializedBytes: mutated)
            } catch {
                #expect(error is ModelError)
            }
        }
    }
}
