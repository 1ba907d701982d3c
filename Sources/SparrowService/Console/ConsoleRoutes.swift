import SparrowHTTP

/// The two read-only routes the web console needs beyond the REST resources:
///   GET /v1/models/{id}/layers            → {"layers": [ModelLayer]}
///   GET /v1/artifacts/{id}/histograms?bins=N (default 80) → {"layers": [WeightHistogram]}
public enum ConsoleRoutes {
    public static func register(on router: Router, core: ServiceCore) {
        router.get("/v1/models/{id}/layers") { request in
            try respond { try .json(Layers(layers: core.modelLayers(id: request.pathParameters["id"] ?? ""))) }
        }
        router.get("/v1/artifacts/{id}/histograms") { request in
            try respond {
                let raw = request.queryValue("bins") ?? "80"
                guard let bins = Int(raw) else { throw ServiceError.badRequest("bins must be an integer, got '\(raw)'") }
                return try .json(Histograms(layers: core.artifactHistograms(id: request.pathParameters["id"] ?? "", bins: bins)))
            }
        }
    }

    private struct Layers: Encodable { var layers: [ModelLayer] }
    private struct Histograms: Encodable { var layers: [WeightHistogram] }

    /// ServiceError becomes its status with {"error": message}; anything else propagates to the
    /// server's own error handling.
    private static func respond(_ body: () throws -> HTTPResponse) throws -> HTTPResponse {
        do { return try body() } catch let error as ServiceError {
            var response = HTTPResponse.error(HTTPStatus(error.status), error.message)
            for (name, value) in error.headers { response.headers[name] = value }
            return response
        }
    }
}
