import SparrowModel

extension InferenceCodec {
    /// An encoded response body with the headers it needs.
    public struct EncodedResponse: Sendable {
        public var body: [UInt8]
        /// Set when binary outputs follow the JSON header (`Inference-Header-Content-Length`).
        public var headerLength: Int?
        public var contentType: String
    }

    /// Encodes a response: outputs flagged binary go after the JSON as raw little-endian bytes.
    public static func encodeResponse(_ response: InferenceResponse) -> EncodedResponse {
        var json: [UInt8] = []
        json.reserveCapacity(256 + response.outputs.reduce(0) { $0 + ($1.binary ? 0 : $1.tensor.count * 12) })
        var binary: [UInt8] = []
        json.append(contentsOf: #"{"model_name":"#.utf8)
        appendString(response.modelName, to: &json)
        json.append(contentsOf: #","model_version":"#.utf8)
        appendString(response.modelVersion, to: &json)
        if let id = response.id {
            json.append(contentsOf: #","id":"#.utf8)
            appendString(id, to: &json)
        }
        json.append(contentsOf: #","outputs":["#.utf8)
        for (index, output) in response.outputs.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(contentsOf: #"{"name":"#.utf8)
            appendString(output.name, to: &json)
            json.append(contentsOf: #","datatype":""#.utf8)
            json.append(contentsOf: output.elementType.rawValue.utf8)
            json.append(contentsOf: #"","shape":["#.utf8)
            json.append(contentsOf: output.tensor.shape.map(String.init).joined(separator: ",").utf8)
            json.append(UInt8(ascii: "]"))
            if output.binary {
                let before = binary.count
                binary.append(contentsOf: output.elementType.littleEndianBytes(output.tensor))
                json.append(contentsOf: #","parameters":{"binary_data_size":"#.utf8)
                json.append(contentsOf: String(binary.count - before).utf8)
                json.append(UInt8(ascii: "}"))
            } else {
                json.append(contentsOf: #","data":["#.utf8)
                appendValues(output.elementType.converting(output.tensor), as: output.elementType, to: &json)
                json.append(UInt8(ascii: "]"))
            }
            json.append(UInt8(ascii: "}"))
        }
        json.append(contentsOf: "]}".utf8)
        let hasBinary = response.outputs.contains { $0.binary }
        guard hasBinary else { return EncodedResponse(body: json, headerLength: nil, contentType: "application/json") }
        let headerLength = json.count
        json.append(contentsOf: binary)
        return EncodedResponse(body: json, headerLength: headerLength, contentType: "application/octet-stream")
    }

    /// Appends a JSON string literal with the escapes RFC 8259 requires.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Flat row-major values. Non-finite floats are written as `NaN`, `Infinity` and `-Infinity`, as
    /// Triton does (rapidjson's kWriteNanAndInfFlag) and tritonclient reads them; null would lose
    /// which one it was.
    static func appendValues(_ tensor: Tensor, as element: ElementType, to out: inout [UInt8]) {
        switch tensor.storage {
        case .float32(let values):
            for (i, v) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if v.isFinite {
                    // Float's description is the shortest text that reads back to the same float.
                    out.append(contentsOf: v.description.utf8)
                } else {
                    out.append(contentsOf: (v.isNaN ? "NaN" : v < 0 ? "-Infinity" : "Infinity").utf8)
                }
            }
        case .int64(let values):
            for (i, v) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                switch element {
                case .bool: out.append(contentsOf: (v != 0 ? "true" : "false").utf8)
                case .uint64: out.append(contentsOf: String(UInt64(bitPattern: v)).utf8)
                default: out.append(contentsOf: String(v).utf8)
                }
            }
        }
    }
}
