import FoundationEssentials
import SparrowHTTP

extension SparrowService {
    static let serverVersion = "0.1.0"

    /// The Open Inference Protocol (KServe v2) as Triton serves it over HTTP, with its binary
    /// tensor extension.
    func installInferenceRoutes() {
        router.get("/v2") { _ in
            .json(raw: #"{"name":"sparrow","version":"\#(SparrowService.serverVersion)","extensions":["binary_tensor_data","model_configuration","statistics","model_repository"]}"#)
        }
        router.get("/v2/health/live") { _ in .json(raw: "{}") }
        router.get("/v2/health/ready") { _ in .json(raw: "{}") }
        for suffix in ["", "/versions/{version}"] {
            let base = "/v2/models/{name}" + suffix
            router.get(base) { [core] request in
                SparrowService.handle {
                    let target = try core.resolve(request)
                    return try SparrowService.json(ModelMetadataView(target, allVersions: suffix.isEmpty))
                }
            }
            router.get(base + "/ready") { [core] request in
                SparrowService.handle {
                    let target = try core.resolve(request)
                    _ = try core.servable(target)
                    return .json(raw: "{}")
                }
            }
            router.get(base + "/config") { [core] request in
                SparrowService.handle { try SparrowService.json(ModelConfigView(try core.resolve(request))) }
            }
            router.post(base + "/infer") { [core] request in
                SparrowService.handle { try SparrowService.infer(request, core: core) }
            }
        }
        installStatisticsRoutes()
        installRepositoryRoutes()
    }

    static func infer(_ request: HTTPRequest, core: ServiceCore) throws -> HTTPResponse {
        let target = try core.resolve(request)
        let clock = ContinuousClock()
        let start = clock.now
        let (id, version) = (target.model.id, target.version.version)
        do {
            var headerLength: Int?
            if let raw = request.headers["Inference-Header-Content-Length"] {
                guard let n = Int(raw.trimmingOWS()) else {
                    throw InferenceError.invalid("Inference-Header-Content-Length must be an integer")
                }
                headerLength = n
            }
            let decoded = try InferenceCodec.decodeRequest(try request.body.bytes(), headerLength: headerLength)
            let model = try core.servable(target)
            let decodedAt = clock.now
            let outputs = try model.infer(decoded)
            let inferredAt = clock.now
            let encoded = InferenceCodec.encodeResponse(InferenceResponse(
                modelName: target.model.name, modelVersion: String(version), id: decoded.id, outputs: outputs))
            var response = HTTPResponse.bytes(encoded.body, contentType: encoded.contentType)
            if let headerLength = encoded.headerLength {
                response.headers.set("Inference-Header-Content-Length", String(headerLength))
            }
            let end = clock.now
            // One execution per request: the models declare no batching (max_batch_size 0).
            core.statistics.recordSuccess(modelID: id, version: version, batch: 1,
                                          input: nanoseconds(decodedAt - start), infer: nanoseconds(inferredAt - decodedAt),
                                          output: nanoseconds(end - inferredAt), total: nanoseconds(end - start))
            return response
        } catch {
            core.statistics.recordFailure(modelID: id, version: version, total: nanoseconds(clock.now - start))
            throw error
        }
    }

    static func nanoseconds(_ d: Duration) -> UInt64 {
        let (seconds, attoseconds) = d.components
        return UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}

/// A resolved `/v2/models/{name}[/versions/{v}]`.
struct InferenceTarget {
    var model: ModelRecord
    var version: ModelVersionRecord
    var versions: [ModelVersionRecord]
}

extension ServiceCore {
    func resolve(_ request: HTTPRequest) throws -> InferenceTarget {
        let name = request.pathParameters["name"] ?? ""
        guard let model = try catalog.model(named: name) else {
            throw InferenceError(.notFound, "unknown model '\(name)'")
        }
        let versions = try catalog.versions(of: model.id)
        let chosen: ModelVersionRecord?
        if let raw = request.pathParameters["version"] {
            guard let number = Int(raw), number > 0 else { throw InferenceError.invalid("version must be a positive integer, not '\(raw)'") }
            chosen = versions.first { $0.version == number }
            guard chosen != nil else { throw InferenceError(.notFound, "model '\(name)' has no version \(number)") }
        } else {
            chosen = versions.last
        }
        guard let version = chosen else { throw InferenceError(.unavailable, "model '\(name)' has no version") }
        return InferenceTarget(model: model, version: version, versions: versions)
    }

    /// The loaded model for a version: the uploaded ONNX (dense) or the compressed artifact.
    func servable(_ target: InferenceTarget) throws -> ServableModel {
        let v = target.version
        do {
            return try models.model(id: v.modelID, version: v.version) {
                let bytes = try blobs.read(v.digest)
                switch v.kind {
                case .dense: return try ServableModel(onnx: bytes)
                case .sparse: return try ServableModel(artifact: bytes)
                }
            }
        } catch {
            throw InferenceError(.unavailable, "model '\(target.model.name)' version \(v.version) cannot be loaded: \(error)")
        }
    }
}

struct ModelMetadataView: Encodable {
    var name: String
    var versions: [String]
    var platform: String
    var inputs: [TensorSpec]
    var outputs: [TensorSpec]

    init(_ target: InferenceTarget, allVersions: Bool) {
        name = target.model.name
        versions = allVersions ? target.versions.map { String($0.version) } : [String(target.version.version)]
        platform = target.version.kind == .dense ? "sparrow_dense" : "sparrow_sparse"
        inputs = target.version.inputs
        outputs = target.version.outputs
    }
}

/// Triton's model configuration, in the shape tritonclient's `get_model_config` returns.
struct ModelConfigView: Encodable {
    struct IO: Encodable {
        var name: String
        var dataType: String
        var dims: [Int]
        enum CodingKeys: String, CodingKey { case name, dims, dataType = "data_type" }
    }

    var name: String
    var platform: String
    var backend: String
    var maxBatchSize = 0
    var input: [IO]
    var output: [IO]

    enum CodingKeys: String, CodingKey {
        case name, platform, backend, input, output
        case maxBatchSize = "max_batch_size"
    }

    init(_ target: InferenceTarget) {
        name = target.model.name
        platform = target.version.kind == .dense ? "sparrow_dense" : "sparrow_sparse"
        backend = "sparrow"
        input = target.version.inputs.map { IO(name: $0.name, dataType: "TYPE_" + $0.datatype, dims: $0.shape) }
        output = target.version.outputs.map { IO(name: $0.name, dataType: "TYPE_" + $0.datatype, dims: $0.shape) }
    }
}
