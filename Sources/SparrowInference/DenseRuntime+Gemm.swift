import COpenBLAS
import SparrowModel

/// Gemm and MatMul through OpenBLAS `cblas_sgemm`, or through a `LinearOperator` standing in for the weight.
extension DenseRuntime {
    /// Gemm: Y = alpha · A' · B' + beta · C, with A' = transA ? Aᵀ : A (M × K), B' likewise (K × N), and C
    /// unidirectionally broadcast to M × N.
    static func gemm(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...3)
        try context.requireOutputs(1...1)
        let alpha = try context.float("alpha", default: 1), beta = try context.float("beta", default: 1)
        let transA = try context.int("transA", default: 0) != 0, transB = try context.int("transB", default: 0) != 0
        let op = try weightOperator(context)
        return { args in
            let a = try args.required(0, "A")
            let av = try a.requireFloats("A")
            guard a.rank == 2 else { throw RuntimeError("A must be 2-D, has shape \(a.shape)") }
            let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
            let n: Int
            var bv: [Float] = []
            if let op {
                guard op.inFeatures == k else {
                    throw RuntimeError("A has \(k) features but the weight operator takes \(op.inFeatures)")
                }
                n = op.outFeatures
            } else {
                let b = try args.required(1, "B")
                bv = try b.requireFloats("B")
                guard b.rank == 2 else { throw RuntimeError("B must be 2-D, has shape \(b.shape)") }
                let kb = transB ? b.shape[1] : b.shape[0]
                guard kb == k else { throw RuntimeError("A' is \(m)×\(k) but B' is \(kb)×\(transB ? b.shape[0] : b.shape[1])") }
                n = transB ? b.shape[0] : b.shape[1]
            }
            let count = try Tensor.checkedCount([m, n])
            var y = [Float](repeating: 0, count: count)
            var cTerm: (plan: BroadcastPlan, values: [Float])?
            if let c = args.optional(2), beta != 0 {
                let plan = try BroadcastPlan([m, n], c.shape)
                guard plan.outShape == [m, n] else {
                    throw RuntimeError("C of shape \(c.shape) does not broadcast to [\(m), \(n)]")
                }
                cTerm = (plan, try c.requireFloats("C"))
            }
            // y ← combine(y, C) over the broadcast, in place.
            func addC(_ combine: (Float, Float) -> Float) {
                guard let (plan, cv) = cTerm else { return }
                y.withUnsafeMutableBufferPointer { yp in
                    cv.withUnsafeBufferPointer { cp in
                        guard let yb = yp.baseAddress, let cb = cp.baseAddress else { return }
                        plan.apply(UnsafePointer(yb), cb, yb, combine)
                    }
                }
            }
            guard count > 0 else { return [Tensor(shape: [m, n], floats: y)] }
            if let op {
                // The operator writes the product straight into y; alpha and C are applied after.
                let x = transA ? transpose2D(av, rows: k, columns: m) : av
                applyOperator(op, x, batch: m, into: &y)
                addC { p, c in alpha * p + beta * c }
                if cTerm == nil && alpha != 1 { for i in y.indices { y[i] *= alpha } }
            } else {
                addC { _, c in beta * c }
                let accumulate: Float = cTerm == nil ? 0 : 1
                sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: av, lda: transA ? m : k,
                      b: bv, ldb: transB ? k : n, beta: accumulate, c: &y, cOffset: 0, ldc: n)
            }
            return [Tensor(shape: [m, n], floats: y)]
        }
    }

    /// MatMul with numpy semantics: 1-D operands are promoted (and the added dim removed after),
    /// batch dims broadcast. A 2-D B over any batch of A is one GEMM over the stacked rows.
    static func matMul(_ context: CompileContext) throws -> Kernel {
        try context.requireInputs(2...2)
        try context.requireOutputs(1...1)
        let op = try weightOperator(context)
        return { args in
            let a = try args.required(0, "A")
            let av = try a.requireFloats("A")
            guard a.rank >= 1 else { throw RuntimeError("A must have rank ≥ 1") }
            let k = a.shape[a.rank - 1]
            if let op {
                guard op.inFeatures == k else {
                    throw RuntimeError("A has \(k) features but the weight operator takes \(op.inFeatures)")
                }
                let rows = k == 0 ? a.shape.dropLast().reduce(1, *) : av.count / k
                let shape = a.rank == 1 ? [op.outFeatures] : Array(a.shape.dropLast()) + [op.outFeatures]
                var y = [Float](repeating: 0, count: try Tensor.checkedCount(shape))
                if !y.isEmpty { applyOperator(op, av, batch: rows, into: &y) }
                return [Tensor(shape: shape, floats: y)]
            }
            let b = try args.required(1, "B")
            let bv = try b.requireFloats("B")
            guard b.rank >= 1 else { throw RuntimeError("B must have rank ≥ 1") }
            // Promote 1-D operands to matrices.
            let aShape = a.rank == 1 ? [1, k] : a.shape
            let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
            let m = aShape[aShape.count - 2], kb = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
            guard kb == k else { throw RuntimeError("A of shape \(a.shape) and B of shape \(b.shape) do not multiply (\(k) ≠ \(kb))") }
            let batch = try BroadcastPlan(Array(aShape.dropLast(2)), Array(bShape.dropLast(2)))
            var shape = batch.outShape + [m, n]
            var y = [Float](repeating: 0, count: try Tensor.checkedCount(shape))
            if !y.isEmpty {
                if bShape.count == 2 {
                    // Every batch of A shares B: stack A's rows into one GEMM.
                    sgemm(transA: false, transB: false, m: batch.outCount * m, n: n, k: k, alpha: 1, a: av, lda: k,
                          b: bv, ldb: n, beta: 0, c: &y, cOffset: 0, ldc: n)
                } else {
                    let aBatches = Array(0..<aShape.dropLast(2).reduce(1, *))
                    let bBatches = Array(0..<bShape.dropLast(2).reduce(1, *))
                    var pairs = [(Int, Int)](repeating: (0, 0), count: batch.outCount)
                    aBatches.withUnsafeBufferPointer { ap in
                        bBatches.withUnsafeBufferPointer { bp in
                            pairs.withUnsafeMutableBufferPointer { pp in
                                batch.apply(ap.baseAddress!, bp.baseAddress!, pp.baseAddress!) { ($0, $1) }
                            }
                        }
                    }
                    for (index, pair) in pairs.enumerated() {
                        sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: av, aOffset: pair.0 * m * k,
                              lda: k, b: bv, bOffset: pair.1 * k * n, ldb: n, beta: 0, c: &y, cOffset: index * m * n, ldc: n)
                    }
                }
            }
            if a.rank == 1 { shape.remove(at: shape.count - 2) }
            if b.rank == 1 { shape.removeLast() }
            return [Tensor(shape: shape, floats: y)]
        }
    }

    /// C[cOffset...] = alpha · op(A) · op(B) + beta · C, row-major. Handles K = 0 (no BLAS call).
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: [Float], aOffset: Int = 0, lda: Int, b: [Float], bOffset: Int = 0, ldb: Int,
                      beta: Float, c: inout [Float], cOffset: Int, ldc: Int) {
        guard m > 0, n > 0 else { return }
        c.withUnsafeMutableBufferPointer { cp in
            guard let cb = cp.baseAddress else { return }
            if k == 0 {
                for i in 0..<m { for j in 0..<n { cb[cOffset + i * ldc + j] *= beta } }
                return
            }
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    guard let ab = ap.baseAddress, let bb = bp.baseAddress else { return }
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha, ab + aOffset, Int32(Swift.max(1, lda)),
                                bb + bOffset, Int32(Swift.max(1, ldb)), beta, cb + cOffset, Int32(Swift.max(1, ldc)))
                }
            }
        }
    }

    /// y = x Wᵀ through the operator (y is overwritten).
    static func applyOperator(_ op: any LinearOperator, _ x: [Float], batch: Int, into y: inout [Float]) {
        // With no input features the product is zero: y keeps its zeros.
        guard batch > 0, !x.isEmpty, !y.isEmpty else { return }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                op.apply(xp.baseAddress!, batch: batch, into: yp.baseAddress!)
            }
        }
    }

    /// The transpose of a row-major rows × columns matrix.
    static func transpose2D(_ v: [Float], rows: Int, columns: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { out, count in
            v.withUnsafeBufferPointer { src in
                for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = src[r * columns + c] } }
            }
            count = rows * columns
        }
    }

    /// The linear operator standing in for weight B, if any; one standing in for A is an error.
    private static func weightOperator(_ context: CompileContext) throws -> (any LinearOperator)? {
        guard context.linearOperator(forInput: 0) == nil else {
            throw RuntimeError("a linear operator can only replace the weight B")
        }
        return context.linearOperator(forInput: 1)
    }
}
