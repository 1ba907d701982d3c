import FoundationEssentials

/// A complete request as handlers see it.
public struct HTTPRequest: Sendable {
    /// The request body: absent, held in memory, or spooled to a temporary file (large uploads).
    /// A spooled file belongs to the server until the response is written: a handler may move or
    /// rename it; whatever is left at that path afterwards is deleted.
    public enum Body: Sendable, Equatable {
        case none
        case memory([UInt8])
        case file(path: String, size: Int)

        public var count: Int {
            switch self {
            case .none: 0
            case .memory(let bytes): bytes.count
            case .file(_, let size): size
            }
        }

        /// The whole body in memory (reads a spooled file). Use only where the size is bounded.
        public func bytes() throws -> [UInt8] {
            switch self {
            case .none: return []
            case .memory(let bytes): return bytes
            case .file(let path, _):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw HTTPError(.internalServerError, "spooled request body is gone")
                }
                return [UInt8](data)
            }
        }
    }

    public var method: HTTPMethod
    /// The request target as sent (origin form: path and query, still percent-encoded).
    public var target: String
    /// The percent-decoded path, without the query.
    public var path: String
    /// Query items, percent-decoded ('+' read as space), in order; repeated names kept.
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: Body
    /// Trailer fields of a chunked body.
    public var trailers: HTTPHeaders
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: HTTPVersion
    /// Values captured by `{name}` segments of the matched route.
    public var pathParameters: [String: String] = [:]
    /// The matched route pattern ("/models/{id}"), set by the router before middleware runs, so a
    /// metrics middleware can label by route rather than by raw path.
    public var routePattern: String?
    /// The peer address ("127.0.0.1:54321"), when known.
    public var remoteAddress: String?

    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(),
                body: Body = .none, version: HTTPVersion = .http1_1) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.trailers = HTTPHeaders()
        self.version = version
        let (rawPath, rawQuery) = HTTPRequest.split(target: target)
        self.path = PercentDecoding.decode(rawPath, plusAsSpace: false) ?? rawPath
        self.query = rawQuery.map(PercentDecoding.queryItems) ?? []
    }

    /// The first query value named `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// The body decoded as JSON.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(body.bytes())) } catch let e as HTTPError {
            throw e
        } catch {
            throw HTTPError(.badRequest, "invalid JSON body: \(error)")
        }
    }

    /// A request target's path (still percent-encoded) and query.
    public static func split(target: String) -> (path: String, query: String?) {
        guard let q = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }
}

public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public let major: Int, minor: Int
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

enum PercentDecoding {
    /// Decodes %XX escapes; nil when an escape is malformed or the result is not UTF-8.
    static func decode(_ s: some StringProtocol, plusAsSpace: Bool) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                guard let h = it.next().flatMap(hex), let l = it.next().flatMap(hex) else { return nil }
                out.append(h << 4 | l)
            } else if plusAsSpace && c == UInt8(ascii: "+") {
                out.append(32)
            } else {
                out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }

    static func queryItems(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0], plusAsSpace: true) ?? String(parts[0])
            let value = parts.count > 1 ? (decode(parts[1], plusAsSpace: true) ?? String(parts[1])) : ""
            return (name, value)
        }
    }
}
