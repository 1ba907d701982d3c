import ArgumentParser
import FoundationEssentials
import SparrowHTTP

/// `sparrow http-bench-server`: the tiny JSON endpoint benchmarks/http_bench.sh measures.
struct HTTPBenchServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-bench-server",
        abstract: "Serve a tiny JSON endpoint for the HTTP benchmark (development).",
        shouldDisplay: false)

    @Option(help: "Port on 127.0.0.1 (0 picks one).") var port: Int = 8080
    @Option(help: "PEM certificate: serve TLS.") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?

    func run() throws {
        let router = Router()
        let json = Array(#"{"message":"Hello, World!"}"#.utf8)
        router.get("/json") { _ in .bytes(json, contentType: "application/json") }
        // A compressible ~8 KiB document for the gzip run.
        let doc = Array(String(repeating: #"{"id":12345,"name":"sparrow","tags":["a","b","c"]},"#, count: 160).utf8)
        router.get("/doc") { _ in .bytes(doc, contentType: "application/json") }
        var config = HTTPConfiguration(host: "127.0.0.1", port: port)
        config.accessLog = false
        if let tlsCert, let tlsKey { config.tls = TLSConfiguration(certificatePath: tlsCert, privateKeyPath: tlsKey) }
        let server = HTTPServer(configuration: config, responder: router)
        try server.start()
        // Unbuffered, so a parent process reading our stdout sees the port at once.
        Console.out("PORT \(server.port)\n")
        server.shutdownOnSignals(deadline: 2)
        server.waitUntilStopped()
    }
}
