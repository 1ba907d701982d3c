import ArgumentParser
import FoundationEssentials
import Glibc
import SparrowHTTP

/// `sparrow http-test-server`: endpoints the Python HTTP tests drive over loopback.
struct HTTPTestServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-test-server",
        abstract: "Serve test endpoints for Tests/python/test_http_*.py (development).",
        shouldDisplay: false)

    @Option(help: "Port (0 picks one; printed as 'PORT n').") var port: Int = 0
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Directory served under /static/.") var staticDir: String?
    @Option(help: "PEM certificate: serve TLS.") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Header timeout, seconds.") var headerTimeout: Double = 2
    @Option(help: "Body idle timeout, seconds.") var bodyTimeout: Double = 2
    @Option(help: "Keep-alive idle timeout, seconds.") var idleTimeout: Double = 5
    @Option(help: "Largest request body, bytes.") var maxBody: Int = 1 << 30
    @Option(help: "Open connections allowed.") var maxConnections: Int = 4096

    func run() throws {
        let router = Router()
        router.get("/hello") { _ in .text("hello\n") }
        router.get("/json") { _ in .json(raw: #"{"message":"Hello, World!"}"#) }
        router.get("/big") { _ in .text(String(repeating: "sparrow compresses networks\n", count: 2000)) }
        router.get("/items/{id}") { request in
            .json(raw: #"{"id":"# + "\"\(request.pathParameters["id"] ?? "")\"" + #","route":"\#(request.routePattern ?? "")"}"#)
        }
        router.post("/echo") { request in
            let kind = switch request.body { case .none: "none"; case .memory: "memory"; case .file: "file" }
            var response = HTTPResponse.bytes(try request.body.bytes(), contentType: "application/octet-stream")
            response.headers.set("X-Body-Kind", kind)
            response.headers.set("X-Body-Size", String(request.body.count))
            return response
        }
        router.post("/upload") { request in
            // Reports where the body went without reading it into memory.
            let kind = switch request.body { case .none: "none"; case .memory: "memory"; case .file: "file" }
            return .json(raw: #"{"kind":"\#(kind)","size":\#(request.body.count)}"#)
        }
        router.get("/events") { request in
            let count = Int(request.queryValue("count") ?? "3") ?? 3
            return .eventStream { writer in
                for i in 0..<count {
                    guard writer.writeEvent(data: "tick \(i)", id: String(i)) else { return }
                    usleep(20_000)
                }
                writer.finish()
            }
        }
        router.get("/slow") { request in
            usleep(UInt32((Double(request.queryValue("ms") ?? "200") ?? 200) * 1000))
            return .text("slow done\n")
        }
        if let staticDir { router.mount("/static/*", methods: [.get, .head], StaticFiles(root: staticDir)) }

        var config = HTTPConfiguration(host: host, port: port)
        config.timeouts.header = headerTimeout
        config.timeouts.bodyIdle = bodyTimeout
        config.timeouts.keepAliveIdle = idleTimeout
        config.timeouts.sweepInterval = 0.05
        config.limits.maxBodySize = maxBody
        config.maxConnections = maxConnections
        config.bodyMemoryThreshold = 64 * 1024
        if let tlsCert, let tlsKey { config.tls = TLSConfiguration(certificatePath: tlsCert, privateKeyPath: tlsKey) }
        let server = HTTPServer(configuration: config, responder: router)
        try server.start()
        // Unbuffered, so a parent process reading our stdout sees the port at once.
        Console.out("PORT \(server.port)\n")
        server.shutdownOnSignals(deadline: 5)
        server.waitUntilStopped()
    }
}
