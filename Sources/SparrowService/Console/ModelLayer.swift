/// A weight layer of an uploaded model, as the console's model page lists it.
public struct ModelLayer: Encodable, Sendable, Equatable {
    /// The initializer's name: the key per-layer compression settings use.
    public var name: String
    /// "fc" (Gemm, MatMul) or "conv".
    public var kind: String
    /// The node that uses the weight.
    public var node: String
    public var op: String
    public var shape: [Int]
    public var params: Int
    /// False for tensors below the compression config's `min_params` (they stay dense).
    public var compressible: Bool
}
