import FoundationEssentials

/// A declared model input or output as the API shows it; -1 marks a dynamic dimension.
public struct TensorSpec: Codable, Sendable, Equatable {
    public var name: String
    public var datatype: String
    public var shape: [Int]

    public init(name: String, datatype: String, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }
}

/// How a model version is served: the uploaded ONNX graph, or a compressed `.sparrow` artifact.
public enum VersionKind: String, Codable, Sendable {
    case dense
    case sparse
}

public struct ModelRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Double

    public init(id: String, name: String, createdAt: Double) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

public struct ModelVersionRecord: Sendable, Equatable {
    public var modelID: String
    public var version: Int
    public var kind: VersionKind
    /// SHA-256 of the served file: the ONNX upload (dense) or the `.sparrow` artifact (sparse).
    public var digest: String
    public var sizeBytes: Int
    public var parameters: Int
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]
    public var artifactID: String?
    public var createdAt: Double

    public init(modelID: String, version: Int, kind: VersionKind, digest: String, sizeBytes: Int, parameters: Int, inputs: [TensorSpec], outputs: [TensorSpec], artifactID: String? = nil, createdAt: Double) {
        self.modelID = modelID
        self.version = version
        self.kind = kind
        self.digest = digest
        self.sizeBytes = sizeBytes
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
        self.artifactID = artifactID
        self.createdAt = createdAt
    }
}

public struct DatasetRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var digest: String
    public var sizeBytes: Int
    public var samples: Int
    public var xShape: [Int]
    public var classes: Int
    public var createdAt: Double

    public init(id: String, name: String, digest: String, sizeBytes: Int, samples: Int, xShape: [Int], classes: Int, createdAt: Double) {
        self.id = id
        self.name = name
        self.digest = digest
        self.sizeBytes = sizeBytes
        self.samples = samples
        self.xShape = xShape
        self.classes = classes
        self.createdAt = createdAt
    }
}

public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var modelID: String
    public var status: JobStatus
    public var stage: String
    public var progress: Double
    /// The compression config as submitted (validated JSON text).
    public var config: String
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var error: String?
    public var artifactID: String?
    /// The compression report as JSON text, once succeeded.
    public var report: String?
    /// How many times a worker started this job (a crash while running re-queues it).
    public var attempts: Int

    public init(id: String, modelID: String, status: JobStatus, stage: String, progress: Double, config: String, createdAt: Double, startedAt: Double? = nil, finishedAt: Double? = nil, error: String? = nil, artifactID: String? = nil, report: String? = nil, attempts: Int) {
        self.id = id
        self.modelID = modelID
        self.status = status
        self.stage = stage
        self.progress = progress
        self.config = config
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.artifactID = artifactID
        self.report = report
        self.attempts = attempts
    }
}

public struct ArtifactRecord: Sendable, Equatable {
    public var id: String
    public var modelID: String
    public var jobID: String
    public var version: Int
    /// SHA-256 of the `.sparrow` file.
    public var digest: String
    public var sizeBytes: Int
    /// SHA-256 of the decoded dense ONNX, when it was produced.
    public var onnxDigest: String?
    public var report: String
    public var createdAt: Double

    public init(id: String, modelID: String, jobID: String, version: Int, digest: String, sizeBytes: Int, onnxDigest: String? = nil, report: String, createdAt: Double) {
        self.id = id
        self.modelID = modelID
        self.jobID = jobID
        self.version = version
        self.digest = digest
        self.sizeBytes = sizeBytes
        self.onnxDigest = onnxDigest
        self.report = report
        self.createdAt = createdAt
    }
}
