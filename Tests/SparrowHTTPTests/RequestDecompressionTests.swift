import Foundation
import Testing
import SparrowHTTP

/// Request bodies with Content-Encoding, through the whole connection (HTTPTestClient: raw bytes in
/// and out). The gzip input is the server's own response compression of a known text.
@Suite struct RequestDecompressionTests {
    static let text = Array(String(repeating: "compressible text ", count: 500).utf8)  // 9000 bytes

    static func client(limit: Int = 1 << 20, threshold: Int = 1 << 20, spool: String = NSTemporaryDirectory()) -> HTTPTestClient {
        var configuration = HTTPConfiguration()
        configuration.bodyMemoryThreshold = threshold
        configuration.spoolDirectory = spool
        let router = Router()
        router.use(RequestDecompression(limit: limit, configuration: configuration))
        router.get("/text") { _ in .bytes(RequestDecompressionTests.text, contentType: "text/plain") }
        router.post("/echo") { request in
            var response = HTTPResponse.bytes(try request.body.bytes(), contentType: "application/octet-stream")
            switch request.body {
            case .file(let path, _): response.headers.set("X-Spooled", path)
            default: response.headers.set("X-Spooled", "")
            }
            response.headers.set("X-Encoding", request.headers["Content-Encoding"] ?? "")
            response.headers.set("X-Length", request.headers["Content-Length"] ?? "")
            return response
        }
        return HTTPTestClient(responder: router, configuration: configuration)
    }

    /// The text gzipped by the server's response compression: a 10-byte header with no optional
    /// fields, raw deflate, then CRC-32 and size.
    static func gzipped() throws -> [UInt8] {
        let response = try client().request(.get, "/text", headers: ["Accept-Encoding": "gzip"])
        #expect(response.headers["Content-Encoding"] == "gzip")
        #expect(Array(response.body.prefix(4)) == [0x1f, 0x8b, 8, 0])
        return response.body
    }

    static func adler32(_ bytes: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        let sum = b << 16 | a
        return [UInt8(sum >> 24), UInt8(sum >> 16 & 0xff), UInt8(sum >> 8 & 0xff), UInt8(sum & 0xff)]
    }

    func post(_ body: [UInt8], encoding: String?, client: HTTPTestClient = RequestDecompressionTests.client()) throws -> HTTPTestResponse {
        var headers = HTTPHeaders()
        if let encoding { headers.set("Content-Encoding", encoding) }
        return try client.request(.post, "/echo", headers: headers, body: body)
    }

    @Test func gzipZlibAndRawDeflateBodiesReachTheHandlerDecoded() throws {
        let gzip = try Self.gzipped()
        let raw = Array(gzip[10..<(gzip.count - 8)])
        let zlib = [0x78, 0x9c] + raw + Self.adler32(Self.text)
        for (body, encoding) in [(gzip, "gzip"), (gzip, "x-gzip"), (gzip, "GZip"), (zlib, "deflate"), (raw, "deflate"),
                                 (gzip, "identity, gzip")] {
            let response = try post(body, encoding: encoding)
            #expect(response.status == 200, "\(encoding)")
            #expect(response.body == Self.text, "\(encoding)")
            #expect(response.headers["X-Encoding"] == "" && response.headers["X-Length"] == "9000", "\(encoding)")
        }
        // Two gzip members back to back decode to both texts (RFC 1952 §2.2).
        #expect(try post(gzip + gzip, encoding: "gzip").body == Self.text + Self.text)
        // No coding, or identity: the body is passed on as it came.
        #expect(try post(Array("plain".utf8), encoding: nil).text == "plain")
        #expect(try post(Array("plain".utf8), encoding: "identity").text == "plain")
        #expect(try post([], encoding: "gzip").status == 200)  // nothing to decode
    }

    @Test func corruptTruncatedOrTrailedBodiesAre400() throws {
        let gzip = try Self.gzipped()
        var flipped = gzip
        flipped[gzip.count - 5] ^= 0xff  // the stored size no longer matches
        for (body, name) in [(Array("not compressed at all".utf8), "garbage"), (Array(gzip.dropLast(20)), "truncated"),
                             (gzip + Array("tail".utf8), "trailing bytes"), (flipped, "bad trailer")] {
            let response = try post(body, encoding: "gzip")
            #expect(response.status == 400, "\(name)")
            #expect(response.text.contains("not valid gzip data"), "\(name)")
        }
    }

    @Test func aBodyThatDecodesPastTheLimitIs413() throws {
        let gzip = try Self.gzipped()
        let small = Self.client(limit: 8999)
        let response = try post(gzip, encoding: "gzip", client: small)
        #expect(response.status == 413)
        #expect(response.text.contains("more than 8999 bytes"))
        #expect(try post(gzip, encoding: "gzip", client: Self.client(limit: 9000)).status == 200)
    }

    @Test func otherCodingsAre415WithTheAcceptedOnes() throws {
        for encoding in ["br", "compress", "gzip, gzip", "zstd"] {
            let response = try post(Array("x".utf8), encoding: encoding)
            #expect(response.status == 415, "\(encoding)")
            #expect(response.headers["Accept-Encoding"] == "gzip, deflate", "\(encoding)")
        }
    }

    @Test func largeDecodedBodiesAreSpooledAndTheFileRemovedAfterwards() throws {
        let directory = NSTemporaryDirectory() + "decompression-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let gzip = try Self.gzipped()
        let response = try post(gzip, encoding: "gzip", client: Self.client(threshold: 1000, spool: directory))
        #expect(response.status == 200 && response.body == Self.text)
        let spooled = try #require(response.headers["X-Spooled"])
        #expect(spooled.hasPrefix(directory))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
