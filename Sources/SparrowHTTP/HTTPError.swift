/// Thrown by handlers to answer with a status and a JSON body `{"error": message}`.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, _ message: String? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.message = message ?? status.reason
        self.headers = headers
    }

    public var description: String { "\(status.code): \(message)" }

    /// The response this error stands for.
    public var response: HTTPResponse {
        var response = HTTPResponse.error(status, message)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }
}
