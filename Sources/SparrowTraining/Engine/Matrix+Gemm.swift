import COpenBLAS

/// Row-major single-precision matrix products: C = alpha · op(A) · op(B) + beta · C.
/// `multiply` goes through OpenBLAS; `referenceMultiply` is the naive loop tests compare it with.
public enum Matrix {
    /// OpenBLAS's thread count for large products. Its sgemm splits the output matrix between
    /// threads (never the inner sum), so results stay bit-identical for a given count.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    public static func multiply(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func referenceMultiply(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                         beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += av * bv
                }
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }

    /// Array convenience over `multiply`: returns op(A)·op(B) as an m×n array.
    public static func product(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                               transA: Bool = false, transB: Bool = false, reference: Bool = false) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let ap = pa.baseAddress, let bp = pb.baseAddress, let cp = pc.baseAddress else { return }
                    let lda = transA ? m : k, ldb = transB ? k : n
                    if reference {
                        referenceMultiply(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: ap,
                                          lda: lda, b: bp, ldb: ldb, beta: 0, c: cp, ldc: n)
                    } else {
                        multiply(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: ap, lda: lda,
                                 b: bp, ldb: ldb, beta: 0, c: cp, ldc: n)
                    }
                }
            }
        }
        return c
    }
}
