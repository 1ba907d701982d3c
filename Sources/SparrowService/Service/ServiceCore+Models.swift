import FoundationEssentials

extension ServiceCore {
    /// Stores and registers an uploaded ONNX model after checking it parses and every op runs.
    func createModel(name: String, body: UploadBody, contentType: String?) throws -> ModelView {
        guard ResourceID.isValidName(name) else {
            throw ServiceError.badRequest("the query parameter 'name' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        if try catalog.model(named: name) != nil { throw ServiceError.conflict("a model named '\(name)' already exists") }
        let writer = try receiveUpload(body, contentType: contentType)
        let servable: ServableModel
        do {
            servable = try ServableModel(onnx: try contents(of: writer))
            // The Open Inference Protocol needs at least one input to send; a graph of constants
            // would be stored, listed, and never run.
            guard !servable.inputs.isEmpty else {
                throw ServiceError.badRequest("invalid model: the graph has no inputs, so no inference request could run it")
            }
        } catch let error as ServiceError {
            writer.abort()
            throw error
        } catch {
            writer.abort()
            throw ServiceError.badRequest("invalid model: \(error)")
        }
        let id = ResourceID.make(.model)
        let (model, version) = try commit(writer) { digest, size in
            let version = ModelVersionRecord(modelID: id, version: 1, kind: .dense, digest: digest, sizeBytes: size,
                                             parameters: servable.parameters, inputs: servable.inputs,
                                             outputs: servable.outputs, createdAt: Catalog.now())
            do {
                return (try catalog.createModel(id: id, name: name, version1: version), version)
            } catch let error as CatalogError {
                throw ServiceError.conflict("\(error)")
            }
        }
        _ = try models.model(id: id, version: 1) { servable }
        logger.info("model uploaded", metadata: ["model": "\(id)", "name": "\(name)", "bytes": "\(version.sizeBytes)"])
        return ModelView(model: model, versions: [version])
    }

    func listModels() throws -> [ModelView] {
        try catalog.models().map { ModelView(model: $0, versions: try catalog.versions(of: $0.id)) }
    }

    func modelView(id: String) throws -> ModelView {
        let model = try requireModel(id: id)
        return ModelView(model: model, versions: try catalog.versions(of: id))
    }

    func requireModel(id: String) throws -> ModelRecord {
        guard ResourceID.isValid(id, kind: .model), let model = try catalog.model(id: id) else {
            throw ServiceError.notFound("no model with id '\(id)'")
        }
        return model
    }

    /// Deletes a model, its versions, jobs and artifacts; running jobs are cancelled first.
    func deleteModel(id: String) throws {
        _ = try requireModel(id: id)
        for job in try catalog.jobs(modelID: id) where !job.status.isFinal {
            _ = queue.cancel(id: job.id)
            board.forget(job.id)
        }
        try catalog.deleteModel(id: id)
        models.evict(modelID: id)
        statistics.forget(modelID: id)
        try collectGarbage()
        logger.info("model deleted", metadata: ["model": "\(id)"])
    }
}
