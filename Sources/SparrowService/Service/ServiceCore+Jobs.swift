import FoundationEssentials
import SparrowCompression
import SparrowModel
import SparrowTraining

extension ServiceCore {
    /// Validates a compression config and queues a job; an invalid config is a 400 here, never a
    /// failed job later.
    func submitCompression(modelID: String, configBody: [UInt8]) throws -> JobRecord {
        _ = try requireModel(id: modelID)
        let text = configBody.isEmpty ? "{}" : String(decoding: configBody, as: UTF8.self)
        let config: CompressionConfig
        do {
            config = try CompressionConfig(json: Array(text.utf8))
        } catch {
            throw ServiceError.badRequest("invalid compression config: \(error)")
        }
        try checkNamedLayers(config, modelID: modelID)
        if let finetune = config.finetune {
            // Without a training set the job can still measure accuracy before and after on
            // eval_dataset, as long as it asks for no epochs.
            let evaluationOnly = finetune.evalDataset != nil && (finetune.epochs ?? 0) == 0
                && finetune.learningRate == nil && finetune.schedule == nil
            guard finetune.dataset != nil || evaluationOnly else {
                throw ServiceError.badRequest("invalid compression config: $.finetune.dataset: fine-tuning needs an uploaded dataset id (without one, give only eval_dataset to measure accuracy: no epochs, learning_rate or schedule)")
            }
            for (field, id) in [("dataset", finetune.dataset), ("eval_dataset", finetune.evalDataset)] {
                guard let id else { continue }
                guard ResourceID.isValid(id, kind: .dataset), try catalog.dataset(id: id) != nil else {
                    throw ServiceError.badRequest("invalid compression config: $.finetune.\(field): no dataset with id '\(id)'")
                }
            }
        }
        let job = JobRecord(id: ResourceID.make(.job), modelID: modelID, status: .queued, stage: "queued", progress: 0,
                            config: text, createdAt: Catalog.now(), attempts: 0)
        try catalog.insertJob(job)
        board.update(job.id, status: .queued, stage: "queued", progress: 0)
        do {
            try queue.submit(id: job.id) { [weak self] context in self?.runJob(context) }
        } catch let error as JobQueueError {
            try? catalog.deleteJob(id: job.id)
            board.forget(job.id)
            if case .full = error {
                throw ServiceError(429, "\(error)", headers: ["Retry-After": "\(retryAfterSeconds)"])
            }
            throw ServiceError(503, "\(error)")
        }
        logger.info("job queued", metadata: ["job": "\(job.id)", "model": "\(modelID)"])
        return job
    }

    /// A config that names layers is planned against the model now, so that a name the model does
    /// not have, or a bias, is a 400 rather than a job that fails later. Configs that name no layer
    /// skip this: it parses the whole upload.
    private func checkNamedLayers(_ config: CompressionConfig, modelID: String) throws {
        guard !config.layerReferences.isEmpty else { return }
        let graph = try ONNXModel(serializedBytes: try uploadedONNX(of: modelID)).graph
        do {
            try CompressionPlan(graph: graph, config: config).requireLayers()
        } catch {
            throw ServiceError.badRequest("invalid compression config: \(error)")
        }
    }

    /// The bytes of version 1, the uploaded ONNX model, that every compression starts from.
    private func uploadedONNX(of modelID: String) throws -> [UInt8] {
        guard let source = try catalog.versions(of: modelID).first else { throw ServiceError.notFound("model \(modelID) is gone") }
        return try blobs.read(source.digest)
    }

    /// A rough wait before a full queue has room: one job's worth of time per worker round.
    var retryAfterSeconds: Int { max(1, min(60, 5 * (queue.queueDepth / max(1, configuration.workers) + 1))) }

    func requireJob(id: String) throws -> JobRecord {
        guard ResourceID.isValid(id, kind: .job), let job = try catalog.job(id: id) else {
            throw ServiceError.notFound("no job with id '\(id)'")
        }
        return job
    }

    /// Cancels a queued or running job; a finished job answers 409.
    func cancelJob(id: String) throws -> JobRecord {
        // Check and act under one lock, so of concurrent cancels of a job exactly one succeeds.
        var job: JobRecord
        let result: JobQueue.CancelResult
        cancellationLock.lock()
        do {
            defer { cancellationLock.unlock() }
            job = try requireJob(id: id)
            guard !job.status.isFinal else { throw ServiceError.conflict("job \(id) already \(job.status.rawValue)") }
            result = queue.cancel(id: id)
            if result == .removed || result == .unknown {
                job.status = .cancelled
                job.stage = "cancelled"
                job.finishedAt = Catalog.now()
                try catalog.updateJob(job)
                board.update(id, status: .cancelled, stage: "cancelled", progress: job.progress)
            }
        }
        switch result {
        case .removed, .unknown:
            break
        case .alreadySignalled:
            throw ServiceError.conflict("job \(id) is already stopping")
        case .signalled:
            // The worker stops at its next progress check and records the cancellation; wait
            // briefly so the answer usually shows the final state.
            var seen = board.snapshot(id)?.sequence ?? 0
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline, let s = board.wait(for: id, after: seen, timeout: 0.5) ?? board.snapshot(id) {
                if s.status.isFinal { break }
                seen = s.sequence
            }
            job = try requireJob(id: id)
            // Past its last progress check (storing the artifact) a job finishes regardless: the
            // cancellation did not take, and a 200 would tell the client the version was dropped.
            if job.status == .succeeded || job.status == .failed {
                throw ServiceError.conflict("job \(id) \(job.status.rawValue) before the cancellation took effect")
            }
        }
        logger.info("job cancelled", metadata: ["job": "\(id)"])
        return job
    }

    /// Runs on a worker thread.
    func runJob(_ context: JobContext) {
        guard var job = try? catalog.job(id: context.jobID), job.status == .queued else { return }
        job.status = .running
        job.stage = "starting"
        job.startedAt = Catalog.now()
        job.attempts += 1
        job.error = nil
        do { try catalog.updateJob(job) } catch {
            logger.error("cannot mark job running", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return
        }
        board.update(job.id, status: .running, stage: "starting", progress: 0)
        do {
            try compress(&job, context: context)
        } catch let interruption as JobInterruption {
            finish(&job, interruption: interruption)
        } catch CompressionError.cancelled {
            finish(&job, interruption: context.currentInterruption ?? .cancelled)
        } catch TrainingError.cancelled {
            finish(&job, interruption: context.currentInterruption ?? .cancelled)
        } catch {
            job.status = .failed
            job.error = "\(error)"
            job.finishedAt = Catalog.now()
            try? catalog.updateJob(job)
            board.update(job.id, status: .failed, stage: job.stage, progress: job.progress)
            logger.warning("job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    private func finish(_ job: inout JobRecord, interruption: JobInterruption) {
        if interruption == .shutdown {
            // Not the job's fault: leave it queued for the next start.
            job.status = .queued
            job.stage = "queued"
            job.progress = 0
            job.attempts = max(0, job.attempts - 1)
            try? catalog.updateJob(job)
            logger.info("job re-queued for shutdown", metadata: ["job": "\(job.id)"])
        } else {
            // Keep the progress the job reached (the board's), not the last stored stage boundary.
            if let live = board.snapshot(job.id) { job.progress = max(job.progress, live.progress) }
            job.status = .cancelled
            job.stage = "cancelled"
            job.finishedAt = Catalog.now()
            try? catalog.updateJob(job)
            board.update(job.id, status: .cancelled, stage: "cancelled", progress: job.progress)
        }
    }

    /// Data-free Deep Compression of version 1, producing the next version.
    private func compress(_ job: inout JobRecord, context: JobContext) throws {
        let config = try CompressionConfig(json: Array(job.config.utf8))
        try stage(&job, "load", 0.0, context)
        let onnxBytes = try uploadedONNX(of: job.modelID)
        let jobID = job.id
        let board = self.board
        // Overall progress: compress (or retrain) 0.05–0.8, write to 0.85, verification and storage to 1.
        let result: (artifact: Artifact, bytes: [UInt8], report: CompressionReport)
        if let finetune = config.finetune, finetune.dataset != nil || finetune.evalDataset != nil {
            let data = try finetune.dataset.map(labeledData)
            let evaluation = try finetune.evalDataset.map(labeledData)
            try stage(&job, "finetune", 0.05, context)
            let trained = try TrainingJob.compress(
                onnx: onnxBytes, config: config, data: data, evaluation: evaluation,
                monitor: TrainingMonitor(
                    progress: { p in
                        board.progress(jobID, stage: p.stage, progress: 0.05 + 0.8 * p.fraction, training: .init(
                            epoch: p.epoch, epochs: p.epochs, loss: Double(p.loss), accuracy: p.accuracy))
                    },
                    shouldCancel: { context.currentInterruption != nil }))
            result = (trained.artifact, trained.bytes, trained.report)
        } else {
            // (The retraining path parses the model itself.)
            let model = try ONNXModel(serializedBytes: onnxBytes)
            let compressed = try DeepCompression.compress(
                graph: model.graph, config: config,
                graphBytesWithout: { try model.serialized(removingInitializers: $0) },
                denseModelBytes: onnxBytes,
                progress: { stage, fraction in
                    let overall: Double
                    switch stage {
                    case "plan": overall = 0.05
                    case "compress": overall = 0.05 + 0.75 * fraction
                    default: overall = 0.8 + 0.05 * fraction
                    }
                    board.progress(jobID, stage: stage, progress: overall)
                },
                isCancelled: { context.currentInterruption != nil })
            result = (compressed.artifact, compressed.bytes, compressed.report)
        }
        try context.checkInterruption()
        try stage(&job, "verify", 0.85, context)
        // The artifact must load as a servable model before it becomes a version.
        let servable = try ServableModel(artifact: result.bytes)
        let decoded = try result.artifact.denseONNX()
        try stage(&job, "store", 0.95, context)
        let artifactID = ResourceID.make(.artifact)
        let onnxDigest = try blobs.put(decoded)
        let reportJSON = String(decoding: try JSONEncoder().encode(result.report), as: UTF8.self)
        let writer = try blobs.makeWriter()
        try writer.append(result.bytes)
        var finished = job
        let version = try commit(writer) { digest, size -> ModelVersionRecord in
            let number = try catalog.nextVersion(of: job.modelID)
            let now = Catalog.now()
            let version = ModelVersionRecord(modelID: job.modelID, version: number, kind: .sparse, digest: digest,
                                             sizeBytes: size, parameters: servable.parameters, inputs: servable.inputs,
                                             outputs: servable.outputs, artifactID: artifactID, createdAt: now)
            let artifact = ArtifactRecord(id: artifactID, modelID: job.modelID, jobID: job.id, version: number,
                                          digest: digest, sizeBytes: size, onnxDigest: onnxDigest, report: reportJSON,
                                          createdAt: now)
            finished.status = .succeeded
            finished.stage = "done"
            finished.progress = 1
            finished.finishedAt = now
            finished.artifactID = artifactID
            finished.report = reportJSON
            try catalog.completeJob(finished, artifact: artifact, version: version)
            return version
        }
        job = finished
        _ = try models.model(id: job.modelID, version: version.version) { servable }
        board.update(job.id, status: .succeeded, stage: "done", progress: 1)
        logger.info("job succeeded", metadata: ["job": "\(job.id)", "version": "\(version.version)",
                                                 "ratio": "\(result.report.ratio)"])
    }

    /// A stored dataset as training samples.
    private func labeledData(_ id: String) throws -> LabeledData {
        guard let record = try catalog.dataset(id: id) else { throw ServiceError.notFound("dataset \(id) is gone") }
        return try LabeledData(dataset: Dataset.load(path: try blobs.path(of: record.digest)))
    }

    private func stage(_ job: inout JobRecord, _ name: String, _ progress: Double, _ context: JobContext) throws {
        job.stage = name
        job.progress = progress
        try catalog.updateJob(job)
        try context.report(stage: name, progress: progress)
    }
}

extension ServiceCore {
    /// A job as the API shows it, with the model version its artifact became.
    /// A running job's stage and progress come from the live board: storage is only written at
    /// stage boundaries, not at every progress step.
    func jobView(_ job: JobRecord) -> JobView {
        var job = job
        var training: JobBoard.TrainingFigures?
        if job.status == .running, let live = board.snapshot(job.id), live.status == .running {
            job.stage = live.stage
            job.progress = live.progress
            training = live.training
        }
        var view = JobView(job, version: job.artifactID.flatMap { try? catalog.artifact(id: $0) }?.version)
        view.training = training
        return view
    }

    func requireArtifact(id: String) throws -> ArtifactRecord {
        guard ResourceID.isValid(id, kind: .artifact), let artifact = try catalog.artifact(id: id) else {
            throw ServiceError.notFound("no artifact with id '\(id)'")
        }
        return artifact
    }
}
