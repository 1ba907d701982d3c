/// A node attribute, as ONNX defines them (the subset Sparrow's ops use).
public enum Attribute: Sendable, Equatable {
    case int(Int64)
    case float(Float)
    case string(String)
    case ints([Int64])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
}

/// One operator application in a graph.
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    /// "" for the default ONNX domain, "ai.onnx.ml" for the ML domain.
    public var domain: String
    /// Input value names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: Attribute] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// A readable name for error messages: the node's name, or its op and first output.
    public var displayName: String { name.isEmpty ? "\(opType)(\(outputs.first ?? "?"))" : name }
}

/// One dimension of a declared input or output shape.
public enum Dimension: Sendable, Equatable, Hashable {
    case fixed(Int)
    /// A symbolic or unknown dimension, such as a batch size.
    case dynamic(String)
}

/// A declared graph input or output.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    /// The declared type; values are computed in its `computeType`.
    public var elementType: ElementType
    public var shape: [Dimension]

    public var dataType: DataType { elementType.computeType }

    /// Why a computed tensor cannot be given out as this declared output, or nil when it can.
    /// Without type inference a model may declare an output type its graph does not compute
    /// (onnxruntime refuses to load such a model); converting would silently change the values.
    public func mismatch(_ computed: Tensor) -> String? {
        guard computed.dataType != dataType else { return nil }
        let kind = computed.dataType == .float32 ? "a floating-point" : "an integer or bool"
        return "the model declares output '\(name)' as \(elementType.rawValue), but its graph computes \(kind) tensor"
    }

    public init(name: String, elementType: ElementType, shape: [Dimension]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    public init(name: String, dataType: DataType, shape: [Dimension]) {
        self.init(name: name, elementType: ElementType(dataType), shape: shape)
    }
}

/// A model's computation graph: nodes in topological order, weights, inputs and outputs.
public struct Graph: Sendable, Equatable {
    public var nodes: [Node]
    public var initializers: [String: Tensor]
    /// Graph inputs that are not initializers: what a caller must feed.
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Opset version of the default domain.
    public var opsetVersion: Int

    public init(nodes: [Node], initializers: [String: Tensor], inputs: [ValueInfo], outputs: [ValueInfo],
                opsetVersion: Int) {
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.opsetVersion = opsetVersion
    }

    /// Number of weight values in all initializers.
    public var parameterCount: Int { initializers.values.reduce(0) { $0 + $1.count } }
}
