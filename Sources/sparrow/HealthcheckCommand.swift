import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `sparrow healthcheck`: exit 0 when the server answers 200 on /v2/health/ready, 1 otherwise.
/// The container's HEALTHCHECK runs it (no curl in the image), so by default it reads the same
/// SPARROW_* environment the server is configured with: port, and TLS when a certificate is set.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Probe a running server's readiness (exit 0 = ready); for container health checks.")

    @Option(help: "Host to probe (default: $SPARROW_HOST, with 0.0.0.0/:: meaning loopback, else 127.0.0.1).")
    var host: String?

    @Option(help: "Port (default: $SPARROW_PORT, else 8080).")
    var port: Int?

    @Flag(inversion: .prefixedNo, help: "Speak TLS (default: on when $SPARROW_TLS_CERT is set).")
    var tls: Bool?

    @Option(help: "Path that must answer 200.")
    var path = "/v2/health/ready"

    @Option(help: "Seconds allowed for each of connect, send and receive.")
    var timeout: Double = 3

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw CLIError("--port must be 1...65535") }
        guard timeout > 0, timeout <= 300 else { throw CLIError("--timeout must be in (0, 300]") }
        guard path.hasPrefix("/") else { throw CLIError("--path must start with /") }
    }

    func run() throws {
        let env = { (name: String) -> String? in getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        var target = host ?? env("SPARROW_HOST") ?? "127.0.0.1"
        if target == "0.0.0.0" { target = "127.0.0.1" }
        if target == "::" { target = "::1" }
        let port = port ?? env("SPARROW_PORT").map { Int($0) ?? -1 } ?? 8080
        guard (1...65535).contains(port) else { throw CLIError("SPARROW_PORT is not a port number") }
        let probe = HealthProbe(host: target, port: port, tls: tls ?? (env("SPARROW_TLS_CERT") != nil), timeout: timeout)
        do {
            let status = try probe.status(of: path)
            guard status == 200 else {
                print("unhealthy: \(path) answered \(status)")
                throw ExitCode(1)
            }
            print("ready")
        } catch let failure as HealthProbe.Failure {
            print("unhealthy: \(failure)")
            throw ExitCode(1)
        }
    }
}
