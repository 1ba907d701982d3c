import FoundationEssentials
import SparrowCompression
import SparrowModel

/// Decodes and encodes Open Inference Protocol (KServe v2) bodies, JSON and Triton's binary
/// tensor extension: a JSON header of `Inference-Header-Content-Length` bytes followed by the raw
/// little-endian tensors, in input order, each `parameters.binary_data_size` bytes long.
public enum InferenceCodec {
    /// Largest tensor accepted, in bytes of the type Sparrow computes it in (float32 or int64):
    /// 2^28 FP32 elements, 2^27 of the integer and bool types, which are held as int64.
    public static let maxTensorBytes = 1 << 30

    static func maxElements(_ element: ElementType) -> Int { maxTensorBytes / element.computeType.byteWidth }
    static let maxRank = 8

    // MARK: - Requests

    /// Decodes a request body. `headerLength` is the `Inference-Header-Content-Length` header.
    public static func decodeRequest(_ body: [UInt8], headerLength: Int?) throws(InferenceError) -> InferenceRequest {
        let jsonEnd: Int
        if let headerLength {
            guard headerLength >= 0, headerLength <= body.count else {
                throw .invalid("Inference-Header-Content-Length is \(headerLength) but the body has \(body.count) bytes")
            }
            jsonEnd = headerLength
        } else {
            jsonEnd = body.count
        }
        let parsed: Result<JSONNode, JSONNode.SyntaxError> = body.withUnsafeBytes { raw in
            Result { () throws(JSONNode.SyntaxError) -> JSONNode in try JSONNode.parse(UnsafeRawBufferPointer(rebasing: raw[0..<jsonEnd]), nonFiniteNumbers: true) }
        }
        let root: JSONNode
        switch parsed {
        case .success(let node): root = node
        case .failure(let error): throw .invalid("the request is not valid JSON (\(error.message) at byte \(error.offset))")
        }
        guard case .object = root else { throw .invalid("the request must be a JSON object") }

        var binaryOffset = jsonEnd
        guard case .array(let rawInputs)? = root["inputs"], !rawInputs.isEmpty else {
            throw .invalid("the request needs a non-empty 'inputs' array")
        }
        var inputs: [InferenceInput] = []
        for (index, spec) in rawInputs.enumerated() {
            guard case .object = spec else { throw .invalid("inputs[\(index)] must be an object") }
            inputs.append(try decodeInput(spec, index: index, body: body, offset: &binaryOffset))
        }
        guard binaryOffset == body.count else {
            throw .invalid("the body holds \(body.count - binaryOffset) bytes of binary data no input claims")
        }
        var names = Set<String>()
        for input in inputs where !names.insert(input.name).inserted {
            throw .invalid("input '\(input.name)' appears twice")
        }

        var outputs: [RequestedOutput]?
        if let rawOutputs = root["outputs"] {
            guard case .array(let list) = rawOutputs else { throw .invalid("'outputs' must be an array") }
            var requested: [RequestedOutput] = []
            for (index, spec) in list.enumerated() {
                guard case .string(let name)? = spec["name"] else { throw .invalid("outputs[\(index)] needs a string 'name'") }
                let parameters = try parametersObject(spec, what: "outputs[\(index)]")
                for key in ["classification", "class_count"] {
                    if let count = parameters[key], count != .number(0, integer: 0) {
                        throw .invalid("the classification extension is not supported")
                    }
                }
                requested.append(RequestedOutput(name: name, binary: try bool(parameters["binary_data"], "outputs[\(index)].parameters.binary_data")))
            }
            // As in Triton, asking for no output in particular returns them all.
            outputs = requested.isEmpty ? nil : requested
        }
        let parameters = try parametersObject(root, what: "the request")
        let binaryOutput = try bool(parameters["binary_data_output"], "parameters.binary_data_output") ?? false
        var id: String?
        if let rawID = root["id"] {
            guard case .string(let s) = rawID else { throw .invalid("'id' must be a string") }
            id = s
        }
        return InferenceRequest(id: id, inputs: inputs, outputs: outputs, binaryDataOutput: binaryOutput)
    }

    private static func decodeInput(_ spec: JSONNode, index: Int, body: [UInt8],
                                    offset: inout Int) throws(InferenceError) -> InferenceInput {
        guard case .string(let name)? = spec["name"] else { throw .invalid("inputs[\(index)] needs a string 'name'") }
        guard case .string(let datatypeName)? = spec["datatype"] else { throw .invalid("input '\(name)' needs a 'datatype'") }
        guard let datatype = ElementType(rawValue: datatypeName) else {
            throw .invalid("input '\(name)' has datatype \(datatypeName); this server serves \(ElementType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let shape = try decodeShape(spec["shape"], name: name)
        let count = try elementCount(shape, of: datatype, name: name)
        let parameters = try parametersObject(spec, what: "input '\(name)'")

        if let rawSize = parameters["binary_data_size"] {
            guard case .number(_, let integer?) = rawSize, integer >= 0, let size = Int(exactly: integer) else {
                throw .invalid("input '\(name)': binary_data_size must be a non-negative integer")
            }
            guard spec["data"] == nil else { throw .invalid("input '\(name)' has both 'data' and binary_data_size") }
            guard size == count * datatype.byteWidth else {
                throw .invalid("input '\(name)': binary_data_size is \(size) but shape \(shape) of \(datatypeName) needs \(count * datatype.byteWidth) bytes")
            }
            guard size <= body.count - offset else {
                throw .invalid("input '\(name)': binary_data_size \(size) runs past the end of the body")
            }
            let tensor: Tensor
            do {
                tensor = try body.withUnsafeBytes { raw in
                    try datatype.decodeLittleEndian(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size]),
                                                    shape: shape, what: "input '\(name)'")
                }
            } catch {
                throw .invalid("\(error)")
            }
            offset += size
            return InferenceInput(name: name, elementType: datatype, tensor: tensor)
        }

        guard let data = spec["data"] else { throw .invalid("input '\(name)' has neither 'data' nor binary_data_size") }
        let tensor = try decodeData(data, as: datatype, shape: shape, count: count, name: name)
        return InferenceInput(name: name, elementType: datatype, tensor: tensor)
    }

    static func decodeShape(_ raw: JSONNode?, name: String) throws(InferenceError) -> [Int] {
        guard case .array(let list)? = raw, list.count <= maxRank else {
            throw .invalid("input '\(name)' needs a 'shape' array of at most \(maxRank) dimensions")
        }
        var shape: [Int] = []
        for dim in list {
            guard case .number(_, let integer?) = dim, integer >= 0, let n = Int(exactly: integer) else {
                throw .invalid("input '\(name)': shape dimensions must be non-negative integers")
            }
            shape.append(n)
        }
        return shape
    }

    static func elementCount(_ shape: [Int], of element: ElementType, name: String) throws(InferenceError) -> Int {
        let maxElements = maxElements(element)
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else {
                throw .invalid("input '\(name)': shape \(shape) exceeds \(maxElements) elements of \(element.rawValue)")
            }
            count = product
        }
        return count
    }

    static func parametersObject(_ spec: JSONNode, what: String) throws(InferenceError) -> [String: JSONNode] {
        guard let raw = spec["parameters"] else { return [:] }
        guard case .object(let object) = raw else { throw .invalid("\(what): 'parameters' must be an object") }
        return object
    }

    static func bool(_ raw: JSONNode?, _ what: String) throws(InferenceError) -> Bool? {
        guard let raw else { return nil }
        guard case .bool(let b) = raw else { throw .invalid("\(what) must be true or false") }
        return b
    }
}
