/// A parsed request line and header block, with the framing decided from them.
public struct HTTPRequestHead: Sendable {
    public enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    public var method: HTTPMethod
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: Framing
    /// Whether the connection may stay open after this request (version default and Connection).
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent with a body.
    public var expectsContinue: Bool
}

/// What the parser yields, in order: one head, body pieces, then the end (with trailers).
public enum HTTPRequestPart: Sendable {
    case head(HTTPRequestHead)
    case body([UInt8])
    case end(trailers: HTTPHeaders)
}

/// A request the parser refuses, with the status to answer. After one the connection closes.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String
    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { "\(status.code) \(message)" }
}
