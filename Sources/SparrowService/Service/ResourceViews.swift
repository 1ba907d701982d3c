import FoundationEssentials
import SparrowCompression

/// JSON shapes of the REST resources (snake_case keys, ISO 8601 times).
enum ResourceViews {
    static func time(_ t: Double?) -> String? {
        guard let t else { return nil }
        return Date(timeIntervalSince1970: t).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

struct VersionView: Encodable {
    var version: Int
    var kind: String
    var sizeBytes: Int
    var sha256: String
    var parameters: Int
    var artifactID: String?
    var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case version, kind, sha256, parameters
        case sizeBytes = "size_bytes", artifactID = "artifact_id", createdAt = "created_at"
    }

    init(_ v: ModelVersionRecord) {
        version = v.version
        kind = v.kind.rawValue
        sizeBytes = v.sizeBytes
        sha256 = v.digest
        parameters = v.parameters
        artifactID = v.artifactID
        createdAt = ResourceViews.time(v.createdAt)
    }
}

/// A model as `POST /v1/models` and `GET /v1/models/{id}` show it: the uploaded (version 1) file's
/// facts, plus every version.
struct ModelView: Encodable {
    var id: String
    var name: String
    var version: Int
    var latestVersion: Int
    var sizeBytes: Int
    var sha256: String
    var parameters: Int
    var inputs: [TensorSpec]
    var outputs: [TensorSpec]
    var createdAt: String?
    var versions: [VersionView]

    enum CodingKeys: String, CodingKey {
        case id, name, version, sha256, parameters, inputs, outputs, versions
        case sizeBytes = "size_bytes", createdAt = "created_at", latestVersion = "latest_version"
    }

    init(model: ModelRecord, versions: [ModelVersionRecord]) {
        let first = versions.first
        id = model.id
        name = model.name
        version = first?.version ?? 1
        latestVersion = versions.last?.version ?? 1
        sizeBytes = first?.sizeBytes ?? 0
        sha256 = first?.digest ?? ""
        parameters = first?.parameters ?? 0
        inputs = first?.inputs ?? []
        outputs = first?.outputs ?? []
        createdAt = ResourceViews.time(model.createdAt)
        self.versions = versions.map(VersionView.init)
    }
}

struct DatasetView: Encodable {
    var id: String
    var name: String
    var samples: Int
    var xShape: [Int]
    var classes: Int
    var sizeBytes: Int
    var sha256: String
    var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case id, name, samples, classes, sha256
        case xShape = "x_shape", sizeBytes = "size_bytes", createdAt = "created_at"
    }

    init(_ d: DatasetRecord) {
        id = d.id
        name = d.name
        samples = d.samples
        xShape = d.xShape
        classes = d.classes
        sizeBytes = d.sizeBytes
        sha256 = d.digest
        createdAt = ResourceViews.time(d.createdAt)
    }
}

/// Raw JSON text embedded as a value (the stored config and report).
struct RawJSON: Encodable {
    let value: JSONNode?

    /// Text that does not parse is shown as null, as before.
    init(_ text: String?) {
        value = text.flatMap { try? JSONNode.parse(Array($0.utf8)) }
    }

    private init(node: JSONNode) { value = node }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case nil, .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let d, let integer):
            // Whole numbers print without a fraction (2, not 2.0), as the stored text had them.
            if let integer { try container.encode(integer) }
            else if d.rounded() == d, abs(d) < 9.0e15 { try container.encode(Int64(d)) }
            else { try container.encode(d) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a.map { RawJSON(node: $0) })
        case .object(let o): try container.encode(o.mapValues { RawJSON(node: $0) })
        }
    }
}

struct JobView: Encodable {
    var id: String
    var modelID: String
    var status: String
    var stage: String
    var progress: Double
    var createdAt: String?
    var startedAt: String?
    var finishedAt: String?
    var error: String?
    var artifactID: String?
    var version: Int?
    var attempts: Int
    var config: RawJSON
    var report: RawJSON
    /// The last finished epoch while a job retrains; its fields are absent otherwise.
    var training: JobBoard.TrainingFigures?

    enum CodingKeys: String, CodingKey {
        case id, status, stage, progress, error, config, report, attempts, version
        case modelID = "model_id", createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case artifactID = "artifact_id"
        case epoch, epochs, loss, accuracy
    }

    /// Absent values are written as null, so every documented field is always present.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(modelID, forKey: .modelID)
        try c.encode(status, forKey: .status)
        try c.encode(stage, forKey: .stage)
        try c.encode(progress, forKey: .progress)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(error, forKey: .error)
        try c.encode(artifactID, forKey: .artifactID)
        try c.encode(version, forKey: .version)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(config, forKey: .config)
        try c.encode(report, forKey: .report)
        if let training {
            try c.encode(training.epoch, forKey: .epoch)
            try c.encode(training.epochs, forKey: .epochs)
            try c.encode(training.loss, forKey: .loss)
            try c.encode(training.accuracy, forKey: .accuracy)
        }
    }

    init(_ j: JobRecord, version: Int? = nil) {
        id = j.id
        modelID = j.modelID
        status = j.status.rawValue
        stage = j.stage
        progress = j.progress
        createdAt = ResourceViews.time(j.createdAt)
        startedAt = ResourceViews.time(j.startedAt)
        finishedAt = ResourceViews.time(j.finishedAt)
        error = j.error
        artifactID = j.artifactID
        self.version = version
        attempts = j.attempts
        config = RawJSON(j.config)
        report = RawJSON(j.report)
    }
}

struct ArtifactView: Encodable {
    var id: String
    var modelID: String
    var jobID: String
    var version: Int
    var sizeBytes: Int
    var sha256: String
    var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case id, version, sha256
        case modelID = "model_id", jobID = "job_id", sizeBytes = "size_bytes", createdAt = "created_at"
    }

    init(_ a: ArtifactRecord) {
        id = a.id
        modelID = a.modelID
        jobID = a.jobID
        version = a.version
        sizeBytes = a.sizeBytes
        sha256 = a.digest
        createdAt = ResourceViews.time(a.createdAt)
    }
}
