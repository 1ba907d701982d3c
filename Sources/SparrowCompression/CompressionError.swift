/// Everything that can go wrong while compressing, encoding or reading an artifact.
/// Every case carries enough context for a person to act on it.
public enum CompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value is out of range or of the wrong shape; `path` is the JSON path.
    case invalidConfig(path: String, message: String)
    /// The model cannot be compressed as asked (e.g. a layer name that is not in the graph).
    case invalidModel(String)
    /// An artifact is malformed; `section` names where, `message` what.
    case malformedArtifact(section: String, message: String)
    /// A bit stream ended early or held an invalid code.
    case corruptStream(String)
    /// The caller's cancellation check returned true.
    case cancelled

    public var description: String {
        switch self {
        case .invalidConfig(let path, let message): return "invalid config at \(path): \(message)"
        case .invalidModel(let message): return "cannot compress model: \(message)"
        case .malformedArtifact(let section, let message): return "malformed .sparrow artifact (\(section)): \(message)"
        case .corruptStream(let message): return "corrupt compressed stream: \(message)"
        case .cancelled: return "compression cancelled"
        }
    }
}
