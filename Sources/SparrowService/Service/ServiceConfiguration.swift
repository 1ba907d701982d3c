import FoundationEssentials

/// Everything `sparrow serve` is told, by flags or `SPARROW_*` environment variables.
public struct ServiceConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    public var dataDirectory = "./data"
    /// Job workers; defaults to one per core.
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Jobs that may wait for a worker before submissions answer 429.
    public var queueLimit = 64
    /// Bearer tokens that authorise writes; empty means no authentication.
    public var apiKeys: [String] = []
    /// Also require a key for inference and model metadata under /v2.
    public var authenticateInference = false
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var maxUploadBytes = 1024 << 20
    /// Static files served at `/` (the web console); nil or missing serves nothing there.
    public var publicDirectory: String? = "Public"
    /// How often a running job that the server restarted under may be started again.
    public var maxAttempts = 3
    /// Seconds a graceful shutdown waits for running jobs to stop.
    public var shutdownGrace: Double = 10
    /// Seconds to wait for another server holding the data directory (one still shutting down).
    public var dataDirectoryLockWait: Double = 15

    public init() {}
}
