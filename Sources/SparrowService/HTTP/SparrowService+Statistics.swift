import SparrowHTTP

/// Triton's statistics extension: `GET /v2/models[/NAME[/versions/V]]/stats`.
extension SparrowService {
    func installStatisticsRoutes() {
        router.get("/v2/models/stats") { [core] _ in
            SparrowService.handle {
                var stats: [ModelStatView] = []
                for model in try core.catalog.models() {
                    for version in try core.catalog.versions(of: model.id) {
                        stats.append(ModelStatView(name: model.name, version: version.version,
                                                   core.statistics.snapshot(modelID: model.id, version: version.version)))
                    }
                }
                return try SparrowService.json(StatisticsView(modelStats: stats))
            }
        }
        for suffix in ["", "/versions/{version}"] {
            router.get("/v2/models/{name}" + suffix + "/stats") { [core] request in
                SparrowService.handle {
                    let target = try core.resolve(request)
                    let versions = request.pathParameters["version"] == nil ? target.versions : [target.version]
                    return try SparrowService.json(StatisticsView(modelStats: versions.map {
                        ModelStatView(name: target.model.name, version: $0.version,
                                      core.statistics.snapshot(modelID: target.model.id, version: $0.version))
                    }))
                }
            }
        }
    }
}

struct StatisticsView: Encodable {
    var modelStats: [ModelStatView]
    enum CodingKeys: String, CodingKey { case modelStats = "model_stats" }
}

/// One model version's `$model_stat`, field for field as Triton writes it.
struct ModelStatView: Encodable {
    struct DurationView: Encodable {
        var count: Int
        var ns: UInt64
        init(_ d: InferenceStatistics.Duration) { count = d.count; ns = d.ns }
    }

    struct InferenceStatsView: Encodable {
        var success, fail, queue, computeInput, computeInfer, computeOutput, cacheHit, cacheMiss: DurationView
        enum CodingKeys: String, CodingKey {
            case success, fail, queue
            case computeInput = "compute_input", computeInfer = "compute_infer", computeOutput = "compute_output"
            case cacheHit = "cache_hit", cacheMiss = "cache_miss"
        }
    }

    struct BatchStatView: Encodable {
        var batchSize: Int
        var computeInput, computeInfer, computeOutput: DurationView
        enum CodingKeys: String, CodingKey {
            case batchSize = "batch_size"
            case computeInput = "compute_input", computeInfer = "compute_infer", computeOutput = "compute_output"
        }
    }

    var name: String
    var version: String
    var lastInference: UInt64
    var inferenceCount: Int
    var executionCount: Int
    var inferenceStats: InferenceStatsView
    var batchStats: [BatchStatView]

    enum CodingKeys: String, CodingKey {
        case name, version
        case lastInference = "last_inference", inferenceCount = "inference_count", executionCount = "execution_count"
        case inferenceStats = "inference_stats", batchStats = "batch_stats"
    }

    init(name: String, version: Int, _ s: InferenceStatistics.Version) {
        self.name = name
        self.version = String(version)
        lastInference = s.lastInference
        inferenceCount = s.inferenceCount
        executionCount = s.executionCount
        let none = DurationView(InferenceStatistics.Duration())
        inferenceStats = InferenceStatsView(
            success: DurationView(s.success), fail: DurationView(s.fail), queue: none,
            computeInput: DurationView(s.phases.computeInput), computeInfer: DurationView(s.phases.computeInfer),
            computeOutput: DurationView(s.phases.computeOutput), cacheHit: none, cacheMiss: none)
        batchStats = s.batches.keys.sorted().map { size in
            let p = s.batches[size]!
            return BatchStatView(batchSize: size, computeInput: DurationView(p.computeInput),
                                 computeInfer: DurationView(p.computeInfer), computeOutput: DurationView(p.computeOutput))
        }
    }
}
