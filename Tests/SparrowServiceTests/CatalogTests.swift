import Testing
import SparrowService

private func version(digest: String) -> ModelVersionRecord {
    ModelVersionRecord(modelID: "", version: 1, kind: .dense, digest: digest, sizeBytes: 10, parameters: 5,
                       inputs: [TensorSpec(name: "x", datatype: "FP32", shape: [-1, 4])],
                       outputs: [TensorSpec(name: "y", datatype: "FP32", shape: [-1, 2])],
                       artifactID: nil, createdAt: 1)
}

@Test func catalogStoresModelsWithUniqueNames() throws {
    let dir = TemporaryDirectory()
    let catalog = try Catalog(path: dir.path + "/c.db")
    #expect(catalog.journalMode == "wal")
    let id = ResourceID.make(.model)
    let model = try catalog.createModel(id: id, name: "mlp", version1: version(digest: "aa"))
    #expect(try catalog.model(id: id) == model)
    #expect(try catalog.model(named: "mlp")?.id == id)
    #expect(try catalog.versions(of: id).map(\.inputs) == [[TensorSpec(name: "x", datatype: "FP32", shape: [-1, 4])]])
    #expect(throws: CatalogError.conflict("a model named 'mlp' already exists")) {
        try catalog.createModel(id: ResourceID.make(.model), name: "mlp", version1: version(digest: "bb"))
    }
    #expect(try catalog.nextVersion(of: id) == 2)
    #expect(try catalog.referencedDigests() == ["aa"])
    #expect(try catalog.deleteModel(id: id))
    #expect(try catalog.model(id: id) == nil)
    #expect(try catalog.versions(of: id).isEmpty)
    #expect(try !catalog.deleteModel(id: id))
}

@Test func catalogPersistsJobsAndCompletesThemAtomically() throws {
    let dir = TemporaryDirectory()
    let path = dir.path + "/c.db"
    let modelID = ResourceID.make(.model)
    let jobID = ResourceID.make(.job)
    do {
        let catalog = try Catalog(path: path)
        _ = try catalog.createModel(id: modelID, name: "m", version1: version(digest: "aa"))
        try catalog.insertJob(JobRecord(id: jobID, modelID: modelID, status: .queued, stage: "queued", progress: 0,
                                        config: "{}", createdAt: 2, startedAt: nil, finishedAt: nil, error: nil,
                                        artifactID: nil, report: nil, attempts: 0))
    }
    // Reopen: the job survived.
    let catalog = try Catalog(path: path)
    var job = try #require(try catalog.job(id: jobID))
    #expect(job.status == .queued)
    #expect(try catalog.jobs(status: .queued).map(\.id) == [jobID])
    #expect(try catalog.jobs(status: .running).isEmpty)
    job.status = .succeeded
    job.progress = 1
    job.finishedAt = 3
    let artifactID = ResourceID.make(.artifact)
    job.artifactID = artifactID
    job.report = #"{"ratio":10}"#
    let artifact = ArtifactRecord(id: artifactID, modelID: modelID, jobID: jobID, version: 2, digest: "cc",
                                  sizeBytes: 3, onnxDigest: "dd", report: job.report!, createdAt: 3)
    var v2 = version(digest: "cc")
    v2.modelID = modelID
    v2.version = 2
    v2.kind = .sparse
    v2.artifactID = artifactID
    try catalog.completeJob(job, artifact: artifact, version: v2)
    #expect(try catalog.job(id: jobID) == job)
    #expect(try catalog.artifact(id: artifactID) == artifact)
    #expect(try catalog.versions(of: modelID).map(\.kind) == [.dense, .sparse])
    #expect(try catalog.jobCounts() == [.succeeded: 1])
    #expect(try catalog.referencedDigests() == ["aa", "cc", "dd"])
    // A failing completion (duplicate version) leaves no artifact behind.
    var other = job
    other.id = ResourceID.make(.job)
    let dup = ArtifactRecord(id: ResourceID.make(.artifact), modelID: modelID, jobID: other.id, version: 2,
                             digest: "ee", sizeBytes: 1, onnxDigest: nil, report: "{}", createdAt: 4)
    #expect(throws: SQLiteError.self) { try catalog.completeJob(other, artifact: dup, version: v2) }
    #expect(try catalog.artifact(id: dup.id) == nil)
}

@Test func catalogStoresDatasets() throws {
    let dir = TemporaryDirectory()
    let catalog = try Catalog(path: dir.path + "/c.db")
    let d = DatasetRecord(id: ResourceID.make(.dataset), name: "digits", digest: "ff", sizeBytes: 100, samples: 8,
                          xShape: [8, 784], classes: 10, createdAt: 5)
    try catalog.createDataset(d)
    #expect(try catalog.dataset(id: d.id) == d)
    #expect(try catalog.datasets() == [d])
    #expect(throws: CatalogError.self) { try catalog.createDataset(d) }
    #expect(try catalog.deleteDataset(id: d.id))
    #expect(try catalog.datasets().isEmpty)
}
