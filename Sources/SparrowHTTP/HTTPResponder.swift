/// Anything that answers requests. `respond` runs on a Dispatch worker thread (never on a thread
/// that serves other connections' I/O), so it may block briefly — e.g. on a model run.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) throws -> HTTPResponse
}

/// A responder made from a closure.
public struct ClosureResponder: HTTPResponder {
    let handler: @Sendable (HTTPRequest) throws -> HTTPResponse
    public init(_ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) { self.handler = handler }
    public func respond(to request: HTTPRequest) throws -> HTTPResponse { try handler(request) }
}

/// Wraps a responder: authentication, metrics, headers. `next` continues the chain.
public protocol HTTPMiddleware: Sendable {
    func respond(to request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse
}

/// A middleware made from a closure.
public struct ClosureMiddleware: HTTPMiddleware {
    let handler: @Sendable (HTTPRequest, (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse
    public init(_ handler: @escaping @Sendable (HTTPRequest, (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse) {
        self.handler = handler
    }
    public func respond(to request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        try handler(request, next)
    }
}

extension HTTPResponder {
    /// Like `respond(to:)`, but any thrown error becomes a JSON error response (HTTPError keeps its
    /// status; anything else is a 500 that does not leak the error text).
    public func response(to request: HTTPRequest) -> HTTPResponse {
        do { return try respond(to: request) } catch let error as HTTPError {
            return error.response
        } catch {
            return .error(.internalServerError, "internal server error")
        }
    }
}
