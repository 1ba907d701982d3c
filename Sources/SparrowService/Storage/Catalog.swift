import FoundationEssentials

/// Errors of the metadata catalog that callers map to HTTP statuses.
public enum CatalogError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .notFound(let s): return s
        case .conflict(let s): return s
        case .corrupt(let s): return "corrupt catalog: \(s)"
        }
    }
}

/// Models, versions, datasets, jobs and artifacts in SQLite.
///
/// Each write is one transaction; a row is only inserted after the file it names is durably in the
/// `BlobStore`, so the catalog never points at a missing or partial file.
public final class Catalog: Sendable {
    let db: SQLiteDatabase

    public init(path: String) throws {
        db = try SQLiteDatabase(path: path)
        try db.execute(Catalog.schema)
    }

    public var journalMode: String { db.journalMode }

    /// The data's layout version (SQLite's `user_version`), which a migration raises.
    public var schemaVersion: Int {
        get throws { Int(try db.query("PRAGMA user_version").first?.int(0) ?? 0) }
    }

    public func setSchemaVersion(_ version: Int) throws {
        try db.execute("PRAGMA user_version = \(version)")
    }

    static let schema = """
    CREATE TABLE IF NOT EXISTS models (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS model_versions (
        model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('dense', 'sparse')),
        digest TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        parameters INTEGER NOT NULL,
        inputs TEXT NOT NULL,
        outputs TEXT NOT NULL,
        artifact_id TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (model_id, version)
    );
    CREATE TABLE IF NOT EXISTS datasets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        digest TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        x_shape TEXT NOT NULL,
        classes INTEGER NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        stage TEXT NOT NULL,
        progress REAL NOT NULL,
        config TEXT NOT NULL,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        error TEXT,
        artifact_id TEXT,
        report TEXT,
        attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created_at);
    CREATE TABLE IF NOT EXISTS artifacts (
        id TEXT PRIMARY KEY,
        model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        job_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        digest TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        onnx_digest TEXT,
        report TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    """

    /// Every digest some row refers to; blobs outside this set are garbage.
    public func referencedDigests() throws -> Set<String> {
        var out = Set<String>()
        let sql = """
        SELECT digest FROM model_versions UNION SELECT digest FROM datasets
        UNION SELECT digest FROM artifacts UNION SELECT onnx_digest FROM artifacts WHERE onnx_digest IS NOT NULL
        """
        for row in try db.query(sql) { if let d = row.text(0) { out.insert(d) } }
        return out
    }

    static func encodeJSON<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String?, column: String) throws -> T {
        guard let text, let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
            throw CatalogError.corrupt("column \(column) holds no valid JSON")
        }
        return value
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
