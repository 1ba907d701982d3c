/// Routes by method and path. Patterns are `/`-separated segments: literals, `{name}` (one segment,
/// captured into `pathParameters[name]`) and a final `*` (the rest of the path, captured as
/// `pathParameters["*"]`). Literals win over parameters, parameters over `*`.
///
/// Unknown paths answer 404, known paths with another method 405 with `Allow`; HEAD falls back to
/// GET (the server drops the body), OPTIONS answers 204 with `Allow` unless routed explicitly.
/// Middleware registered with `use` wraps every request, routed or not, in registration order, and
/// sees `request.routePattern` already set.
public final class Router: HTTPResponder, @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    // Mutated only while routes are registered, before the server starts; read-only after.
    private var trie = RouteTrie()
    private var middleware: [any HTTPMiddleware] = []

    /// Every (method, pattern) registered, in order: what a server serves, e.g. to check it against
    /// an API description.
    public private(set) var routes: [(method: HTTPMethod, pattern: String)] = []

    public init() {}

    public func on(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        trie.insert(pattern: pattern, method: method, handler: handler)
        routes.append((method, pattern))
    }
    public func get(_ pattern: String, _ handler: @escaping Handler) { on(.get, pattern, handler) }
    public func post(_ pattern: String, _ handler: @escaping Handler) { on(.post, pattern, handler) }
    public func put(_ pattern: String, _ handler: @escaping Handler) { on(.put, pattern, handler) }
    public func patch(_ pattern: String, _ handler: @escaping Handler) { on(.patch, pattern, handler) }
    public func delete(_ pattern: String, _ handler: @escaping Handler) { on(.delete, pattern, handler) }

    /// Routes every method of `pattern` to a responder (e.g. `StaticFiles` under `/static/*`).
    public func mount(_ pattern: String, methods: [HTTPMethod] = [.get], _ responder: any HTTPResponder) {
        for method in methods { on(method, pattern) { try responder.respond(to: $0) } }
    }

    public func use(_ middleware: any HTTPMiddleware) { self.middleware.append(middleware) }
    public func use(_ handler: @escaping @Sendable (HTTPRequest, (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse) {
        use(ClosureMiddleware(handler))
    }

    public func respond(to request: HTTPRequest) throws -> HTTPResponse {
        var request = request
        let endpoint: (HTTPRequest) throws -> HTTPResponse
        if let match = trie.match(path: HTTPRequest.split(target: request.target).path) {
            request.pathParameters = match.parameters
            request.routePattern = match.node.pattern
            endpoint = { try Router.dispatch($0, to: match.node) }
        } else {
            endpoint = { _ in throw HTTPError(.notFound, "no route for \(request.path)") }
        }
        // Errors become responses at every layer, so outer middleware (metrics, logging) sees
        // the status of a refusal as well.
        var chain: (HTTPRequest) -> HTTPResponse = { request in Router.catching { try endpoint(request) } }
        for m in middleware.reversed() {
            let next = chain
            chain = { request in Router.catching { try m.respond(to: request, next: next) } }
        }
        var response = chain(request)
        response.routePattern = request.routePattern
        return response
    }

    static func catching(_ body: () throws -> HTTPResponse) -> HTTPResponse {
        do { return try body() } catch let error as HTTPError {
            return error.response
        } catch {
            return .error(.internalServerError, "internal server error")
        }
    }

    private static func dispatch(_ request: HTTPRequest, to node: RouteTrie.Node) throws -> HTTPResponse {
        if let handler = node.handlers[request.method] { return try handler(request) }
        if request.method == .head, let get = node.handlers[.get] { return try get(request) }
        let allow = node.allowedMethods.joined(separator: ", ")
        if request.method == .options {
            return HTTPResponse(status: .noContent, headers: ["Allow": allow])
        }
        throw HTTPError(.methodNotAllowed, "\(request.method) is not allowed on \(node.pattern ?? request.path)",
                        headers: ["Allow": allow])
    }
}
