import Dispatch
import FoundationEssentials
import SparrowHTTP

extension SparrowService {
    /// Every route of the service. The REST API is under /v1, the Open Inference Protocol under
    /// /v2, operations at /metrics and /healthz, the console at /.
    func installRoutes(http: HTTPConfiguration) {
        router.use { [metrics] request, next in
            let start = DispatchTime.now().uptimeNanoseconds
            let response = try next(request)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            metrics.observe(method: request.method.rawValue, route: request.routePattern ?? "unmatched",
                            status: response.status.code, seconds: seconds)
            return response
        }
        router.use { [core] request, next in
            try SparrowService.authorize(request, configuration: core.configuration)
            return try next(request)
        }
        // After the key check, so that no one without a key makes the server decode anything.
        router.use(RequestDecompression(limit: core.configuration.maxUploadBytes + 64 * 1024, configuration: http))
        installModelRoutes()
        installDatasetRoutes()
        installJobRoutes()
        installArtifactRoutes()
        installInferenceRoutes()
        installOperationRoutes()
        ConsoleRoutes.register(on: router, core: core)
    }

    /// Runs a handler, turning service errors into `{"error": ...}` responses.
    static func handle(_ body: () throws -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch let error as ServiceError {
            var response = HTTPResponse.error(HTTPStatus(error.status), error.message)
            for (name, value) in error.headers { response.headers.set(name, value) }
            return response
        } catch let error as InferenceError {
            return HTTPResponse.error(HTTPStatus(error.status), error.message)
        } catch let error as HTTPError {
            return error.response
        } catch {
            return HTTPResponse.error(.internalServerError, "\(error)")
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> HTTPResponse {
        try HTTPResponse.json(value, status: status)
    }

    static func uploadBody(_ request: HTTPRequest) -> UploadBody {
        switch request.body {
        case .none: return .bytes([])
        case .memory(let bytes): return .bytes(bytes)
        case .file(let path, let size): return .file(path: path, size: size)
        }
    }

    static func parameter(_ request: HTTPRequest, _ name: String) -> String {
        request.pathParameters[name] ?? ""
    }

    func installModelRoutes() {
        router.post("/v1/models") { [core] request in
            SparrowService.handle {
                guard let name = request.queryValue("name") else {
                    throw ServiceError.badRequest("give the model a name: POST /v1/models?name=NAME")
                }
                let view = try core.createModel(name: name, body: SparrowService.uploadBody(request),
                                                contentType: request.headers["Content-Type"])
                var response = try SparrowService.json(view, status: .created)
                response.headers.set("Location", "/v1/models/\(view.id)")
                return response
            }
        }
        router.get("/v1/models") { [core] _ in
            SparrowService.handle { try SparrowService.json(ListView(items: try core.listModels())) }
        }
        router.get("/v1/models/{id}") { [core] request in
            SparrowService.handle { try SparrowService.json(try core.modelView(id: SparrowService.parameter(request, "id"))) }
        }
        router.delete("/v1/models/{id}") { [core] request in
            SparrowService.handle {
                try core.deleteModel(id: SparrowService.parameter(request, "id"))
                return HTTPResponse(status: .noContent)
            }
        }
    }

    func installDatasetRoutes() {
        router.post("/v1/datasets") { [core] request in
            SparrowService.handle {
                guard let name = request.queryValue("name") else {
                    throw ServiceError.badRequest("give the dataset a name: POST /v1/datasets?name=NAME")
                }
                let view = try core.createDataset(name: name, body: SparrowService.uploadBody(request),
                                                  contentType: request.headers["Content-Type"])
                var response = try SparrowService.json(view, status: .created)
                response.headers.set("Location", "/v1/datasets/\(view.id)")
                return response
            }
        }
        router.get("/v1/datasets") { [core] _ in
            SparrowService.handle { try SparrowService.json(ListView(items: try core.catalog.datasets().map(DatasetView.init))) }
        }
        router.get("/v1/datasets/{id}") { [core] request in
            SparrowService.handle { try SparrowService.json(DatasetView(try core.requireDataset(id: SparrowService.parameter(request, "id")))) }
        }
        router.delete("/v1/datasets/{id}") { [core] request in
            SparrowService.handle {
                try core.deleteDataset(id: SparrowService.parameter(request, "id"))
                return HTTPResponse(status: .noContent)
            }
        }
    }

    func installJobRoutes() {
        router.post("/v1/models/{id}/compress") { [core] request in
            SparrowService.handle {
                let body = try request.body.bytes()
                guard body.count <= 1 << 20 else { throw ServiceError(413, "a compression config is at most 1 MiB") }
                let job = try core.submitCompression(modelID: SparrowService.parameter(request, "id"), configBody: body)
                var response = try SparrowService.json(JobView(job), status: .accepted)
                response.headers.set("Location", "/v1/jobs/\(job.id)")
                return response
            }
        }
        router.get("/v1/jobs") { [core] request in
            SparrowService.handle {
                var status: JobStatus?
                if let raw = request.queryValue("status") {
                    guard let s = JobStatus(rawValue: raw) else {
                        throw ServiceError.badRequest("status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    status = s
                }
                var modelID: String?
                if let raw = request.queryValue("model_id") {
                    guard ResourceID.isValid(raw, kind: .model) else { throw ServiceError.badRequest("invalid model_id '\(raw)'") }
                    modelID = raw
                }
                let jobs = try core.catalog.jobs(status: status, modelID: modelID).map(core.jobView)
                return try SparrowService.json(ListView(items: jobs))
            }
        }
        router.get("/v1/jobs/{id}") { [core] request in
            SparrowService.handle { try SparrowService.json(core.jobView(try core.requireJob(id: SparrowService.parameter(request, "id")))) }
        }
        router.delete("/v1/jobs/{id}") { [core] request in
            SparrowService.handle { try SparrowService.json(core.jobView(try core.cancelJob(id: SparrowService.parameter(request, "id")))) }
        }
        router.get("/v1/jobs/{id}/events") { [core] request in
            SparrowService.handle {
                let job = try core.requireJob(id: SparrowService.parameter(request, "id"))
                return HTTPResponse.eventStream { writer in SparrowService.streamEvents(job: job, core: core, writer: writer) }
            }
        }
    }

    /// Sends the job's state now and on every change until it ends (or the client leaves).
    static func streamEvents(job: JobRecord, core: ServiceCore, writer: HTTPBodyWriter) {
        func send(_ record: JobRecord, event: String? = nil) -> Bool {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(core.jobView(record))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return writer.writeEvent(data: data, event: event ?? (record.status.isFinal ? "end" : "progress"))
        }
        var current = job
        var seen = core.board.snapshot(job.id)?.sequence ?? 0
        guard send(current) else { return }
        while !current.status.isFinal && !writer.isClosed {
            if core.board.isClosed {
                // The server is stopping: say so and end the stream; the job resumes at the next start.
                _ = send(current, event: "shutdown")
                break
            }
            if let snapshot = core.board.wait(for: job.id, after: seen, timeout: 15) {
                seen = snapshot.sequence
                if snapshot.status.isFinal, let stored = try? core.catalog.job(id: job.id) {
                    current = stored
                } else {
                    current.status = snapshot.status
                    current.stage = snapshot.stage
                    current.progress = snapshot.progress
                }
                guard send(current) else { return }
            } else {
                // Quiet period: a comment keeps proxies from closing the stream, and the stored
                // state catches a job that ended without a board update (e.g. its model was deleted).
                guard writer.write(": keep-alive\n\n") else { return }
                guard let stored = try? core.catalog.job(id: job.id) else { break }
                if stored.status.isFinal {
                    current = stored
                    guard send(current) else { return }
                }
            }
        }
        writer.finish()
    }

    func installArtifactRoutes() {
        router.get("/v1/artifacts/{id}") { [core] request in
            SparrowService.handle {
                let artifact = try core.requireArtifact(id: SparrowService.parameter(request, "id"))
                return try SparrowService.contentAddressedFile(core: core, digest: artifact.digest, request: request,
                                                               contentType: "application/octet-stream",
                                                               filename: "\(artifact.id).sparrow")
            }
        }
        router.get("/v1/artifacts/{id}/report") { [core] request in
            SparrowService.handle {
                let artifact = try core.requireArtifact(id: SparrowService.parameter(request, "id"))
                return .json(raw: artifact.report)
            }
        }
        router.get("/v1/artifacts/{id}/onnx") { [core] request in
            SparrowService.handle {
                let artifact = try core.requireArtifact(id: SparrowService.parameter(request, "id"))
                guard let digest = artifact.onnxDigest else { throw ServiceError.notFound("no decoded ONNX for \(artifact.id)") }
                return try SparrowService.contentAddressedFile(core: core, digest: digest, request: request,
                                                               contentType: "application/octet-stream",
                                                               filename: "\(artifact.id).onnx")
            }
        }
        router.get("/v1/artifacts/{id}/meta") { [core] request in
            SparrowService.handle {
                try SparrowService.json(ArtifactView(try core.requireArtifact(id: SparrowService.parameter(request, "id"))))
            }
        }
    }

    /// A stored file with its SHA-256 as a strong ETag; Range requests are served by `HTTPResponse.file`.
    static func contentAddressedFile(core: ServiceCore, digest: String, request: HTTPRequest, contentType: String,
                                     filename: String) throws -> HTTPResponse {
        let etag = "\"\(digest)\""
        if let inm = request.headers["If-None-Match"],
           inm.split(separator: ",").contains(where: { $0.trimmingOWS() == etag || $0.trimmingOWS() == "*" }) {
            return HTTPResponse(status: .notModified, headers: ["ETag": etag])
        }
        var forwarded = request
        forwarded.headers.remove("If-None-Match")
        if let ifRange = request.headers["If-Range"] {
            // Content-addressed files never change: the range applies exactly when the validator is ours.
            forwarded.headers.remove("If-Range")
            if ifRange.trimmingOWS() != etag { forwarded.headers.remove("Range") }
        }
        var response = try HTTPResponse.file(try core.blobs.path(of: digest), request: forwarded, contentType: contentType)
        response.headers.set("ETag", etag)
        response.headers.set("Content-Disposition", "attachment; filename=\"\(filename)\"")
        return response
    }
}

/// `{"items": [...]}` for list endpoints.
struct ListView<T: Encodable>: Encodable {
    var items: [T]
}
