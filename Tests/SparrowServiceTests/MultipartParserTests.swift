import Testing
import SparrowService

/// Parses `body` fed in chunks of `chunk` bytes; returns (name, filename, content) per part.
private func parse(_ body: [UInt8], boundary: String, chunk: Int) throws -> [(String?, String?, [UInt8])] {
    var parser = try MultipartParser(boundary: boundary)
    var parts: [(String?, String?, [UInt8])] = []
    var offset = 0
    while offset < body.count {
        let end = min(body.count, offset + chunk)
        try parser.feed(Array(body[offset..<end])) { event in
            switch event {
            case .begin(let name, let filename, _): parts.append((name, filename, []))
            case .data(let bytes): parts[parts.count - 1].2 += Array(bytes)
            case .end: break
            }
        }
        offset = end
    }
    try parser.finish()
    return parts
}

private func formBody(boundary: String, file: [UInt8]) -> [UInt8] {
    Array("preamble\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--\(boundary)\r\n".utf8)
        + Array("Content-Disposition: form-data; name=\"file\"; filename=\"m.onnx\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        + file + Array("\r\n--\(boundary)--\r\nepilogue".utf8)
}

@Test func multipartParsesPartsInAnyChunking() throws {
    let boundary = "------------------------abc123"
    // Content that contains near-boundaries and CRLFs must come through intact.
    let file = Array("\r\n--------------------------abc12\r\n--x\r\n".utf8) + (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    let body = formBody(boundary: boundary, file: file)
    for chunk in [1, 2, 7, 31, 64, 1000, body.count] {
        let parts = try parse(body, boundary: boundary, chunk: chunk)
        #expect(parts.count == 2, "chunk \(chunk)")
        #expect(parts[0].0 == "note" && parts[0].2 == Array("hello".utf8), "chunk \(chunk)")
        #expect(parts[1].0 == "file" && parts[1].1 == "m.onnx", "chunk \(chunk)")
        #expect(parts[1].2 == file, "chunk \(chunk)")
    }
}

@Test func multipartExtractsBoundaryFromContentType() throws {
    #expect(try MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=xyz") == "xyz")
    #expect(try MultipartParser.boundary(fromContentType: "multipart/form-data; charset=utf-8; BOUNDARY=\"a b\"") == "a b")
    #expect(throws: MultipartError.missingBoundary) { try MultipartParser.boundary(fromContentType: "multipart/form-data") }
    #expect(throws: MultipartError.invalidBoundary) {
        try MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=" + String(repeating: "a", count: 71))
    }
    #expect(throws: MultipartError.invalidBoundary) { try MultipartParser(boundary: "") }
}

@Test func multipartRejectsMalformedBodies() throws {
    let boundary = "b"
    // Truncated: no closing boundary.
    #expect(throws: MultipartError.truncated) {
        try parse(Array("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".utf8), boundary: boundary, chunk: 4)
    }
    // No boundary at all.
    #expect(throws: MultipartError.truncated) { try parse(Array("just bytes".utf8), boundary: boundary, chunk: 3) }
    // Garbage after a boundary.
    #expect(throws: MultipartError.self) { try parse(Array("--bXY\r\n\r\n--b--".utf8), boundary: boundary, chunk: 100) }
    // Header line without a colon.
    #expect(throws: MultipartError.self) { try parse(Array("--b\r\nbogus\r\n\r\nx\r\n--b--".utf8), boundary: boundary, chunk: 100) }
    // Endless headers.
    let endless = Array("--b\r\n".utf8) + [UInt8](repeating: 65, count: 20_000)
    #expect(throws: MultipartError.self) { try parse(endless, boundary: boundary, chunk: 1000) }
}

@Test func multipartAcceptsPartsWithoutHeaders() throws {
    let parts = try parse(Array("--b\r\n\r\nraw\r\n\r\nmore\r\n--b--".utf8), boundary: "b", chunk: 3)
    #expect(parts.count == 1)
    #expect(parts[0].0 == nil)
    #expect(parts[0].2 == Array("raw\r\n\r\nmore".utf8))
}
