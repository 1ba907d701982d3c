import FoundationEssentials

/// A response a handler returns. The server adds Content-Length or Transfer-Encoding, Date and
/// Connection; handlers set the rest.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case empty
        case bytes([UInt8])
        /// `length` bytes of the file at `path` from `offset` (see `HTTPResponse.file(...)` for
        /// Range and ETag handling). The file is read as the client drains it.
        case file(path: String, offset: Int, length: Int)
        /// Chunked and written over time: the closure runs on its own thread and may keep the
        /// writer to call from any thread until it calls `finish()`.
        case stream(@Sendable (HTTPBodyWriter) -> Void)
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body
    /// The route pattern that produced this response (set by the router) for metrics labels.
    public var routePattern: String?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with `bytes` and a Content-Type.
    public static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(bytes))
    }

    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        bytes(Array(text.utf8), contentType: "text/plain; charset=utf-8", status: status)
    }

    /// Raw JSON text as the body.
    public static func json(raw: String, status: HTTPStatus = .ok) -> HTTPResponse {
        bytes(Array(raw.utf8), contentType: "application/json", status: status)
    }

    /// `value` encoded with JSONEncoder (sorted keys, so output is stable).
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return bytes([UInt8](try encoder.encode(value)), contentType: "application/json", status: status)
    }

    /// `{"error": message}` with `status`.
    public static func error(_ status: HTTPStatus, _ message: String) -> HTTPResponse {
        json(raw: #"{"error":"# + JSONString.quote(message) + "}", status: status)
    }

    /// Server-sent events (`text/event-stream`), written over time through the writer.
    public static func eventStream(_ produce: @escaping @Sendable (HTTPBodyWriter) -> Void) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
                     body: .stream(produce))
    }
}

enum JSONString {
    /// A JSON string literal for `s`, quotes included.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
