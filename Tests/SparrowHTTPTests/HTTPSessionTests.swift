import Foundation
import Testing
import SparrowHTTP

/// The connection state machine through `HTTPTestClient`: raw bytes in, raw bytes out.
@Suite struct HTTPSessionTests {
    static func router() -> Router {
        let router = Router()
        router.get("/hello") { _ in .text("hello") }
        router.get("/big") { _ in .text(String(repeating: "compressible text ", count: 500)) }
        router.post("/echo") { request in
            var response = HTTPResponse.bytes(try request.body.bytes(), contentType: "application/octet-stream")
            let kind = switch request.body { case .none: "none"; case .memory: "memory"; case .file: "file" }
            response.headers.set("X-Kind", kind)
            response.headers.set("X-Trailer", request.trailers["X-Sum"] ?? "")
            return response
        }
        router.get("/events") { _ in
            .eventStream { writer in
                for i in 0..<3 { writer.writeEvent(data: "e\(i)") }
                writer.finish()
            }
        }
        return router
    }

    let client = HTTPTestClient(responder: HTTPSessionTests.router())

    @Test func keepAliveAndPipelinedOrder() throws {
        let raw = "GET /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /events HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        let result = client.exchange(raw)
        let responses = try HTTPTestResponse.parseAll(result.output)
        #expect(responses.map(\.status) == [200, 200, 200])
        #expect(responses[0].text == "hello")
        #expect(responses[1].text == "data: e0\n\ndata: e1\n\ndata: e2\n\n")
        #expect(responses[1].headers["Transfer-Encoding"] == "chunked")
        #expect(responses[2].text == "abc")
        #expect(!result.closed)
    }

    @Test func http10ClosesAfterResponse() throws {
        let result = client.exchange("GET /hello HTTP/1.0\r\n\r\n")
        #expect(result.closed)
        #expect(result.responses.first?.headers["Connection"] == "close")
    }

    @Test func http10StreamIsCloseDelimited() {
        let result = client.exchange("GET /events HTTP/1.0\r\n\r\n")
        let text = String(decoding: result.output, as: UTF8.self)
        #expect(!text.contains("Transfer-Encoding"))
        #expect(text.hasSuffix("\r\n\r\ndata: e0\n\ndata: e1\n\ndata: e2\n\n"))
        #expect(result.closed)
    }

    @Test func framingErrorAnswersJSONAndCloses() throws {
        let result = client.exchange("GET /hello HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let responses = try HTTPTestResponse.parseAll(result.output)
        #expect(responses.map(\.status) == [200, 400])
        #expect(responses[1].headers["Content-Type"] == "application/json")
        #expect(responses[1].text.hasPrefix(#"{"error":""#))
        #expect(result.closed)
    }

    @Test func oversizedBodyRefusedWithoutContinue() throws {
        var config = HTTPConfiguration()
        config.limits.maxBodySize = 100
        let client = HTTPTestClient(responder: Self.router(), configuration: config)
        let result = client.exchange("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n")
        let responses = try HTTPTestResponse.parseAll(result.output)
        #expect(responses.map(\.status) == [413])
        #expect(result.closed)
    }

    @Test func aHeadCheckAnswersBeforeContinueOrBody() throws {
        var config = HTTPConfiguration()
        config.headCheck = { head in
            head.target.hasPrefix("/echo?small") && head.framing != .none && head.framing != .length(3)
                ? HTTPError(.contentTooLarge, "too big for this route") : nil
        }
        let client = HTTPTestClient(responder: Self.router(), configuration: config)
        let refused = client.exchange("POST /echo?small HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n")
        let responses = try HTTPTestResponse.parseAll(refused.output)
        #expect(responses.map(\.status) == [413] && responses[0].text.contains("too big for this route"))
        #expect(refused.closed)
        let passed = client.exchange("POST /echo?small HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try HTTPTestResponse.parseAll(passed.output).map(\.status) == [100, 200])
    }

    @Test func expectContinueSendsInterimResponse() throws {
        let result = client.exchange([Array("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8), Array("ok".utf8)])
        let responses = try HTTPTestResponse.parseAll(result.output)
        #expect(responses.map(\.status) == [100, 200])
        #expect(responses[1].text == "ok")
    }

    @Test func chunkedBodyAndTrailersReachHandler() throws {
        let raw = "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n"
        let response = try #require(client.exchange(raw).responses.first)
        #expect(response.text == "abc")
        #expect(response.headers["X-Trailer"] == "9")
    }

    @Test func largeBodySpooledToFile() throws {
        var config = HTTPConfiguration()
        config.bodyMemoryThreshold = 1000
        let client = HTTPTestClient(responder: Self.router(), configuration: config)
        let body = (0..<5000).map { UInt8($0 % 251) }
        let small = try client.request(.post, "/echo", body: Array(body[..<1000]))
        #expect(small.headers["X-Kind"] == "memory")
        // Sent in uneven pieces to cross the threshold mid-stream.
        let head = Array("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n".utf8)
        let result = client.exchange([head, Array(body[..<700]), Array(body[700..<3000]), Array(body[3000...])])
        let response = try #require(result.responses.first)
        #expect(response.headers["X-Kind"] == "file")
        #expect(response.body == body)
    }

    @Test func spoolFileRemovedAfterResponse() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = HTTPConfiguration()
        config.bodyMemoryThreshold = 10
        config.spoolDirectory = dir
        let router = Router()
        let seen = Locked<String?>(nil)
        router.post("/up") { request in
            if case .file(let path, _) = request.body { seen.set(path) }
            return .text("ok")
        }
        _ = try HTTPTestClient(responder: router, configuration: config).request(.post, "/up", body: Array(repeating: 7, count: 100))
        let path = try #require(seen.get())
        #expect(path.hasPrefix(dir))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func headGetsHeadersOnly() throws {
        let result = client.exchange("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let text = String(decoding: result.output, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.components(separatedBy: "Content-Length: 5\r\n").count == 3)
        #expect(text.components(separatedBy: "hello").count == 2)  // only the GET carries the body
    }

    @Test func gzipFollowsAcceptEncoding() throws {
        let plain = try client.request(.get, "/big")
        #expect(plain.headers["Content-Encoding"] == nil)
        #expect(plain.headers["Vary"] == "Accept-Encoding")
        let gz = try client.request(.get, "/big", headers: ["Accept-Encoding": "br;q=1, gzip;q=0.5"])
        #expect(gz.headers["Content-Encoding"] == "gzip")
        #expect(gz.body.count < plain.body.count)
        #expect(gz.body.starts(with: [0x1f, 0x8b]))
        let refused = try client.request(.get, "/big", headers: ["Accept-Encoding": "gzip;q=0, *"])
        #expect(refused.headers["Content-Encoding"] == nil)
        let star = try client.request(.get, "/big", headers: ["Accept-Encoding": "*"])
        #expect(star.headers["Content-Encoding"] == "gzip")
        let small = try client.request(.get, "/hello", headers: ["Accept-Encoding": "gzip"])
        #expect(small.headers["Content-Encoding"] == nil)
    }

}

/// A value behind a lock, for handlers that report to tests.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: Value) { lock.lock(); value = v; lock.unlock() }
}
