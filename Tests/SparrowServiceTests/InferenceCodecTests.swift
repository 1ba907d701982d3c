import Foundation
import Testing
import SparrowModel
import SparrowService

private func body(_ json: String, binary: [UInt8] = []) -> [UInt8] { Array(json.utf8) + binary }

private func expectInvalid(_ json: String, binary: [UInt8] = [], headerLength: Int? = nil, containing fragment: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try InferenceCodec.decodeRequest(body(json, binary: binary), headerLength: headerLength)
        Issue.record("accepted: \(json)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.status == 400, sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
    }
}

@Test func decodesFlatAndNestedJSONTensors() throws {
    let flat = try InferenceCodec.decodeRequest(body("""
        {"id": "r1", "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [1, 2.5, -3, 4e1]}],
         "outputs": [{"name": "y", "parameters": {"binary_data": true}}]}
        """), headerLength: nil)
    #expect(flat.id == "r1")
    #expect(flat.inputs == [InferenceInput(name: "x", tensor: Tensor(shape: [2, 2], floats: [1, 2.5, -3, 40]))])
    #expect(flat.outputs == [RequestedOutput(name: "y", binary: true)])
    #expect(flat.wantsBinary("y"))
    #expect(!flat.wantsBinary("z"))
    let nested = try InferenceCodec.decodeRequest(body("""
        {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2.5], [-3, 40]]}],
         "parameters": {"binary_data_output": true}}
        """), headerLength: nil)
    #expect(nested.inputs == flat.inputs)
    #expect(nested.outputs == nil)
    #expect(nested.wantsBinary("anything"))
    let ints = try InferenceCodec.decodeRequest(body("""
        {"inputs": [{"name": "i", "datatype": "INT64", "shape": [3], "data": [1, -2, 9007199254740993]}]}
        """), headerLength: nil)
    #expect(ints.inputs[0].tensor == Tensor(shape: [3], int64s: [1, -2, 9007199254740993]))
}

@Test func decodesBinaryTensorsAfterTheJSONHeader() throws {
    let json = """
        {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 3], "parameters": {"binary_data_size": 12}},
                    {"name": "b", "datatype": "INT64", "shape": [2], "parameters": {"binary_data_size": 16}}]}
        """
    var binary: [UInt8] = []
    for f: Float in [1.5, -2, 0.25] { withUnsafeBytes(of: f.bitPattern.littleEndian) { binary += $0 } }
    for i: Int64 in [7, -1] { withUnsafeBytes(of: i.littleEndian) { binary += $0 } }
    let request = try InferenceCodec.decodeRequest(body(json, binary: binary), headerLength: json.utf8.count)
    #expect(request.inputs == [InferenceInput(name: "a", tensor: Tensor(shape: [1, 3], floats: [1.5, -2, 0.25])),
                               InferenceInput(name: "b", tensor: Tensor(shape: [2], int64s: [7, -1]))])
}

@Test func rejectsMalformedRequests() {
    expectInvalid("{", containing: "not valid JSON")
    expectInvalid("[]", containing: "JSON object")
    expectInvalid(#"{"inputs": []}"#, containing: "non-empty 'inputs'")
    expectInvalid(#"{"inputs": [{"datatype": "FP32", "shape": [1], "data": [1]}]}"#, containing: "'name'")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}"#, containing: "FP32 and INT64")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1], "data": [1]}]}"#, containing: "non-negative")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1.5], "data": [1]}]}"#, containing: "non-negative")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [true], "data": [1]}]}"#, containing: "non-negative")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [100000, 100000], "data": [1]}]}"#, containing: "exceeds")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [4294967296, 4294967296], "data": [1]}]}"#, containing: "exceeds")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [3], "data": [1, 2]}]}"#, containing: "has 2 values")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1, 2]}]}"#, containing: "more values")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [1, "2"]}]}"#, containing: "only numbers")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [true]}]}"#, containing: "only numbers")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "INT64", "shape": [1], "data": [1.5]}]}"#, containing: "INT64 but holds")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1]}]}"#, containing: "neither")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}, {"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}]}"#,
                  containing: "twice")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}], "outputs": [{"parameters": {}}]}"#,
                  containing: "'name'")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}], "outputs": [{"name": "y", "parameters": {"binary_data": 1}}]}"#,
                  containing: "true or false")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}], "outputs": [{"name": "y", "parameters": {"classification": 3}}]}"#,
                  containing: "classification")
}

@Test func rejectsMalformedBinaryBodies() {
    let json = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 8}}]}"#
    let n = json.utf8.count
    expectInvalid(json, binary: [0, 0, 0, 0], headerLength: n, containing: "runs past the end")
    expectInvalid(json, binary: [UInt8](repeating: 0, count: 12), headerLength: n, containing: "no input claims")
    expectInvalid(json, binary: [UInt8](repeating: 0, count: 8), headerLength: n + 100, containing: "Inference-Header-Content-Length")
    expectInvalid(json, binary: [UInt8](repeating: 0, count: 8), headerLength: -1, containing: "Inference-Header-Content-Length")
    expectInvalid(json, binary: [UInt8](repeating: 0, count: 8), headerLength: n - 5, containing: "not valid JSON")
    let wrongSize = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 4}}]}"#
    expectInvalid(wrongSize, binary: [0, 0, 0, 0], headerLength: wrongSize.utf8.count, containing: "needs 8 bytes")
    let both = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1], "parameters": {"binary_data_size": 4}}]}"#
    expectInvalid(both, binary: [0, 0, 0, 0], headerLength: both.utf8.count, containing: "both")
}

@Test func encodesJSONAndBinaryOutputsThatReadBack() throws {
    let response = InferenceResponse(modelName: "m\"q", modelVersion: "2", id: "r", outputs: [
        InferenceOutput(name: "json", tensor: Tensor(shape: [1, 3], floats: [0.1, -2, 3e-8]), binary: false),
        InferenceOutput(name: "bin", tensor: Tensor(shape: [2], floats: [1.5, -0.125]), binary: true),
        InferenceOutput(name: "idx", tensor: Tensor(shape: [1], int64s: [-9]), binary: true),
    ])
    let encoded = InferenceCodec.encodeResponse(response)
    let headerLength = try #require(encoded.headerLength)
    #expect(encoded.contentType == "application/octet-stream")
    let header = try #require(try JSONSerialization.jsonObject(with: Data(encoded.body[..<headerLength])) as? [String: Any])
    #expect(header["model_name"] as? String == "m\"q")
    #expect(header["model_version"] as? String == "2")
    let outputs = try #require(header["outputs"] as? [[String: Any]])
    #expect(outputs.count == 3)
    let data = try #require(outputs[0]["data"] as? [Any])
    #expect((data[0] as? NSNumber)?.floatValue == 0.1)
    #expect((data[2] as? NSNumber)?.floatValue == 3e-8)
    #expect((outputs[1]["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 8)
    #expect(encoded.body.count == headerLength + 16)
    let tail = Array(encoded.body[headerLength...])
    #expect(tail[0..<4] == [0x00, 0x00, 0xc0, 0x3f])  // 1.5 little-endian
    let idx = tail[8..<16].withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
    #expect(idx == -9)

    let plain = InferenceCodec.encodeResponse(InferenceResponse(modelName: "m", modelVersion: "1", id: nil, outputs: [
        InferenceOutput(name: "y", tensor: Tensor(shape: [2], floats: [1, 2]), binary: false)]))
    #expect(plain.headerLength == nil)
    #expect(String(decoding: plain.body, as: UTF8.self)
            == #"{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[2],"data":[1.0,2.0]}]}"#)
}

@Test func nonFiniteValuesTravelAsTritonWritesThem() throws {
    // Triton writes and reads NaN and the infinities as bare tokens (rapidjson's NanAndInf flags).
    let encoded = InferenceCodec.encodeResponse(InferenceResponse(modelName: "m", modelVersion: "1", id: nil, outputs: [
        InferenceOutput(name: "y", tensor: Tensor(shape: [4], floats: [.nan, .infinity, -.infinity, 1]), binary: false)]))
    let text = String(decoding: encoded.body, as: UTF8.self)
    #expect(text.contains(#""data":[NaN,Infinity,-Infinity,1.0]"#))
    let json = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [5], "data": [NaN, Infinity, -Infinity, Inf, -Inf]}]}"#
    let request = try InferenceCodec.decodeRequest(Array(json.utf8), headerLength: nil)
    guard case .float32(let values) = request.inputs[0].tensor.storage else { Issue.record("not FP32"); return }
    #expect(values[0].isNaN && values[1...] == [.infinity, -.infinity, .infinity, -.infinity])
    // Not for INT64, and not as misspelled tokens.
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "INT64", "shape": [1], "data": [NaN]}]}"#, containing: "INT64")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [nan]}]}"#, containing: "not valid JSON")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [-Infinit]}]}"#, containing: "not valid JSON")
}

@Test func int64KeepsItsWholeRangeInJSON() throws {
    let json = #"{"inputs": [{"name": "x", "datatype": "INT64", "shape": [3], "data": [-9223372036854775808, 9223372036854775807, -9223372036854775000]}]}"#
    let request = try InferenceCodec.decodeRequest(Array(json.utf8), headerLength: nil)
    #expect(request.inputs[0].tensor == Tensor(shape: [3], int64s: [.min, .max, -9223372036854775000]))
}
