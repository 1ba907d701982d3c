/// A request the service refuses, with the HTTP status it maps to.
public struct ServiceError: Error, Equatable, CustomStringConvertible, Sendable {
    public let status: Int
    public let message: String
    /// Extra response headers (e.g. Retry-After on 429).
    public var headers: [String: String] = [:]

    public init(_ status: Int, _ message: String, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public static func badRequest(_ m: String) -> ServiceError { ServiceError(400, m) }
    public static func notFound(_ m: String) -> ServiceError { ServiceError(404, m) }
    public static func conflict(_ m: String) -> ServiceError { ServiceError(409, m) }

    public var description: String { message }
}
