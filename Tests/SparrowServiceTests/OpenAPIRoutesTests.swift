import Foundation
import Testing
import SparrowHTTP
import SparrowService

/// The (method, path) pairs `Public/openapi.yaml` documents, read from its `paths:` block: a path
/// is a two-space-indented key starting with "/", an operation a four-space-indented method key.
private func documentedOperations() throws -> Set<String> {
    let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Public/openapi.yaml")
    var operations = Set<String>()
    var path: String?
    for line in try String(contentsOf: spec, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
            path = String(line.dropFirst(2).dropLast())
        } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                  let method = ["get", "post", "put", "patch", "delete"].first(where: { line.hasPrefix("    \($0):") }) {
            operations.insert("\(method.uppercased()) \(path)")
        } else if !line.hasPrefix(" "), !line.isEmpty {
            path = nil
        }
    }
    return operations
}

@Test func everyServedRouteIsInTheOpenAPIDescription() throws {
    let directory = TemporaryDirectory()
    var configuration = ServiceConfiguration()
    configuration.dataDirectory = directory.path
    configuration.workers = 1
    configuration.publicDirectory = nil
    let service = try SparrowService(configuration: configuration)
    defer { service.shutdown() }
    let documented = try documentedOperations()
    #expect(documented.count > 30)
    // HEAD follows GET, and "/*" is the console's static files, not an API operation.
    let served = service.router.routes.filter { $0.method != .head && $0.pattern != "/*" }.map { "\($0.method) \($0.pattern)" }
    #expect(served.count > 30)
    let missing = Set(served).subtracting(documented)
    #expect(missing.isEmpty, "served but not in Public/openapi.yaml: \(missing.sorted())")
}
