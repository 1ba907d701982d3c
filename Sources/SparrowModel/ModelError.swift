/// A problem with a model or data file: malformed bytes, an unsupported feature, or an inconsistent
/// graph. The message names the offending tensor, node or field so a user can act on it.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The bytes are not a well-formed file of the expected format (truncated, bad magic, bad counts).
        case malformed
        /// Well-formed, but uses something Sparrow does not implement (an opset, dtype, external data).
        case unsupported
        /// Well-formed, but internally inconsistent (undefined inputs, duplicate names, shape mismatch).
        case invalid
        /// The file could not be read or written.
        case io
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
