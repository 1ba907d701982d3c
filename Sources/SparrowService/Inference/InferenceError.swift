/// An inference request the server cannot serve; `status` follows Triton's HTTP mapping.
public struct InferenceError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Malformed request or tensor (400).
        case invalidArgument
        /// Unknown model or version (404).
        case notFound
        /// The model exists but cannot serve now (503).
        case unavailable
        /// A failure inside the server (500).
        case internalError
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func invalid(_ message: String) -> InferenceError { InferenceError(.invalidArgument, message) }

    public var status: Int {
        switch kind {
        case .invalidArgument: return 400
        case .notFound: return 404
        case .unavailable: return 503
        case .internalError: return 500
        }
    }

    public var description: String { message }
}
