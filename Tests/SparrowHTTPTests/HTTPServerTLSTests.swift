import Foundation
import Testing
import SparrowHTTP

/// Runs a command, returning its exit status and standard output.
@discardableResult
func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// TLS through OpenSSL, checked with the curl and openssl command-line tools.
@Suite(.serialized) struct HTTPServerTLSTests {
    let dir: String
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let made = try run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"])
        #expect(made.status == 0)
    }

    func server() throws -> HTTPServer {
        let router = Router()
        router.get("/hello") { _ in .text("hello over tls") }
        router.get("/big") { _ in .text(String(repeating: "0123456789abcdef", count: 64 * 1024)) }
        return try startServer(router) {
            $0.tls = TLSConfiguration(certificatePath: dir + "/cert.pem", privateKeyPath: dir + "/key.pem")
        }
    }

    @Test func curlOverTLS12And13WithALPN() throws {
        let server = try server()
        defer { server.shutdown(deadline: 1) }
        let url = "https://localhost:\(server.port)/hello"
        for version in ["--tlsv1.3", "--tlsv1.2"] {
            let r = try run(["curl", "-s", "--cacert", dir + "/cert.pem", version, "--http1.1", url])
            #expect(r.status == 0 && r.output == "hello over tls", "\(version)")
        }
        // Clients asking for h2 still get HTTP/1.1 through ALPN.
        let alpn = try run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_version}", "--cacert", dir + "/cert.pem", "--http2", url])
        #expect(alpn.output == "1.1")
        // TLS 1.1 and older are refused.
        let old = try run(["curl", "-s", "--cacert", dir + "/cert.pem", "--tlsv1.0", "--tls-max", "1.1", url])
        #expect(old.status != 0)
        // Large response over several TLS records and partial writes.
        let big = try run(["curl", "-s", "--cacert", dir + "/cert.pem", "https://localhost:\(server.port)/big"])
        #expect(big.output.utf8.count == 16 * 64 * 1024)
    }

    @Test func badKeyIsATypedError() throws {
        var config = HTTPConfiguration(port: 0)
        config.tls = TLSConfiguration(certificatePath: dir + "/cert.pem", privateKeyPath: dir + "/missing.pem")
        #expect(throws: TLSError.self) { try HTTPServer(configuration: config, responder: Router()).start() }
    }
}
