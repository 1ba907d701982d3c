import FoundationEssentials
import SwiftProtobuf

/// Conversion of an ONNX `ModelProto` into Sparrow's `Graph`, with the checks that let the runtime
/// trust it: supported opsets, decodable tensors, unique names, every node input defined earlier.
extension ONNXModel {
    /// Default-domain opsets Sparrow's operators are written against.
    public static let supportedOpsets: ClosedRange<Int> = 9...21
    /// Domains a node may use besides the default one.
    public static let mlDomain = "ai.onnx.ml"

    static func makeGraph(_ model: Onnx_ModelProto) throws -> Graph {
        guard model.hasGraph else { throw ModelError(.invalid, "ONNX model has no graph") }
        let opset = try defaultOpset(model)
        let g = model.graph
        guard !g.node.isEmpty else { throw ModelError(.invalid, "ONNX graph '\(g.name)' has no nodes") }
        guard g.sparseInitializer.isEmpty else {
            throw ModelError(.unsupported, "sparse initializers not supported: tensor '\(g.sparseInitializer[0].values.name)'")
        }

        var initializers: [String: Tensor] = [:]
        for t in g.initializer {
            guard !t.name.isEmpty else { throw ModelError(.invalid, "an initializer has no name") }
            guard initializers[t.name] == nil else {
                throw ModelError(.invalid, "duplicate initializer '\(t.name)'")
            }
            initializers[t.name] = try Tensor(onnx: t)
        }

        var inputs: [ValueInfo] = []
        var seenInputs = Set<String>()
        for vi in g.input {
            guard seenInputs.insert(vi.name).inserted else {
                throw ModelError(.invalid, "duplicate graph input '\(vi.name)'")
            }
            // Before IR version 4, every initializer was also listed as an input; those are weights, not feeds.
            if initializers[vi.name] != nil { continue }
            inputs.append(try valueInfo(vi, role: "graph input"))
        }
        guard !g.output.isEmpty else { throw ModelError(.invalid, "ONNX graph '\(g.name)' has no outputs") }
        let outputs = try g.output.map { try valueInfo($0, role: "graph output") }

        let importedDomains = Set(model.opsetImport.map { normalizedDomain($0.domain) })
        var defined = Set(initializers.keys).union(inputs.map(\.name))
        var nodes: [Node] = []
        nodes.reserveCapacity(g.node.count)
        for (index, n) in g.node.enumerated() {
            let domain = normalizedDomain(n.domain)
            let node = Node(name: n.name, opType: n.opType, domain: domain, inputs: n.input, outputs: n.output,
                            attributes: [:])
            let label = "node \(index) '\(node.displayName)' (\(n.opType))"
            guard !n.opType.isEmpty else { throw ModelError(.invalid, "node \(index) '\(n.name)' has no op_type") }
            guard importedDomains.contains(domain) else {
                throw ModelError(.unsupported, "\(label) uses domain '\(n.domain)', which the model does not import")
            }
            for input in n.input where !input.isEmpty && !defined.contains(input) {
                throw ModelError(.invalid, "\(label) reads '\(input)', which is not a graph input, an initializer, or an output of an earlier node (nodes must be in topological order)")
            }
            var attributes: [String: Attribute] = [:]
            for a in n.attribute {
                guard attributes[a.name] == nil else {
                    throw ModelError(.invalid, "\(label) has attribute '\(a.name)' twice")
                }
                attributes[a.name] = try attribute(a, owner: label)
            }
            for output in n.output where !output.isEmpty {
                guard defined.insert(output).inserted else {
                    throw ModelError(.invalid, "\(label) redefines value '\(output)'")
                }
            }
            var converted = node
            converted.attributes = attributes
            nodes.append(converted)
        }
        for output in outputs where !defined.contains(output.name) {
            throw ModelError(.invalid, "graph output '\(output.name)' is not produced by any node, input or initializer")
        }
        return Graph(nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs, opsetVersion: opset)
    }

    /// "ai.onnx" is an alias of the default domain "".
    static func normalizedDomain(_ domain: String) -> String { domain == "ai.onnx" ? "" : domain }

    static func defaultOpset(_ model: Onnx_ModelProto) throws -> Int {
        var opset: Int?
        for entry in model.opsetImport {
            let domain = normalizedDomain(entry.domain)
            if domain == "" {
                let version = Int(clamping: entry.version)
                guard supportedOpsets.contains(version) else {
                    throw ModelError(.unsupported, "unsupported opset \(version) of the default ONNX domain (Sparrow supports \(supportedOpsets.lowerBound) to \(supportedOpsets.upperBound))")
                }
                opset = version
            } else if domain != mlDomain {
                throw ModelError(.unsupported, "unsupported operator domain '\(entry.domain)' (Sparrow supports the default ONNX domain and \(mlDomain))")
            }
        }
        guard let opset else {
            throw ModelError(.invalid, "ONNX model does not import an opset of the default domain")
        }
        return opset
    }

    static func valueInfo(_ vi: Onnx_ValueInfoProto, role: String) throws -> ValueInfo {
        guard !vi.name.isEmpty else { throw ModelError(.invalid, "a \(role) has no name") }
        guard case .tensorType(let tt)? = vi.type.value else {
            throw ModelError(.unsupported, "\(role) '\(vi.name)' is not a tensor (sequences and maps are not supported)")
        }
        let elementType = try Tensor.elementType(onnxCode: tt.elemType, what: "\(role) '\(vi.name)'")
        // An absent shape (unknown rank) is represented as [], like a scalar.
        var shape: [Dimension] = []
        for (i, d) in tt.shape.dim.enumerated() {
            switch d.value {
            case .dimValue(let v)?:
                guard v >= 0, let fixed = Int(exactly: v) else {
                    throw ModelError(.malformed, "\(role) '\(vi.name)' has negative dimension \(v)")
                }
                shape.append(.fixed(fixed))
            case .dimParam(let p)?:
                shape.append(.dynamic(p))
            case nil:
                shape.append(.dynamic("\(vi.name)_dim\(i)"))
            }
        }
        return ValueInfo(name: vi.name, elementType: elementType, shape: shape)
    }

    static func attribute(_ a: Onnx_AttributeProto, owner: String) throws -> Attribute {
        let what = "attribute '\(a.name)' of \(owner)"
        func string(_ d: Data) throws -> String {
            guard let s = String(data: d, encoding: .utf8) else {
                throw ModelError(.malformed, "\(what) is not valid UTF-8")
            }
            return s
        }
        // Old exporters leave `type` unset; then the populated field says what the value is.
        var type = a.type
        if type == .undefined {
            if a.hasF { type = .float } else if a.hasI { type = .int } else if a.hasS { type = .string }
            else if a.hasT { type = .tensor } else if a.hasG { type = .graph }
            else if !a.floats.isEmpty { type = .floats } else if !a.ints.isEmpty { type = .ints }
            else if !a.strings.isEmpty { type = .strings }
            else { type = .ints }
        }
        switch type {
        case .float: return .float(a.f)
        case .int: return .int(a.i)
        case .string: return .string(try string(a.s))
        case .tensor: return .tensor(try Tensor(onnx: a.t))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints)
        case .strings: return .strings(try a.strings.map(string))
        case .graph, .graphs:
            throw ModelError(.unsupported, "\(what) is a subgraph (control flow such as If/Loop is not supported)")
        default:
            throw ModelError(.unsupported, "\(what) has unsupported type \(type)")
        }
    }
}
