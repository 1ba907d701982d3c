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
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}"#, containing: "BOOL, UINT8")
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

private func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

@Test func everyDeclaredDatatypeDecodesFromBinary() throws {
    // Bytes built by hand, not by the codec's own encoder.
    let cases: [(String, [Int], [UInt8], Tensor)] = [
        ("BOOL", [3], [0, 1, 7], Tensor(shape: [3], int64s: [0, 1, 1])),
        ("UINT8", [2], [0, 255], Tensor(shape: [2], int64s: [0, 255])),
        ("INT8", [2], [0x80, 0x7f], Tensor(shape: [2], int64s: [-128, 127])),
        ("UINT16", [1], littleEndian([UInt16(65535)]), Tensor(shape: [1], int64s: [65535])),
        ("INT16", [1], littleEndian([Int16(-300)]), Tensor(shape: [1], int64s: [-300])),
        ("UINT32", [1], littleEndian([UInt32.max]), Tensor(shape: [1], int64s: [4294967295])),
        ("INT32", [1], littleEndian([Int32.min]), Tensor(shape: [1], int64s: [-2147483648])),
        ("UINT64", [1], littleEndian([UInt64(1) << 40]), Tensor(shape: [1], int64s: [1 << 40])),
        ("FP16", [2], littleEndian([UInt16(0x3e00), UInt16(0xfc00)]), Tensor(shape: [2], floats: [1.5, -.infinity])),
        ("BF16", [1], littleEndian([UInt16(0x3fc0)]), Tensor(shape: [1], floats: [1.5])),
        ("FP64", [1], littleEndian([(-0.25 as Double).bitPattern]), Tensor(shape: [1], floats: [-0.25])),
    ]
    for (datatype, shape, bytes, expected) in cases {
        let json = #"{"inputs": [{"name": "x", "datatype": "\#(datatype)", "shape": \#(shape), "parameters": {"binary_data_size": \#(bytes.count)}}]}"#
        let request = try InferenceCodec.decodeRequest(body(json, binary: bytes), headerLength: json.utf8.count)
        #expect(request.inputs[0].tensor == expected, "\(datatype)")
        #expect(request.inputs[0].elementType.rawValue == datatype)
    }
    let tooBig = #"{"inputs": [{"name": "x", "datatype": "UINT64", "shape": [1], "parameters": {"binary_data_size": 8}}]}"#
    expectInvalid(tooBig, binary: littleEndian([UInt64.max]), headerLength: tooBig.utf8.count, containing: "does not fit in int64")
    let short = #"{"inputs": [{"name": "x", "datatype": "FP16", "shape": [2], "parameters": {"binary_data_size": 8}}]}"#
    expectInvalid(short, binary: [UInt8](repeating: 0, count: 8), headerLength: short.utf8.count, containing: "needs 4 bytes")
}

@Test func jsonDataMustFitTheDeclaredDatatype() throws {
    func decode(_ datatype: String, _ data: String) throws -> InferenceInput {
        let json = #"{"inputs": [{"name": "x", "datatype": "\#(datatype)", "shape": [2], "data": \#(data)}]}"#
        return try InferenceCodec.decodeRequest(body(json), headerLength: nil).inputs[0]
    }
    #expect(try decode("BOOL", "[true, false]").tensor == Tensor(shape: [2], int64s: [1, 0]))
    #expect(try decode("UINT8", "[0, 255]").tensor == Tensor(shape: [2], int64s: [0, 255]))
    #expect(try decode("INT16", "[-32768, 2.0]").tensor == Tensor(shape: [2], int64s: [-32768, 2]))
    // Floats hold what the declared type holds: 0.1 as fp16, 70000 overflows fp16.
    #expect(try decode("FP16", "[0.1, 70000]").tensor == Tensor(shape: [2], floats: [Float(Float16(0.1)), .infinity]))
    #expect(try decode("BF16", "[1.00390625, 3]").tensor == Tensor(shape: [2], floats: [1, 3]))
    for (datatype, data, fragment) in [("UINT8", "[0, 256]", "UINT8 but holds 256"), ("UINT8", "[0, -1]", "UINT8 but holds -1"),
                                       ("INT8", "[0, 128]", "INT8 but holds 128"), ("UINT64", "[0, -1]", "UINT64 but holds -1"),
                                       ("UINT32", "[0, 1.5]", "UINT32 but holds 1.5"), ("BOOL", "[1, 0]", "true and false"),
                                       ("INT32", "[true, 1]", "only numbers"), ("FP16", "[\"1\", 1]", "only numbers")] {
        expectInvalid(#"{"inputs": [{"name": "x", "datatype": "\#(datatype)", "shape": [2], "data": \#(data)}]}"#,
                      containing: fragment)
    }
}

@Test func outputsTravelInTheModelsDeclaredDatatype() throws {
    let outputs = [
        InferenceOutput(name: "h", elementType: .float16, tensor: Tensor(shape: [2], floats: [1.5, 70000]), binary: true),
        InferenceOutput(name: "b", elementType: .bool, tensor: Tensor(shape: [2], int64s: [0, 5]), binary: true),
        InferenceOutput(name: "n", elementType: .bfloat16, tensor: Tensor(shape: [1], floats: [Float(bitPattern: 0x7f80_0001)]), binary: true),
        InferenceOutput(name: "u", elementType: .uint8, tensor: Tensor(shape: [2], int64s: [257, -1]), binary: false),
        InferenceOutput(name: "q", elementType: .uint64, tensor: Tensor(shape: [1], int64s: [-1]), binary: false),
        InferenceOutput(name: "t", elementType: .bool, tensor: Tensor(shape: [2], floats: [0, 0.5]), binary: false),
        InferenceOutput(name: "d", elementType: .float64, tensor: Tensor(shape: [1], floats: [0.1]), binary: true),
    ]
    let encoded = InferenceCodec.encodeResponse(InferenceResponse(modelName: "m", modelVersion: "1", id: nil, outputs: outputs))
    let headerLength = try #require(encoded.headerLength)
    let header = String(decoding: encoded.body[..<headerLength], as: UTF8.self)
    #expect(header.contains(#""name":"h","datatype":"FP16","shape":[2],"parameters":{"binary_data_size":4}"#))
    #expect(header.contains(#""name":"b","datatype":"BOOL","shape":[2],"parameters":{"binary_data_size":2}"#))
    #expect(header.contains(#""name":"u","datatype":"UINT8","shape":[2],"data":[1,255]"#))
    #expect(header.contains(#""name":"q","datatype":"UINT64","shape":[1],"data":[18446744073709551615]"#))
    #expect(header.contains(#""name":"t","datatype":"BOOL","shape":[2],"data":[false,true]"#))
    let tail = Array(encoded.body[headerLength...])
    #expect(tail[0..<4] == [0x00, 0x3e, 0x00, 0x7c])  // 1.5, +inf as fp16
    #expect(tail[4..<6] == [0, 1])
    #expect(tail[6..<8] == [0xc0, 0x7f])  // a NaN stays a NaN in bf16
    #expect(Array(tail[8...]) == littleEndian([Double(Float(0.1)).bitPattern]))
}

@Test func anEmptyOutputListAsksForEveryOutput() throws {
    // As Triton: no output named means all of them.
    let request = try InferenceCodec.decodeRequest(body("""
        {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}], "outputs": []}
        """), headerLength: nil)
    #expect(request.outputs == nil)
}

@Test func theTensorLimitCountsTheComputedBytes() {
    // BOOL and the integer types are held as int64: half as many elements fit as for FP32.
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "BOOL", "shape": [134217729], "parameters": {"binary_data_size": 134217729}}]}"#,
                  containing: "exceeds 134217728 elements of BOOL")
    expectInvalid(#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [268435457], "data": [1]}]}"#,
                  containing: "exceeds 268435456 elements of FP32")
}
