/// Why a graph could not be loaded or run: an unsupported op, a bad attribute, inputs that do not
/// match the graph, or shapes an op cannot combine. The message names the node where there is one.
public struct RuntimeError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
