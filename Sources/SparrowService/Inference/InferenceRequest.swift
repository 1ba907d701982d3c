import SparrowModel

/// One input tensor of an Open Inference Protocol request, decoded.
public struct InferenceInput: Sendable, Equatable {
    public var name: String
    /// The datatype the client sent; `tensor` holds its values in the compute type.
    public var elementType: ElementType
    public var tensor: Tensor

    public init(name: String, elementType: ElementType? = nil, tensor: Tensor) {
        self.name = name
        self.elementType = elementType ?? ElementType(tensor.dataType)
        self.tensor = tensor
    }
}

/// An output the client asked for, and whether it wants it as binary data.
public struct RequestedOutput: Sendable, Equatable {
    public var name: String
    /// nil: use the request-level `binary_data_output` default.
    public var binary: Bool?

    public init(name: String, binary: Bool? = nil) {
        self.name = name
        self.binary = binary
    }
}

/// A decoded `POST /v2/models/{name}/infer` request.
public struct InferenceRequest: Sendable, Equatable {
    public var id: String?
    public var inputs: [InferenceInput]
    /// nil: return every model output.
    public var outputs: [RequestedOutput]?
    /// The request-level `parameters.binary_data_output` (Triton's binary extension).
    public var binaryDataOutput: Bool

    public init(id: String? = nil, inputs: [InferenceInput], outputs: [RequestedOutput]? = nil,
                binaryDataOutput: Bool = false) {
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
        self.binaryDataOutput = binaryDataOutput
    }

    /// Whether output `name` goes back as binary data.
    public func wantsBinary(_ name: String) -> Bool {
        outputs?.first(where: { $0.name == name })?.binary ?? binaryDataOutput
    }
}

/// One output tensor of a response.
public struct InferenceOutput: Sendable, Equatable {
    public var name: String
    /// The model's declared type, which the values are converted to on the wire.
    public var elementType: ElementType
    public var tensor: Tensor
    public var binary: Bool

    public init(name: String, elementType: ElementType? = nil, tensor: Tensor, binary: Bool) {
        self.name = name
        self.elementType = elementType ?? ElementType(tensor.dataType)
        self.tensor = tensor
        self.binary = binary
    }
}

/// A response to encode: model name and version, echoed id, outputs.
public struct InferenceResponse: Sendable, Equatable {
    public var modelName: String
    public var modelVersion: String
    public var id: String?
    public var outputs: [InferenceOutput]

    public init(modelName: String, modelVersion: String, id: String?, outputs: [InferenceOutput]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.outputs = outputs
    }
}
