import FoundationEssentials

/// Everything that shapes a server: where it listens, its limits, timeouts, TLS and compression.
public struct HTTPConfiguration: Sendable {
    /// "127.0.0.1", "::1", "0.0.0.0", "::" (dual stack) or "localhost".
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; read the bound one from `HTTPServer.port`.
    public var port: Int = 8080
    public var backlog: Int32 = 1024
    public var limits = HTTPParserLimits()
    public var timeouts = HTTPTimeouts()
    /// Connections beyond this are answered 503 and closed.
    public var maxConnections: Int = 4096
    /// Request bodies up to this size stay in memory; larger ones are spooled to a file.
    public var bodyMemoryThreshold: Int = 1 << 20
    /// Where spooled request bodies go (a handler can rename them within the same file system).
    public var spoolDirectory: String = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    public var tls: TLSConfiguration?
    public var compression = CompressionConfiguration()
    /// Judges a request from its head alone, before a `100 Continue` or any body byte: an error
    /// returned here is the answer (and the connection closes), so limits the handler would apply
    /// to the body anyway cost the client no upload.
    public var headCheck: (@Sendable (HTTPRequestHead) -> HTTPError?)?
    /// Log one line per request through swift-log (label "sparrow.http.access").
    public var accessLog: Bool = true

    public init() {}
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }
}

/// Parser limits (RFC 9112 leaves them to the server).
public struct HTTPParserLimits: Sendable {
    /// Longer request lines answer 414.
    public var maxRequestLineLength: Int = 8 * 1024
    /// Larger header blocks (fields and trailers) answer 431.
    public var maxHeaderBytes: Int = 64 * 1024
    /// More fields answer 431.
    public var maxHeaderCount: Int = 100
    /// Larger bodies answer 413, from Content-Length before any body byte is read.
    public var maxBodySize: Int = 1 << 30
    public init() {}
}

/// Timeouts, in seconds.
public struct HTTPTimeouts: Sendable {
    /// From the first byte of a request to the end of its header block; then 408 and close.
    public var header: Double = 10
    /// Longest pause between body bytes; then 408 and close.
    public var bodyIdle: Double = 30
    /// An idle keep-alive connection (no request started) is closed silently after this.
    public var keepAliveIdle: Double = 60
    /// A client that reads none of a pending response for this long is dropped.
    public var writeIdle: Double = 60
    /// How often deadlines are checked (bounds their precision).
    public var sweepInterval: Double = 0.25
    public init() {}
}

public struct TLSConfiguration: Sendable {
    public var certificatePath: String
    public var privateKeyPath: String
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

public struct CompressionConfiguration: Sendable {
    public var enabled: Bool = true
    /// Smaller bodies go out as they are.
    public var minimumSize: Int = 1024
    /// zlib level 1...9.
    public var level: Int32 = 6
    public init() {}
}
