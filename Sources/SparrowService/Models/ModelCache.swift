import Synchronization

/// Loaded model versions by (model id, version), built on first use.
///
/// Loading happens outside the lock, so a slow load never blocks requests for other models; two
/// racing loads of one version both succeed and one result is kept.
public final class ModelCache: Sendable {
    private let entries = Mutex<[String: ServableModel]>([:])

    public init() {}

    public func model(id: String, version: Int, load: () throws -> ServableModel) throws -> ServableModel {
        let key = "\(id)/\(version)"
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let loaded = try load()
        return entries.withLock { table in
            if let existing = table[key] { return existing }
            table[key] = loaded
            return loaded
        }
    }

    /// Drops every version of a model (after it was deleted).
    public func evict(modelID: String) {
        entries.withLock { table in
            for key in table.keys where key.hasPrefix(modelID + "/") { table[key] = nil }
        }
    }

    public func isLoaded(modelID: String, version: Int) -> Bool {
        entries.withLock { $0["\(modelID)/\(version)"] != nil }
    }

    public var count: Int { entries.withLock { $0.count } }
}
