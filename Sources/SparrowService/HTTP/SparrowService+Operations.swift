import FoundationEssentials
import SparrowHTTP

extension SparrowService {
    func installOperationRoutes() {
        router.get("/healthz") { _ in .json(raw: #"{"status":"ok"}"#) }
        router.get("/metrics") { [core, metrics] _ in
            SparrowService.handle {
                var out = metrics.render()
                let counts = try core.catalog.jobCounts()
                out += "# HELP sparrow_jobs Jobs by status.\n# TYPE sparrow_jobs gauge\n"
                for status in JobStatus.allCases {
                    out += "sparrow_jobs{status=\"\(status.rawValue)\"} \(counts[status] ?? 0)\n"
                }
                out += "# HELP sparrow_job_queue_depth Jobs waiting for a worker.\n# TYPE sparrow_job_queue_depth gauge\n"
                out += "sparrow_job_queue_depth \(core.queueDepth)\n"
                out += "# HELP sparrow_job_workers_busy Workers running a job.\n# TYPE sparrow_job_workers_busy gauge\n"
                out += "sparrow_job_workers_busy \(core.busyWorkers)\n"
                out += "# HELP sparrow_job_workers Size of the worker pool.\n# TYPE sparrow_job_workers gauge\n"
                out += "sparrow_job_workers \(core.configuration.workers)\n"
                out += "# HELP sparrow_storage_bytes Bytes of stored models, datasets and artifacts.\n# TYPE sparrow_storage_bytes gauge\n"
                out += "sparrow_storage_bytes \(core.blobs.totalBytes())\n"
                out += "# HELP sparrow_models Registered models.\n# TYPE sparrow_models gauge\n"
                out += "sparrow_models \(try core.catalog.models().count)\n"
                out += "# HELP sparrow_loaded_model_versions Model versions loaded for inference.\n# TYPE sparrow_loaded_model_versions gauge\n"
                out += "sparrow_loaded_model_versions \(core.models.count)\n"
                return HTTPResponse.bytes(Array(out.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
            }
        }
        if let dir = core.configuration.publicDirectory {
            var isDirectory = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory {
                let files = StaticFiles(root: dir)
                router.mount("/", methods: [.get, .head], files)
                router.mount("/*", methods: [.get, .head], files)
            }
        }
    }

    /// With API keys configured, writes under /v1 and repository loads/unloads (and, with
    /// `authenticateInference`, all of /v2 but health) need `Authorization: Bearer KEY`.
    static func authorize(_ request: HTTPRequest, configuration: ServiceConfiguration) throws {
        guard !configuration.apiKeys.isEmpty else { return }
        let path = request.path
        // Loading and unloading models change the server's state as /v1 writes do.
        let isWrite = (path.hasPrefix("/v1/") && (request.method == .post || request.method == .delete
                                                  || request.method == .put || request.method == .patch))
            || (path.hasPrefix("/v2/repository/models/") && request.method == .post)
        let isInference = configuration.authenticateInference && path.hasPrefix("/v2/") && !path.hasPrefix("/v2/health/")
        guard isWrite || isInference else { return }
        guard let header = request.headers["Authorization"], header.count > 7,
              header.prefix(7).lowercased() == "bearer " else {
            throw HTTPError(.unauthorized, "this request needs Authorization: Bearer <api key>",
                            headers: ["WWW-Authenticate": "Bearer realm=\"sparrow\""])
        }
        let token = Array(header.dropFirst(7).trimmingOWS().utf8)
        // Compare against every key in constant time per key, so timing reveals nothing.
        var ok = false
        for key in configuration.apiKeys {
            let k = Array(key.utf8)
            var diff = UInt8(k.count == token.count ? 0 : 1)
            for i in 0..<k.count { diff |= k[i] ^ (i < token.count ? token[i] : 0) }
            if diff == 0 { ok = true }
        }
        guard ok else {
            throw HTTPError(.unauthorized, "invalid API key", headers: ["WWW-Authenticate": "Bearer realm=\"sparrow\", error=\"invalid_token\""])
        }
    }
}
