/// Why a graph cannot be trained, or a training request is invalid.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The graph uses an operator (or an attribute value) the training engine does not implement.
    case unsupportedOperator(node: String, reason: String)
    /// The graph's structure is unusable: missing values, wrong arity, no output.
    case invalidGraph(String)
    /// A tensor reaching a node has a shape the node cannot take.
    case shapeMismatch(node: String, reason: String)
    /// The data set does not match the graph (sample shape, labels out of range, empty).
    case invalidDataset(String)
    /// A training option is out of range (learning rate, batch size, sparsity...).
    case invalidOption(String)
    /// The caller's cancellation check asked to stop.
    case cancelled

    public var description: String {
        switch self {
        case .unsupportedOperator(let node, let reason): return "cannot train node \(node): \(reason)"
        case .invalidGraph(let reason): return "invalid graph: \(reason)"
        case .shapeMismatch(let node, let reason): return "shape mismatch at \(node): \(reason)"
        case .invalidDataset(let reason): return "invalid data set: \(reason)"
        case .invalidOption(let reason): return "invalid option: \(reason)"
        case .cancelled: return "training cancelled"
        }
    }
}
