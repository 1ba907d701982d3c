import Foundation
import SparrowModel

/// Decodes and encodes Open Inference Protocol (KServe v2) bodies, JSON and Triton's binary
/// tensor extension: a JSON header of `Inference-Header-Content-Length` bytes followed by the raw
/// little-endian tensors, in input order, each `parameters.binary_data_size` bytes long.
public enum InferenceCodec {
    /// Largest tensor accepted, in elements (1 GiB of FP32).
    public static let maxElements = 1 << 28
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
        let object: Any
        do {
            object = try body.withUnsafeBufferPointer { buffer in
                try JSONSerialization.jsonObject(with: Data(buffer[0..<jsonEnd]), options: [])
            }
        } catch {
            throw .invalid("the request is not valid JSON")
        }
        guard let root = object as? [String: Any] else { throw .invalid("the request must be a JSON object") }

        var binaryOffset = jsonEnd
        guard let rawInputs = root["inputs"] as? [Any], !rawInputs.isEmpty else {
            throw .invalid("the request needs a non-empty 'inputs' array")
        }
        var inputs: [InferenceInput] = []
        for (index, raw) in rawInputs.enumerated() {
            guard let spec = raw as? [String: Any] else { throw .invalid("inputs[\(index)] must be an object") }
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
            guard let list = rawOutputs as? [Any] else { throw .invalid("'outputs' must be an array") }
            outputs = try list.enumerated().map { (index, raw) throws(InferenceError) -> RequestedOutput in
                guard let spec = raw as? [String: Any], let name = spec["name"] as? String else {
                    throw .invalid("outputs[\(index)] needs a string 'name'")
                }
                let parameters = try parametersObject(spec, what: "outputs[\(index)]")
                if let count = parameters["classification"] ?? parameters["class_count"],
                   (count as? NSNumber)?.intValue ?? 0 != 0 {
                    throw .invalid("the classification extension is not supported")
                }
                return RequestedOutput(name: name, binary: try bool(parameters["binary_data"], "outputs[\(index)].parameters.binary_data"))
            }
        }
        let parameters = try parametersObject(root, what: "the request")
        let binaryOutput = try bool(parameters["binary_data_output"], "parameters.binary_data_output") ?? false
        var id: String?
        if let rawID = root["id"] {
            guard let s = rawID as? String else { throw .invalid("'id' must be a string") }
            id = s
        }
        return InferenceRequest(id: id, inputs: inputs, outputs: outputs, binaryDataOutput: binaryOutput)
    }

    private static func decodeInput(_ spec: [String: Any], index: Int, body: [UInt8],
                                    offset: inout Int) throws(InferenceError) -> InferenceInput {
        let what = "inputs[\(index)]"
        guard let name = spec["name"] as? String else { throw .invalid("\(what) needs a string 'name'") }
        guard let datatypeName = spec["datatype"] as? String else { throw .invalid("input '\(name)' needs a 'datatype'") }
        guard let datatype = DataType(rawValue: datatypeName) else {
            throw .invalid("input '\(name)' has datatype \(datatypeName); this server serves FP32 and INT64 tensors")
        }
        let shape = try decodeShape(spec["shape"], name: name)
        let count = try elementCount(shape, name: name)
        let parameters = try parametersObject(spec, what: "input '\(name)'")

        if let rawSize = parameters["binary_data_size"] {
            guard let size = (rawSize as? NSNumber).flatMap(exactInt), size >= 0 else {
                throw .invalid("input '\(name)': binary_data_size must be a non-negative integer")
            }
            guard spec["data"] == nil else { throw .invalid("input '\(name)' has both 'data' and binary_data_size") }
            guard size == count * datatype.byteWidth else {
                throw .invalid("input '\(name)': binary_data_size is \(size) but shape \(shape) of \(datatypeName) needs \(count * datatype.byteWidth) bytes")
            }
            guard size <= body.count - offset else {
                throw .invalid("input '\(name)': binary_data_size \(size) runs past the end of the body")
            }
            let tensor = body.withUnsafeBytes { raw in
                readLittleEndian(raw, from: offset, count: count, datatype: datatype, shape: shape)
            }
            offset += size
            return InferenceInput(name: name, tensor: tensor)
        }

        guard let data = spec["data"] else { throw .invalid("input '\(name)' has neither 'data' nor binary_data_size") }
        var flat: [NSNumber] = []
        flat.reserveCapacity(count)
        try flatten(data, into: &flat, limit: count, name: name)
        guard flat.count == count else {
            throw .invalid("input '\(name)' has \(flat.count) values but shape \(shape) needs \(count)")
        }
        switch datatype {
        case .float32:
            return InferenceInput(name: name, tensor: Tensor(shape: shape, floats: flat.map { $0.floatValue }))
        case .int64:
            var values: [Int64] = []
            values.reserveCapacity(count)
            for number in flat {
                guard let v = exactInt64(number) else { throw .invalid("input '\(name)' is INT64 but holds \(number)") }
                values.append(v)
            }
            return InferenceInput(name: name, tensor: Tensor(shape: shape, int64s: values))
        }
    }

    static func decodeShape(_ raw: Any?, name: String) throws(InferenceError) -> [Int] {
        guard let list = raw as? [Any], list.count <= maxRank else {
            throw .invalid("input '\(name)' needs a 'shape' array of at most \(maxRank) dimensions")
        }
        var shape: [Int] = []
        for dim in list {
            guard let n = (dim as? NSNumber).flatMap(exactInt), !isBool(dim), n >= 0 else {
                throw .invalid("input '\(name)': shape dimensions must be non-negative integers")
            }
            shape.append(n)
        }
        return shape
    }

    static func elementCount(_ shape: [Int], name: String) throws(InferenceError) -> Int {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else {
                throw .invalid("input '\(name)': shape \(shape) exceeds \(maxElements) elements")
            }
            count = product
        }
        return count
    }

    /// Flattens nested arrays of numbers row-major, stopping early once past `limit`.
    private static func flatten(_ value: Any, into out: inout [NSNumber], limit: Int, name: String) throws(InferenceError) {
        if let list = value as? [Any] {
            for item in list {
                try flatten(item, into: &out, limit: limit, name: name)
                if out.count > limit { return }
            }
        } else if let number = value as? NSNumber, !isBool(number) {
            out.append(number)
        } else {
            throw .invalid("input '\(name)': 'data' must hold only numbers")
        }
    }

    private static func readLittleEndian(_ raw: UnsafeRawBufferPointer, from offset: Int, count: Int,
                                         datatype: DataType, shape: [Int]) -> Tensor {
        switch datatype {
        case .float32:
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))
                }
                initialized = count
            }
            return Tensor(shape: shape, floats: values)
        case .int64:
            let values = [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: Int64.self))
                }
                initialized = count
            }
            return Tensor(shape: shape, int64s: values)
        }
    }

    private static func parametersObject(_ spec: [String: Any], what: String) throws(InferenceError) -> [String: Any] {
        guard let raw = spec["parameters"] else { return [:] }
        guard let object = raw as? [String: Any] else { throw .invalid("\(what): 'parameters' must be an object") }
        return object
    }

    private static func bool(_ raw: Any?, _ what: String) throws(InferenceError) -> Bool? {
        guard let raw else { return nil }
        guard let number = raw as? NSNumber, isBool(number) else { throw .invalid("\(what) must be true or false") }
        return number.boolValue
    }

    static func isBool(_ value: Any) -> Bool {
        // JSONSerialization boxes true/false as NSNumbers of objCType "c" (it never makes Int8s).
        guard let number = value as? NSNumber else { return false }
        return number.objCType.pointee == CChar(UInt8(ascii: "c"))
    }

    static func exactInt(_ number: NSNumber) -> Int? {
        let d = number.doubleValue
        guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return number.intValue
    }

    static func exactInt64(_ number: NSNumber) -> Int64? {
        if isBool(number) { return nil }
        let type = number.objCType.pointee
        if type == CChar(UInt8(ascii: "d")) || type == CChar(UInt8(ascii: "f")) {
            let d = number.doubleValue
            guard d.isFinite, d.rounded() == d, abs(d) < 9.2e18 else { return nil }
            return Int64(d)
        }
        return number.int64Value
    }
}
