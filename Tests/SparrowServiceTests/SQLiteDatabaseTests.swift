import Testing
import SparrowService

@Test func sqliteOpensInWALModeAndRoundTripsValues() throws {
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.path + "/t.db")
    #expect(db.journalMode == "wal")
    try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
    try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
               [.integer(-7), .real(2.5), .text("héllo 'quoted'"), .blob([0, 1, 255]), .null])
    let rows = try db.query("SELECT i, r, s, b, n FROM t")
    #expect(rows.count == 1)
    #expect(rows[0].int(0) == -7)
    #expect(rows[0].double(1) == 2.5)
    #expect(rows[0].text(2) == "héllo 'quoted'")
    #expect(rows[0].values[3] == .blob([0, 1, 255]))
    #expect(rows[0].isNull(4))
    #expect(rows[0].text(0) == nil)  // wrong type reads as nil
}

@Test func sqliteReportsTypedErrors() throws {
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.path + "/t.db")
    try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    try db.run("INSERT INTO t VALUES (?)", [.text("a")])
    do {
        try db.run("INSERT INTO t VALUES (?)", [.text("a")])
        Issue.record("duplicate key accepted")
    } catch let error as SQLiteError {
        #expect(error.isConstraint)
    }
    #expect(throws: SQLiteError.self) { try db.query("SELECT nope FROM t") }
    #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (?)", []) }  // wrong parameter count
}

@Test func sqliteTransactionRollsBackOnError() throws {
    struct Boom: Error {}
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.path + "/t.db")
    try db.execute("CREATE TABLE t (k INTEGER)")
    #expect(throws: Boom.self) {
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            throw Boom()
        }
    }
    #expect(try db.query("SELECT COUNT(*) FROM t").first?.int(0) == 0)
    try db.transaction { try db.run("INSERT INTO t VALUES (2)") }
    #expect(try db.query("SELECT COUNT(*) FROM t").first?.int(0) == 1)
}
