import FoundationEssentials

extension Catalog {
    public func insertJob(_ j: JobRecord) throws {
        try db.run("""
            INSERT INTO jobs (id, model_id, status, stage, progress, config, created_at, started_at, finished_at,
                              error, artifact_id, report, attempts)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(j.id), .text(j.modelID), .text(j.status.rawValue), .text(j.stage), .real(j.progress),
                  .text(j.config), .real(j.createdAt), Catalog.optional(j.startedAt), Catalog.optional(j.finishedAt),
                  Catalog.optional(j.error), Catalog.optional(j.artifactID), Catalog.optional(j.report),
                  .integer(Int64(j.attempts))])
    }

    /// Writes every mutable column of a job.
    public func updateJob(_ j: JobRecord) throws {
        try db.run("""
            UPDATE jobs SET status = ?, stage = ?, progress = ?, started_at = ?, finished_at = ?, error = ?,
                            artifact_id = ?, report = ?, attempts = ? WHERE id = ?
            """, [.text(j.status.rawValue), .text(j.stage), .real(j.progress), Catalog.optional(j.startedAt),
                  Catalog.optional(j.finishedAt), Catalog.optional(j.error), Catalog.optional(j.artifactID),
                  Catalog.optional(j.report), .integer(Int64(j.attempts)), .text(j.id)])
    }

    @discardableResult
    public func deleteJob(id: String) throws -> Bool {
        try db.run("DELETE FROM jobs WHERE id = ?", [.text(id)]) > 0
    }

    public func job(id: String) throws -> JobRecord? {
        try db.query("\(Catalog.jobColumns) WHERE id = ?", [.text(id)]).first.map(Catalog.job)
    }

    /// Jobs, oldest first, optionally only those with one status.
    public func jobs(status: JobStatus? = nil, modelID: String? = nil) throws -> [JobRecord] {
        var clauses: [String] = []
        var params: [SQLiteValue] = []
        if let status { clauses.append("status = ?"); params.append(.text(status.rawValue)) }
        if let modelID { clauses.append("model_id = ?"); params.append(.text(modelID)) }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.query("\(Catalog.jobColumns)\(filter) ORDER BY created_at, id", params).map(Catalog.job)
    }

    /// Count of jobs per status.
    public func jobCounts() throws -> [JobStatus: Int] {
        var out: [JobStatus: Int] = [:]
        for row in try db.query("SELECT status, COUNT(*) FROM jobs GROUP BY status") {
            if let s = row.text(0).flatMap(JobStatus.init), let n = row.int(1) { out[s] = Int(n) }
        }
        return out
    }

    /// Records a succeeded job, its artifact and the model's new sparse version in one transaction.
    public func completeJob(_ job: JobRecord, artifact: ArtifactRecord, version: ModelVersionRecord) throws {
        try db.transaction {
            try db.run("""
                INSERT INTO artifacts (id, model_id, job_id, version, digest, size_bytes, onnx_digest, report, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(artifact.id), .text(artifact.modelID), .text(artifact.jobID), .integer(Int64(artifact.version)),
                      .text(artifact.digest), .integer(Int64(artifact.sizeBytes)), Catalog.optional(artifact.onnxDigest),
                      .text(artifact.report), .real(artifact.createdAt)])
            try insertVersion(version)
            try updateJob(job)
        }
    }

    /// The next free version number of a model.
    public func nextVersion(of modelID: String) throws -> Int {
        let row = try db.query("SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE model_id = ?", [.text(modelID)])
        return Int(row.first?.int(0) ?? 0) + 1
    }

    public func artifact(id: String) throws -> ArtifactRecord? {
        try db.query("""
            SELECT id, model_id, job_id, version, digest, size_bytes, onnx_digest, report, created_at
            FROM artifacts WHERE id = ?
            """, [.text(id)]).first.map(Catalog.artifact)
    }

    static let jobColumns = """
        SELECT id, model_id, status, stage, progress, config, created_at, started_at, finished_at, error,
               artifact_id, report, attempts FROM jobs
        """

    static func optional(_ v: Double?) -> SQLiteValue { v.map { .real($0) } ?? .null }
    static func optional(_ v: String?) -> SQLiteValue { v.map { .text($0) } ?? .null }

    static func job(_ row: SQLiteRow) throws -> JobRecord {
        guard let id = row.text(0), let modelID = row.text(1), let status = row.text(2).flatMap(JobStatus.init),
              let stage = row.text(3), let progress = row.double(4), let config = row.text(5),
              let created = row.double(6), let attempts = row.int(12) else {
            throw CatalogError.corrupt("jobs row")
        }
        return JobRecord(id: id, modelID: modelID, status: status, stage: stage, progress: progress, config: config,
                         createdAt: created, startedAt: row.double(7), finishedAt: row.double(8), error: row.text(9),
                         artifactID: row.text(10), report: row.text(11), attempts: Int(attempts))
    }

    static func artifact(_ row: SQLiteRow) throws -> ArtifactRecord {
        guard let id = row.text(0), let modelID = row.text(1), let jobID = row.text(2), let version = row.int(3),
              let digest = row.text(4), let size = row.int(5), let report = row.text(7),
              let created = row.double(8) else {
            throw CatalogError.corrupt("artifacts row")
        }
        return ArtifactRecord(id: id, modelID: modelID, jobID: jobID, version: Int(version), digest: digest,
                              sizeBytes: Int(size), onnxDigest: row.text(6), report: report, createdAt: created)
    }
}
