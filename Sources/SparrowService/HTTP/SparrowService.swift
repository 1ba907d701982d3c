import FoundationEssentials
import Logging
import SparrowHTTP

/// `sparrow serve`: the REST API, the Open Inference Protocol and the web console over one
/// HTTP server, backed by `ServiceCore`.
public final class SparrowService: Sendable {
    public let core: ServiceCore
    public let metrics = RequestMetrics()
    public let router = Router()
    let server: HTTPServer

    public init(configuration: ServiceConfiguration, logger: Logger = Logger(label: "sparrow.service")) throws {
        core = try ServiceCore(configuration: configuration, logger: logger)
        var http = HTTPConfiguration(host: configuration.host, port: configuration.port)
        // The limit is checked against Content-Length before any byte is read (413); multipart
        // framing gets a little room on top of the file itself.
        http.limits.maxBodySize = configuration.maxUploadBytes + 64 * 1024
        let spool = configuration.dataDirectory + "/spool"
        try? FileManager.default.removeItem(atPath: spool)  // bodies of requests a crash cut off
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        http.spoolDirectory = spool
        http.headCheck = { [limit = configuration.maxUploadBytes] head in SparrowService.refusal(of: head, uploadLimit: limit) }
        if let cert = configuration.tlsCertificate, let key = configuration.tlsKey {
            http.tls = TLSConfiguration(certificatePath: cert, privateKeyPath: key)
        }
        server = HTTPServer(configuration: http, responder: router, logger: logger)
        server.onShutdown { [board = core.board] in board.close() }
        installRoutes(http: http)
    }

    /// Binds and starts serving; returns at once.
    public func start() throws {
        try server.start()
        core.logger.info("serving", metadata: ["port": "\(server.port)", "data_dir": "\(core.configuration.dataDirectory)"])
    }

    /// The bound port.
    public var port: Int { server.port }

    /// Stops accepting connections, lets running requests finish, then stops the job pool so that
    /// running jobs are re-queued for the next start.
    public func shutdown() {
        server.shutdown(deadline: core.configuration.shutdownGrace)
        core.shutdown()
    }

    /// After `start()`: blocks until SIGTERM or SIGINT, then shuts down gracefully (running jobs
    /// are interrupted and stay queued for the next start).
    public func waitForSignals() {
        server.shutdownOnSignals(deadline: core.configuration.shutdownGrace) { [core] in core.shutdown() }
        server.waitUntilStopped()
        core.shutdown()
    }
}

extension SparrowService {
    /// What a request's head alone already rules out, answered before any body byte (and before a
    /// `100 Continue`): an upload whose Content-Length passes the limit (multipart gets 64 KiB of
    /// framing on top), and a Content-Encoding the server cannot decode.
    static func refusal(of head: HTTPRequestHead, uploadLimit: Int) -> HTTPError? {
        let codings = RequestDecompression.codings(head.headers)
        if let refusal = RequestDecompression.refusal(of: codings) { return refusal }
        let path = HTTPRequest.split(target: head.target).path
        guard head.method == .post, path == "/v1/models" || path == "/v1/datasets", case .length(let length) = head.framing,
              codings.isEmpty else { return nil }
        let multipart = head.headers["Content-Type"]?.lowercased().hasPrefix("multipart/") ?? false
        guard length > uploadLimit + (multipart ? 64 * 1024 : 0) else { return nil }
        return HTTPError(.contentTooLarge, "the upload exceeds the limit of \(uploadLimit) bytes")
    }
}
