/// The artifact's META section: a JSON object. Known keys are type-checked; others are kept.
public struct ArtifactMetadata: Sendable, Equatable {
    public struct Accuracy: Sendable, Equatable {
        public var before: Double
        public var after: Double
        public init(before: Double, after: Double) { self.before = before; self.after = after }
    }

    public var producer = "sparrow"
    /// float32 bytes of every initializer of the source model (4 × values).
    public var originalBytes = 0
    /// The dense source ONNX after gzip -9, for comparison.
    public var denseGzipBytes: Int?
    /// The configuration used, every field explicit.
    public var config: JSONValue?
    /// Filled by retraining.
    public var accuracy: Accuracy?
    /// Any other keys, preserved as they are.
    public var extra: [String: JSONValue] = [:]

    public init() {}

    var jsonValue: JSONValue {
        var o = extra
        o["producer"] = .string(producer)
        o["original_bytes"] = .number(Double(originalBytes))
        if let g = denseGzipBytes { o["dense_onnx_gzip_bytes"] = .number(Double(g)) }
        if let c = config { o["config"] = c }
        if let a = accuracy { o["accuracy"] = .object(["before": .number(a.before), "after": .number(a.after)]) }
        return .object(o)
    }

    init(json: JSONValue) throws(CompressionError) {
        func fail(_ m: String) -> CompressionError { .malformedArtifact(section: "meta", message: m) }
        guard case .object(var o) = json else { throw fail("not a JSON object") }
        guard case .string(let p)? = o.removeValue(forKey: "producer") else { throw fail("missing producer") }
        producer = p
        guard case .number(let b)? = o.removeValue(forKey: "original_bytes"), b >= 0, b == b.rounded(), b < 9e15 else {
            throw fail("original_bytes missing or not a non-negative integer")
        }
        originalBytes = Int(b)
        if let g = o.removeValue(forKey: "dense_onnx_gzip_bytes") {
            guard case .number(let x) = g, x >= 0, x == x.rounded(), x < 9e15 else { throw fail("dense_onnx_gzip_bytes is not an integer") }
            denseGzipBytes = Int(x)
        }
        config = o.removeValue(forKey: "config")
        if let a = o.removeValue(forKey: "accuracy") {
            guard case .object(let ao) = a, case .number(let before)? = ao["before"], case .number(let after)? = ao["after"] else {
                throw fail("accuracy must be {\"before\": number, \"after\": number}")
            }
            accuracy = Accuracy(before: before, after: after)
        }
        extra = o
    }
}
