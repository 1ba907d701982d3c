import ArgumentParser
import FoundationEssentials
import Logging
import SparrowService

/// `sparrow serve`: the HTTP service. Every option can also come from a `SPARROW_*` variable
/// (a flag given on the command line wins).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the REST API, the Open Inference Protocol (KServe v2) and the web console.")

    @Option(help: "Address to bind (SPARROW_HOST).") var host: String?
    @Option(help: "Port; 0 picks a free one, printed on stdout (SPARROW_PORT).") var port: Int?
    @Option(help: "Where models, datasets, artifacts and the catalog live (SPARROW_DATA_DIR).") var dataDir: String?
    @Option(help: "Job workers; default one per core (SPARROW_WORKERS).") var workers: Int?
    @Option(help: "Jobs that may wait before submissions answer 429 (SPARROW_QUEUE_LIMIT).") var queueLimit: Int?
    @Option(help: "An API key for writes; repeat for several (SPARROW_API_KEY, comma-separated).") var apiKey: [String] = []
    @Option(help: "A file of API keys, one per line or comma-separated, e.g. a Docker secret (SPARROW_API_KEY_FILE).")
    var apiKeyFile: String?
    @Flag(help: "Require the API key for inference too (SPARROW_AUTH_INFERENCE=1).") var authInference = false
    @Option(help: "PEM certificate: serve HTTPS (SPARROW_TLS_CERT).") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert (SPARROW_TLS_KEY).") var tlsKey: String?
    @Option(help: "Largest upload in MiB (SPARROW_MAX_UPLOAD_MB).") var maxUploadMb: Int?
    @Option(help: "Static files served at / (SPARROW_PUBLIC_DIR); default ./Public.") var publicDir: String?
    @Option(help: "Log format: text or json (SPARROW_LOG_FORMAT).") var logFormat: String?

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw CLIError("--tls-cert and --tls-key go together") }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        func value(_ flag: String?, _ name: String) -> String? { flag ?? env[name].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ flag: Int?, _ name: String) throws -> Int? {
            if let flag { return flag }
            guard let raw = env[name], !raw.isEmpty else { return nil }
            guard let n = Int(raw) else { throw CLIError("\(name) must be an integer, not '\(raw)'") }
            return n
        }

        var config = ServiceConfiguration()
        if let v = value(host, "SPARROW_HOST") { config.host = v }
        if let v = try number(port, "SPARROW_PORT") { config.port = v }
        if let v = value(dataDir, "SPARROW_DATA_DIR") { config.dataDirectory = v }
        if let v = try number(workers, "SPARROW_WORKERS") {
            guard v >= 1 else { throw CLIError("--workers must be at least 1") }
            config.workers = v
        }
        if let v = try number(queueLimit, "SPARROW_QUEUE_LIMIT") {
            guard v >= 0 else { throw CLIError("--queue-limit must not be negative") }
            config.queueLimit = v
        }
        config.apiKeys = apiKey.isEmpty ? APIKeys.parse(env["SPARROW_API_KEY"] ?? "") : apiKey
        if let path = value(apiKeyFile, "SPARROW_API_KEY_FILE") { config.apiKeys += try APIKeys.read(path) }
        config.authenticateInference = authInference || ["1", "true", "yes"].contains(env["SPARROW_AUTH_INFERENCE"]?.lowercased() ?? "")
        config.tlsCertificate = value(tlsCert, "SPARROW_TLS_CERT")
        config.tlsKey = value(tlsKey, "SPARROW_TLS_KEY")
        if (config.tlsCertificate == nil) != (config.tlsKey == nil) {
            throw CLIError("a TLS certificate and key go together")
        }
        if let v = try number(maxUploadMb, "SPARROW_MAX_UPLOAD_MB") {
            guard v >= 1 else { throw CLIError("--max-upload-mb must be at least 1") }
            config.maxUploadBytes = v << 20
        }
        config.publicDirectory = value(publicDir, "SPARROW_PUBLIC_DIR") ?? "Public"

        let format = value(logFormat, "SPARROW_LOG_FORMAT") ?? "text"
        guard ["text", "json"].contains(format) else { throw CLIError("--log-format is text or json") }
        LoggingSystem.bootstrap { label in
            format == "json" ? AnyLogHandler(JSONLogHandler(label: label)) : AnyLogHandler(StreamLogHandler.standardError(label: label))
        }

        let service = try SparrowService(configuration: config)
        try service.start()
        // Unbuffered, so a parent process reading stdout learns the port at once.
        Console.out("PORT \(service.port)\n")
        service.waitForSignals()
    }
}

/// Lets the bootstrap closure pick a handler type at run time.
struct AnyLogHandler: LogHandler {
    var base: any LogHandler
    init(_ base: any LogHandler) { self.base = base }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }
    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        base.log(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line)
    }
}
