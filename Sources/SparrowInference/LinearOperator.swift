/// A weight matrix the runtime multiplies without holding it as dense floats (the sparse engine implements it).
///
/// `W` is always `outFeatures × inFeatures`, whatever the orientation of the initializer it replaces:
/// whoever builds the operator transposes a `MatMul` / `Gemm(transB=0)` weight (stored `in × out`).
public protocol LinearOperator: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// y[b*outFeatures + o] = Σ_i W[o][i] · x[b*inFeatures + i] for b in 0..<batch (W is out × in).
    func apply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>)
}
