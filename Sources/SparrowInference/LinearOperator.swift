/// A weight matrix the runtime multiplies without holding it as dense floats (the sparse engine implements it).
///
/// `W` is always `outFeatures × inFeatures`, whatever the orientation of the initializer it replaces:
/// whoever builds the operator transposes a `MatMul` / `Gemm(transB=0)` weight (stored `in × out`).
public protocol LinearOperator: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// y[b*outFeatures + o] = Σ_i W[o][i] · x[b*inFeatures + i] for b in 0..<batch (W is out × in).
    func apply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>)
    /// The same product with samples as columns: yT[o*batch + b] = Σ_i W[o][i] · xT[i*batch + b].
    /// A convolution's im2col matrix already has this layout, and its output is then NCHW as is.
    func applyTransposed(_ xT: UnsafePointer<Float>, batch: Int, into yT: UnsafeMutablePointer<Float>)
    /// `applyTransposed` on the calling thread alone, for callers that already run one call per worker
    /// (a batch of convolutions split by image).
    func applyTransposedOnCallingThread(_ xT: UnsafePointer<Float>, batch: Int, into yT: UnsafeMutablePointer<Float>)
    /// The most threads one call uses; callers may split independent calls over this many workers.
    var threads: Int { get }
}

extension LinearOperator {
    public func applyTransposedOnCallingThread(_ xT: UnsafePointer<Float>, batch: Int,
                                               into yT: UnsafeMutablePointer<Float>) {
        applyTransposed(xT, batch: batch, into: yT)
    }

    public var threads: Int { 1 }

    /// Fallback: transpose in, `apply`, transpose out.
    public func applyTransposed(_ xT: UnsafePointer<Float>, batch: Int, into yT: UnsafeMutablePointer<Float>) {
        let (n, m) = (inFeatures, outFeatures)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: max(1, batch * n))
        defer { x.deallocate() }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: max(1, batch * m))
        defer { y.deallocate() }
        for i in 0..<n { for b in 0..<batch { x[b * n + i] = xT[i * batch + b] } }
        apply(x, batch: batch, into: y)
        for o in 0..<m { for b in 0..<batch { yT[o * batch + b] = y[b * m + o] } }
    }
}
