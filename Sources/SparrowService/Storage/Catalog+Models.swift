import FoundationEssentials

extension Catalog {
    /// Creates a model with its dense version 1 in one transaction.
    public func createModel(id: String, name: String, version1: ModelVersionRecord) throws -> ModelRecord {
        let model = ModelRecord(id: id, name: name, createdAt: version1.createdAt)
        do {
            try db.transaction {
                try db.run("INSERT INTO models (id, name, created_at) VALUES (?, ?, ?)",
                           [.text(id), .text(name), .real(model.createdAt)])
                var v = version1
                v.modelID = id
                v.version = 1
                try insertVersion(v)
            }
        } catch let error as SQLiteError where error.isConstraint {
            throw CatalogError.conflict("a model named '\(name)' already exists")
        }
        return model
    }

    func insertVersion(_ v: ModelVersionRecord) throws {
        try db.run("""
            INSERT INTO model_versions (model_id, version, kind, digest, size_bytes, parameters, inputs, outputs,
                                        artifact_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(v.modelID), .integer(Int64(v.version)), .text(v.kind.rawValue), .text(v.digest),
                  .integer(Int64(v.sizeBytes)), .integer(Int64(v.parameters)),
                  .text(Catalog.encodeJSON(v.inputs)), .text(Catalog.encodeJSON(v.outputs)),
                  v.artifactID.map { .text($0) } ?? .null, .real(v.createdAt)])
    }

    public func models() throws -> [ModelRecord] {
        try db.query("SELECT id, name, created_at FROM models ORDER BY created_at, id").map(Catalog.model)
    }

    public func model(id: String) throws -> ModelRecord? {
        try db.query("SELECT id, name, created_at FROM models WHERE id = ?", [.text(id)]).first.map(Catalog.model)
    }

    public func model(named name: String) throws -> ModelRecord? {
        try db.query("SELECT id, name, created_at FROM models WHERE name = ?", [.text(name)]).first.map(Catalog.model)
    }

    /// Versions of a model, oldest first.
    public func versions(of modelID: String) throws -> [ModelVersionRecord] {
        try db.query("""
            SELECT model_id, version, kind, digest, size_bytes, parameters, inputs, outputs, artifact_id, created_at
            FROM model_versions WHERE model_id = ? ORDER BY version
            """, [.text(modelID)]).map(Catalog.version)
    }

    /// Every version of every model.
    public func allVersions() throws -> [ModelVersionRecord] {
        try db.query("""
            SELECT model_id, version, kind, digest, size_bytes, parameters, inputs, outputs, artifact_id, created_at
            FROM model_versions ORDER BY model_id, version
            """).map(Catalog.version)
    }

    /// Replaces the recorded input and output specs of one version.
    public func updateTensorSpecs(modelID: String, version: Int, inputs: [TensorSpec], outputs: [TensorSpec]) throws {
        try db.run("UPDATE model_versions SET inputs = ?, outputs = ? WHERE model_id = ? AND version = ?",
                   [.text(Catalog.encodeJSON(inputs)), .text(Catalog.encodeJSON(outputs)),
                    .text(modelID), .integer(Int64(version))])
    }

    /// Deletes a model with its versions, jobs and artifacts; false when it did not exist.
    @discardableResult
    public func deleteModel(id: String) throws -> Bool {
        try db.transaction {
            try db.run("DELETE FROM artifacts WHERE model_id = ?", [.text(id)])
            try db.run("DELETE FROM jobs WHERE model_id = ?", [.text(id)])
            try db.run("DELETE FROM model_versions WHERE model_id = ?", [.text(id)])
            return try db.run("DELETE FROM models WHERE id = ?", [.text(id)]) > 0
        }
    }

    static func model(_ row: SQLiteRow) throws -> ModelRecord {
        guard let id = row.text(0), let name = row.text(1), let created = row.double(2) else {
            throw CatalogError.corrupt("models row")
        }
        return ModelRecord(id: id, name: name, createdAt: created)
    }

    static func version(_ row: SQLiteRow) throws -> ModelVersionRecord {
        guard let modelID = row.text(0), let version = row.int(1), let kind = row.text(2).flatMap(VersionKind.init),
              let digest = row.text(3), let size = row.int(4), let parameters = row.int(5),
              let created = row.double(9) else {
            throw CatalogError.corrupt("model_versions row")
        }
        return ModelVersionRecord(
            modelID: modelID, version: Int(version), kind: kind, digest: digest, sizeBytes: Int(size),
            parameters: Int(parameters),
            inputs: try decodeJSON([TensorSpec].self, row.text(6), column: "inputs"),
            outputs: try decodeJSON([TensorSpec].self, row.text(7), column: "outputs"),
            artifactID: row.text(8), createdAt: created)
    }
}
