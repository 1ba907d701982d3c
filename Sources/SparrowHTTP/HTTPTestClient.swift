import Dispatch
import FoundationEssentials
import Glibc

/// Drives the server's connection state machine in process, without sockets: raw request bytes
/// in (split however a test likes), raw response bytes out. Handlers, limits, pipelining,
/// streaming and compression behave exactly as on a live connection.
public final class HTTPTestClient: Sendable {
    public let responder: any HTTPResponder
    public let configuration: HTTPConfiguration

    public init(responder: any HTTPResponder, configuration: HTTPConfiguration = HTTPConfiguration()) {
        self.responder = responder
        var configuration = configuration
        configuration.accessLog = false
        self.configuration = configuration
    }

    /// What one connection wrote back, and whether the server closed it afterwards.
    public struct Exchange: Sendable {
        public var output: [UInt8]
        public var closed: Bool
        public var responses: [HTTPTestResponse] { (try? HTTPTestResponse.parseAll(output)) ?? [] }
    }

    /// Feeds `pieces` one after another into a fresh connection, waits for streamed responses to
    /// finish (up to `timeout` seconds) and returns the output.
    public func exchange(_ pieces: [[UInt8]], timeout: Double = 5) -> Exchange {
        let queue = DispatchQueue(label: "sparrow.http.test-connection")
        let session = HTTPSession(configuration: configuration, responder: responder, queue: queue,
                                  remoteAddress: "test", logger: nil)
        var output: [UInt8] = []
        func drain() {
            _ = session.output.drain { bytes in output.append(contentsOf: bytes); return bytes.count }
            session.outputProgressed()
        }
        for piece in pieces {
            queue.sync {
                piece.withUnsafeBytes { session.receive($0) }
                drain()
            }
        }
        let end = Date().addingTimeInterval(timeout)
        while queue.sync(execute: { drain(); return session.isBusy }) && Date() < end { usleep(1000) }
        let closed = queue.sync { session.closeAfterOutput || session.isClosed }
        return Exchange(output: output, closed: closed)
    }

    /// Sends raw text in one piece.
    public func exchange(_ raw: String, timeout: Double = 5) -> Exchange { exchange([Array(raw.utf8)], timeout: timeout) }

    /// One request through a fresh connection; returns the parsed response.
    public func request(_ method: HTTPMethod, _ target: String, headers: HTTPHeaders = HTTPHeaders(),
                        body: [UInt8] = []) throws -> HTTPTestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == .post || method == .put { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let result = exchange([Array(head.utf8) + body])
        let responses = try HTTPTestResponse.parseAll(result.output, headRequest: method == .head)
        guard let last = responses.last else { throw HTTPError(.badRequest, "no response") }
        return last
    }
}

/// A response parsed from raw bytes (for tests; accepts Content-Length and chunked bodies).
public struct HTTPTestResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }

    public struct Malformed: Error {}

    /// Every response in `bytes`, interim (1xx) ones included.
    public static func parseAll(_ bytes: [UInt8], headRequest: Bool = false) throws -> [HTTPTestResponse] {
        var responses: [HTTPTestResponse] = []
        var i = 0
        func line() throws -> String {
            guard let lf = bytes[i...].firstIndex(of: 10) else { throw Malformed() }
            defer { i = lf + 1 }
            return String(decoding: bytes[i..<(lf > i && bytes[lf - 1] == 13 ? lf - 1 : lf)], as: UTF8.self)
        }
        while i < bytes.count {
            let statusLine = try line().split(separator: " ", maxSplits: 2)
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Malformed() }
            var headers = HTTPHeaders()
            while true {
                let l = try line()
                if l.isEmpty { break }
                guard let colon = l.firstIndex(of: ":") else { throw Malformed() }
                headers.add(String(l[..<colon]), l[l.index(after: colon)...].trimmingOWS())
            }
            var body: [UInt8] = []
            if status >= 200 && status != 204 && status != 304 && !headRequest {
                if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
                    while true {
                        guard let size = Int(try line().split(separator: ";").first ?? "", radix: 16),
                              i + size <= bytes.count else { throw Malformed() }
                        body += bytes[i..<i + size]
                        i += size
                        if size == 0 { while try !line().isEmpty {}; break }
                        _ = try line()
                    }
                } else {
                    let length = Int(headers["Content-Length"] ?? "0") ?? 0
                    guard i + length <= bytes.count else { throw Malformed() }
                    body = Array(bytes[i..<i + length])
                    i += length
                }
            }
            responses.append(HTTPTestResponse(status: status, headers: headers, body: body))
        }
        return responses
    }
}
