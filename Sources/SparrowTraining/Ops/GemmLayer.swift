import SparrowModel

/// ONNX Gemm: Y = alpha · op(A) · op(B) + beta · C, with C broadcast to [M, N].
final class GemmLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0, 1, 2]
    let alpha: Float, beta: Float, transA: Bool, transB: Bool
    private var m = 0, n = 0, k = 0

    init(node: Node, inputs: [Int], outputs: [Int]) throws {
        name = node.displayName
        inputSlots = inputs
        outputSlots = outputs
        alpha = node.float("alpha", default: 1)
        beta = node.float("beta", default: 1)
        transA = node.int("transA", default: 0) != 0
        transB = node.int("transB", default: 0) != 0
        guard inputs.count >= 2 else { throw TrainingError.invalidGraph("Gemm \(name) needs A and B") }
    }

    /// Rows and columns of C once broadcast against [M, N]; nil if C cannot broadcast.
    static func biasLayout(_ shape: [Int], m: Int, n: Int) -> (rows: Int, cols: Int)? {
        let rows = shape.count >= 2 ? shape[shape.count - 2] : 1
        let cols = shape.last ?? 1
        guard shape.count <= 2, rows == 1 || rows == m, cols == 1 || cols == n else { return nil }
        return (rows, cols)
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        let a = try input(values, 0), b = try input(values, 1)
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw TrainingError.shapeMismatch(node: name, reason: "Gemm takes 2-D A and B, got \(a.shape) and \(b.shape)")
        }
        m = transA ? a.shape[1] : a.shape[0]
        k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0]
        n = transB ? b.shape[0] : b.shape[1]
        guard k == kb else {
            throw TrainingError.shapeMismatch(node: name, reason: "inner dimensions \(k) and \(kb) differ")
        }
        var y = [Float](repeating: 0, count: m * n)
        var betaUsed: Float = 0
        if let c = optionalInput(values, 2), beta != 0 {
            guard let layout = GemmLayer.biasLayout(c.shape, m: m, n: n) else {
                throw TrainingError.shapeMismatch(node: name, reason: "C \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            for i in 0..<m {
                let r = layout.rows == 1 ? 0 : i
                for j in 0..<n { y[i * n + j] = c.data[r * layout.cols + (layout.cols == 1 ? 0 : j)] }
            }
            betaUsed = beta
        }
        let (mm, nn, kk) = (m, n, k)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                y.withUnsafeMutableBufferPointer { py in
                    Matrix.multiply(transA: transA, transB: transB, m: mm, n: nn, k: kk, alpha: alpha,
                                    a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                                    beta: betaUsed, c: py.baseAddress!, ldc: nn)
                }
            }
        }
        values[outputSlots[0]] = Activation(shape: [m, n], data: y)
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard let a = try? input(values, 0), let b = try? input(values, 1) else { return }
        let dy = outputGradient(values, gradients)
        let (m, n, k) = (self.m, self.n, self.k)
        dy.withUnsafeBufferPointer { pdy in
            let dyp = pdy.baseAddress!
            if wants(0, needsGradient) {
                var da = [Float](repeating: 0, count: m * k)
                b.data.withUnsafeBufferPointer { pb in
                    da.withUnsafeMutableBufferPointer { pda in
                        if !transA {
                            // dA = dY · op(B)ᵀ  [M, K]
                            Matrix.multiply(transA: false, transB: !transB, m: m, n: k, k: n, alpha: alpha,
                                            a: dyp, lda: n, b: pb.baseAddress!, ldb: b.shape[1], beta: 0,
                                            c: pda.baseAddress!, ldc: k)
                        } else {
                            // dA = op(B) · dYᵀ  [K, M]
                            Matrix.multiply(transA: transB, transB: true, m: k, n: m, k: n, alpha: alpha,
                                            a: pb.baseAddress!, lda: b.shape[1], b: dyp, ldb: n, beta: 0,
                                            c: pda.baseAddress!, ldc: m)
                        }
                    }
                }
                accumulate(&gradients, 0, da)
            }
            if wants(1, needsGradient) {
                var db = [Float](repeating: 0, count: k * n)
                a.data.withUnsafeBufferPointer { pa in
                    db.withUnsafeMutableBufferPointer { pdb in
                        if !transB {
                            // dB = op(A)ᵀ · dY  [K, N]
                            Matrix.multiply(transA: !transA, transB: false, m: k, n: n, k: m, alpha: alpha,
                                            a: pa.baseAddress!, lda: a.shape[1], b: dyp, ldb: n, beta: 0,
                                            c: pdb.baseAddress!, ldc: n)
                        } else {
                            // dB = dYᵀ · op(A)  [N, K]
                            Matrix.multiply(transA: true, transB: transA, m: n, n: k, k: m, alpha: alpha,
                                            a: dyp, lda: n, b: pa.baseAddress!, ldb: a.shape[1], beta: 0,
                                            c: pdb.baseAddress!, ldc: k)
                        }
                    }
                }
                accumulate(&gradients, 1, db)
            }
            if wants(2, needsGradient), let c = optionalInput(values, 2) {
                var dc = [Float](repeating: 0, count: c.data.count)
                if beta != 0, let layout = GemmLayer.biasLayout(c.shape, m: m, n: n) {
                    for i in 0..<m {
                        let r = layout.rows == 1 ? 0 : i
                        for j in 0..<n { dc[r * layout.cols + (layout.cols == 1 ? 0 : j)] += beta * dyp[i * n + j] }
                    }
                }
                accumulate(&gradients, 2, dc)
            }
        }
    }
}

/// ONNX MatMul for A [..., M, K] times a 2-D B [K, N] (the shapes of fully connected layers).
final class MatMulLayer: Layer {
    let name: String
    let inputSlots: [Int]
    let outputSlots: [Int]
    let differentiableInputs = [0, 1]
    private var rows = 0, k = 0, n = 0

    init(node: Node, inputs: [Int], outputs: [Int]) throws {
        name = node.displayName
        inputSlots = inputs
        outputSlots = outputs
        guard inputs.count == 2 else { throw TrainingError.invalidGraph("MatMul \(name) needs two inputs") }
    }

    func forward(_ values: inout [Activation?], _ context: inout PassContext) throws {
        let a = try input(values, 0), b = try input(values, 1)
        guard a.shape.count >= 2, b.shape.count == 2 else {
            throw TrainingError.unsupportedOperator(node: name,
                                                    reason: "MatMul is trained for A of rank ≥ 2 and a 2-D B; got \(a.shape) and \(b.shape)")
        }
        k = a.shape[a.shape.count - 1]
        guard k == b.shape[0] else {
            throw TrainingError.shapeMismatch(node: name, reason: "inner dimensions \(k) and \(b.shape[0]) differ")
        }
        n = b.shape[1]
        rows = a.data.count / max(k, 1)
        let y = Matrix.product(a.data, b.data, m: rows, n: n, k: k)
        values[outputSlots[0]] = Activation(shape: Array(a.shape.dropLast()) + [n], data: y)
    }

    func backward(_ values: [Activation?], _ gradients: inout [[Float]?], needsGradient: [Bool]) {
        guard let a = try? input(values, 0), let b = try? input(values, 1) else { return }
        let dy = outputGradient(values, gradients)
        if wants(0, needsGradient) {
            accumulate(&gradients, 0, Matrix.product(dy, b.data, m: rows, n: k, k: n, transB: true))
        }
        if wants(1, needsGradient) {
            accumulate(&gradients, 1, Matrix.product(a.data, dy, m: k, n: n, k: rows, transA: true))
        }
    }
}
