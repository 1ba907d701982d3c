import FoundationEssentials
import SparrowModel

extension ServiceCore {
    /// Stores an `.npz` dataset holding `x` (samples first) and integer labels `y`.
    func createDataset(name: String, body: UploadBody, contentType: String?) throws -> DatasetView {
        guard ResourceID.isValidName(name) else {
            throw ServiceError.badRequest("the query parameter 'name' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        let writer = try receiveUpload(body, contentType: contentType)
        let dataset: Dataset
        do {
            let head = try contents(of: writer).prefix(2)
            guard head.elementsEqual([0x50, 0x4b]) else { throw ServiceError.badRequest("a dataset must be an .npz file holding arrays 'x' and 'y'") }
            dataset = try Dataset.load(path: writer.temporaryPath)
        } catch let error as ServiceError {
            writer.abort()
            throw error
        } catch {
            writer.abort()
            // The loader names the file it read, here a temporary path of the server's own.
            let message = "\(error)".replacing(writer.temporaryPath + ": ", with: "")
                .replacing(writer.temporaryPath, with: "the upload")
            throw ServiceError.badRequest("invalid dataset: \(message)")
        }
        guard dataset.count > 0, let minLabel = dataset.y.min(), let maxLabel = dataset.y.max(), minLabel >= 0,
              maxLabel < 1 << 20 else {
            writer.abort()
            throw ServiceError.badRequest("invalid dataset: 'y' must hold at least one class label in 0..<2^20")
        }
        let id = ResourceID.make(.dataset)
        let record = try commit(writer) { digest, size -> DatasetRecord in
            let record = DatasetRecord(id: id, name: name, digest: digest, sizeBytes: size, samples: dataset.count,
                                       xShape: dataset.x.shape, classes: Int(maxLabel) + 1, createdAt: Catalog.now())
            do { try catalog.createDataset(record) } catch let error as CatalogError { throw ServiceError.conflict("\(error)") }
            return record
        }
        logger.info("dataset uploaded", metadata: ["dataset": "\(id)", "samples": "\(record.samples)"])
        return DatasetView(record)
    }

    func requireDataset(id: String) throws -> DatasetRecord {
        guard ResourceID.isValid(id, kind: .dataset), let dataset = try catalog.dataset(id: id) else {
            throw ServiceError.notFound("no dataset with id '\(id)'")
        }
        return dataset
    }

    func deleteDataset(id: String) throws {
        _ = try requireDataset(id: id)
        let inUse = try catalog.jobs().contains { job in
            !job.status.isFinal && job.config.contains(id)
        }
        guard !inUse else { throw ServiceError.conflict("dataset \(id) is used by a queued or running job") }
        try catalog.deleteDataset(id: id)
        try collectGarbage()
    }
}
