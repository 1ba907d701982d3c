import FoundationEssentials

extension Catalog {
    public func createDataset(_ d: DatasetRecord) throws {
        do {
            try db.run("""
                INSERT INTO datasets (id, name, digest, size_bytes, samples, x_shape, classes, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(d.id), .text(d.name), .text(d.digest), .integer(Int64(d.sizeBytes)),
                      .integer(Int64(d.samples)), .text(Catalog.encodeJSON(d.xShape)), .integer(Int64(d.classes)),
                      .real(d.createdAt)])
        } catch let error as SQLiteError where error.isConstraint {
            throw CatalogError.conflict("a dataset named '\(d.name)' already exists")
        }
    }

    public func datasets() throws -> [DatasetRecord] {
        try db.query("\(Catalog.datasetColumns) ORDER BY created_at, id").map(Catalog.dataset)
    }

    public func dataset(id: String) throws -> DatasetRecord? {
        try db.query("\(Catalog.datasetColumns) WHERE id = ?", [.text(id)]).first.map(Catalog.dataset)
    }

    @discardableResult
    public func deleteDataset(id: String) throws -> Bool {
        try db.run("DELETE FROM datasets WHERE id = ?", [.text(id)]) > 0
    }

    static let datasetColumns =
        "SELECT id, name, digest, size_bytes, samples, x_shape, classes, created_at FROM datasets"

    static func dataset(_ row: SQLiteRow) throws -> DatasetRecord {
        guard let id = row.text(0), let name = row.text(1), let digest = row.text(2), let size = row.int(3),
              let samples = row.int(4), let classes = row.int(6), let created = row.double(7) else {
            throw CatalogError.corrupt("datasets row")
        }
        return DatasetRecord(id: id, name: name, digest: digest, sizeBytes: Int(size), samples: Int(samples),
                             xShape: try decodeJSON([Int].self, row.text(5), column: "x_shape"),
                             classes: Int(classes), createdAt: created)
    }
}
