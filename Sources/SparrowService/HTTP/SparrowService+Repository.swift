import SparrowCompression
import SparrowHTTP

/// Triton's model repository extension. Sparrow's repository is its catalog: models arrive by
/// upload (`POST /v1/models`) and compression, so `load` only brings a model's newest version into
/// memory ahead of its first request, and `unload` lets the cache drop its versions.
extension SparrowService {
    func installRepositoryRoutes() {
        router.post("/v2/repository/index") { [core] request in
            SparrowService.handle {
                let readyOnly = try SparrowService.repositoryFlag(request, "ready") ?? false
                var index: [RepositoryEntry] = []
                for model in try core.catalog.models() {
                    for version in try core.catalog.versions(of: model.id) {
                        let loaded = core.models.isLoaded(modelID: model.id, version: version.version)
                        guard loaded || !readyOnly else { continue }
                        index.append(RepositoryEntry(name: model.name, version: String(version.version),
                                                     state: loaded ? "READY" : "UNAVAILABLE",
                                                     reason: loaded ? "" : "not loaded yet: loads on its first request"))
                    }
                }
                return try SparrowService.json(index)
            }
        }
        router.post("/v2/repository/models/{name}/load") { [core] request in
            SparrowService.handle {
                _ = try SparrowService.repositoryFlag(request, nil)
                _ = try core.servable(try core.resolve(request))  // no version in the path: the newest
                return .json(raw: "{}")
            }
        }
        router.post("/v2/repository/models/{name}/unload") { [core] request in
            SparrowService.handle {
                _ = try SparrowService.repositoryFlag(request, "unload_dependents")
                let target = try core.resolve(request)
                core.models.evict(modelID: target.model.id)
                return .json(raw: "{}")
            }
        }
    }

    /// A repository request body: empty or a JSON object, whose one known boolean (`ready` for the
    /// index, `unload_dependents` for unload) is returned. Load's `config` and file overrides are
    /// refused: Sparrow's models come from uploads.
    static func repositoryFlag(_ request: HTTPRequest, _ name: String?) throws -> Bool? {
        let body = try request.body.bytes()
        guard !body.isEmpty else { return nil }
        guard let root = try? JSONNode.parse(body), case .object(let fields) = root else {
            throw InferenceError.invalid("the request body must be a JSON object")
        }
        let parameters = try InferenceCodec.parametersObject(root, what: "the request")
        if let unsupported = parameters.keys.sorted().first(where: { $0 != name }) {
            throw InferenceError.invalid("parameter '\(unsupported)' is not supported: Sparrow loads the models uploaded to /v1/models")
        }
        if let name, let flag = try InferenceCodec.bool(parameters[name], "'\(name)'") { return flag }
        if let name { return try InferenceCodec.bool(fields[name], "'\(name)'") }
        return nil
    }
}

struct RepositoryEntry: Encodable {
    var name: String
    var version: String
    var state: String
    var reason: String
}
