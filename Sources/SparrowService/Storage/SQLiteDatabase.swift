import CSQLite
import FoundationEssentials
import SparrowHTTP
import Synchronization

/// A failure reported by SQLite, with its result code and message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }

    /// True for constraint violations (unique, foreign key, check).
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }
}

/// A value bound to, or read from, a statement column.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One SQLite connection, serialised by a lock so that it can be shared across threads.
///
/// Statements are prepared once per SQL string and cached; every call runs inside the lock, so a
/// caller never holds a statement across threads.
public final class SQLiteDatabase: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = ConditionLock(recursive: true)
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database at `path` in WAL mode with foreign keys on.
    public init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        try execute("PRAGMA journal_mode=WAL")
        // FULL: a commit is durable once execute() returns, so an accepted upload survives kill -9
        // and power loss alike.
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        for statement in cache.values { statement.finalize() }
        sqlite3_close_v2(handle)
    }

    /// The journal mode in force ("wal" once open).
    public var journalMode: String {
        (try? query("PRAGMA journal_mode").first?.text(0)) ?? ""
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        try locked {
            var error: UnsafeMutablePointer<CChar>?
            let rc = sqlite3_exec(handle, sql, nil, nil, &error)
            if rc != SQLITE_OK {
                let message = error.map { String(cString: $0) } ?? lastMessage
                sqlite3_free(error)
                throw SQLiteError(code: rc, message: message)
            }
        }
    }

    /// Runs one statement with bound parameters and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> Int {
        try locked {
            let statement = try prepared(sql)
            defer { statement.reset() }
            try statement.bind(parameters)
            while try statement.step() {}
            return Int(sqlite3_changes(handle))
        }
    }

    /// Runs one query and returns every row.
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [SQLiteRow] {
        try locked {
            let statement = try prepared(sql)
            defer { statement.reset() }
            try statement.bind(parameters)
            var rows: [SQLiteRow] = []
            while try statement.step() { rows.append(statement.row()) }
            return rows
        }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try locked {
            try execute("BEGIN IMMEDIATE")
            do {
                let result = try body()
                try execute("COMMIT")
                return result
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func prepared(_ sql: String) throws -> SQLiteStatement {
        if let statement = cache[sql] { return statement }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw SQLiteError(code: rc, message: lastMessage) }
        let statement = SQLiteStatement(raw, database: handle)
        cache[sql] = statement
        return statement
    }

    private var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement; only used inside `SQLiteDatabase`'s lock.
final class SQLiteStatement {
    private let raw: OpaquePointer
    private let database: OpaquePointer

    init(_ raw: OpaquePointer, database: OpaquePointer) {
        self.raw = raw
        self.database = database
    }

    func finalize() { sqlite3_finalize(raw) }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    func bind(_ parameters: [SQLiteValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(raw))
        guard expected == parameters.count else {
            throw SQLiteError(code: SQLITE_RANGE, message: "statement takes \(expected) parameters, got \(parameters.count)")
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(raw, index)
            case .integer(let v): rc = sqlite3_bind_int64(raw, index, v)
            case .real(let v): rc = sqlite3_bind_double(raw, index, v)
            case .text(let v): rc = sqlite3_bind_text(raw, index, v, -1, sparrow_sqlite_transient())
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), sparrow_sqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(database))) }
        }
    }

    /// Advances; true while a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(database)))
        }
    }

    func row() -> SQLiteRow {
        let n = sqlite3_column_count(raw)
        var values: [SQLiteValue] = []
        values.reserveCapacity(Int(n))
        for i in 0..<n {
            switch sqlite3_column_type(raw, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(raw, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(raw, i)))
            case SQLITE_TEXT:
                values.append(.text(sqlite3_column_text(raw, i).map { String(cString: $0) } ?? ""))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(raw, i))
                if let base = sqlite3_column_blob(raw, i), count > 0 {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: base, count: count))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return SQLiteRow(values: values)
    }
}

/// One result row with typed accessors (a wrong type or NULL reads as nil).
public struct SQLiteRow: Sendable, Equatable {
    public let values: [SQLiteValue]

    public func int(_ i: Int) -> Int64? {
        guard i < values.count, case .integer(let v) = values[i] else { return nil }
        return v
    }

    public func double(_ i: Int) -> Double? {
        guard i < values.count else { return nil }
        switch values[i] {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }

    public func text(_ i: Int) -> String? {
        guard i < values.count, case .text(let v) = values[i] else { return nil }
        return v
    }

    public func isNull(_ i: Int) -> Bool { i >= values.count || values[i] == .null }
}
