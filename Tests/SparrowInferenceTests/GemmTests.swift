import SparrowInference
import SparrowModel
import Testing

/// Naive row-major matrix product of an m×k and a k×n matrix.
func naiveMatMul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a[i * k + p] * b[p * n + j] } } }
    return c
}

func naiveTranspose(_ v: [Float], rows: Int, columns: Int) -> [Float] {
    (0..<(rows * columns)).map { i in v[(i % rows) * columns + i / rows] }
}

@Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
func gemmMatchesNaiveLoop(trans: (Bool, Bool)) throws {
    let m = 5, k = 7, n = 3
    let a = randomFloats(m * k, seed: 11), b = randomFloats(k * n, seed: 12), c = randomFloats(n, seed: 13)
    let aIn = trans.0 ? floats([k, m], naiveTranspose(a, rows: m, columns: k)) : floats([m, k], a)
    let bIn = trans.1 ? floats([n, k], naiveTranspose(b, rows: k, columns: n)) : floats([k, n], b)
    let y = try run1("Gemm", [aIn, bIn, floats([n], c)],
                     ["alpha": .float(0.5), "beta": .float(2), "transA": .int(trans.0 ? 1 : 0), "transB": .int(trans.1 ? 1 : 0)])
    let product = naiveMatMul(a, b, m: m, k: k, n: n)
    let expected = (0..<(m * n)).map { 0.5 * product[$0] + 2 * c[$0 % n] }
    #expect(y.shape == [m, n])
    #expect(close(y.floats, expected))
}

@Test func gemmBiasBroadcastForms() throws {
    let a = floats([2, 2], [1, 2, 3, 4]), b = floats([2, 2], [1, 0, 0, 1])
    #expect(try run1("Gemm", [a, b, .scalar(Float(10))]) == floats([2, 2], [11, 12, 13, 14]))
    #expect(try run1("Gemm", [a, b, floats([2, 1], [10, 20])]) == floats([2, 2], [11, 12, 23, 24]))
    #expect(try run1("Gemm", [a, b, floats([2, 2], [1, 1, 1, 1])]) == floats([2, 2], [2, 3, 4, 5]))
    #expect(try run1("Gemm", [a, b]) == a)
    expectRuntimeError("[2, 2] and [3] cannot be broadcast") { _ = try run1("Gemm", [a, b, floats([3], [1, 1, 1])]) }
    expectRuntimeError("B' is 3×1", "Gemm") { _ = try run1("Gemm", [a, floats([3, 1], [1, 1, 1])]) }
}

@Test func matMulBatchedAndBroadcast() throws {
    // [2, 3, 4] × [2, 4, 5] and [3, 4] × [2, 4, 5] (A broadcast over B's batch).
    let b = randomTensor([2, 4, 5], seed: 21)
    for aShape in [[2, 3, 4], [3, 4], [1, 3, 4]] {
        let a = randomTensor(aShape, seed: 22)
        let y = try run1("MatMul", [a, b])
        #expect(y.shape == [2, 3, 5])
        let av = a.floats, bv = b.floats
        var expected: [Float] = []
        for batch in 0..<2 {
            let aBlock = aShape.count == 3 && aShape[0] == 2 ? Array(av[(batch * 12)..<((batch + 1) * 12)]) : av
            expected += naiveMatMul(aBlock, Array(bv[(batch * 20)..<((batch + 1) * 20)]), m: 3, k: 4, n: 5)
        }
        #expect(close(y.floats, expected), "\(aShape)")
    }
}

@Test func matMulStacksBatchesOverA2DWeight() throws {
    let a = randomTensor([2, 3, 4], seed: 31), b = randomTensor([4, 6], seed: 32)
    let y = try run1("MatMul", [a, b])
    #expect(y.shape == [2, 3, 6])
    #expect(close(y.floats, naiveMatMul(a.floats, b.floats, m: 6, k: 4, n: 6)))
}

@Test func matMulOneDimensionalOperands() throws {
    let v = floats([3], [1, 2, 3]), m = floats([3, 2], [1, 0, 0, 1, 1, 1])
    #expect(try run1("MatMul", [v, m]) == floats([2], [4, 5]))
    #expect(try run1("MatMul", [floats([2, 3], [1, 0, 0, 0, 1, 0]), v]) == floats([2], [1, 2]))
    #expect(try run1("MatMul", [v, v]) == floats([], [14]))
    expectRuntimeError("do not multiply") { _ = try run1("MatMul", [v, floats([2, 2], [1, 2, 3, 4])]) }
}

@Test func matMulWithEmptyInnerDimIsZero() throws {
    let y = try run1("MatMul", [floats([2, 0], []), floats([0, 3], [])])
    #expect(y == floats([2, 3], [Float](repeating: 0, count: 6)))
}

/// A dense W (out × in) behind the LinearOperator protocol, counting calls.
final class DenseTestOperator: LinearOperator, @unchecked Sendable {
    let inFeatures: Int, outFeatures: Int
    let w: [Float]
    /// More than 1 makes a batched Conv split its images over workers.
    let threads: Int
    init(w: [Float], out: Int, in: Int, threads: Int = 1) {
        self.w = w; outFeatures = out; inFeatures = `in`; self.threads = threads
    }
    func apply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for o in 0..<outFeatures {
                var s: Float = 0
                for i in 0..<inFeatures { s += w[o * inFeatures + i] * x[b * inFeatures + i] }
                y[b * outFeatures + o] = s
            }
        }
    }
}

@Test func linearOperatorReplacesGemmAndMatMulWeights() throws {
    let x = randomTensor([4, 6], seed: 41), wOutIn = randomFloats(3 * 6, seed: 42), bias = floats([3], [1, 2, 3])
    let op = DenseTestOperator(w: wOutIn, out: 3, in: 6)
    let expected = naiveMatMul(x.floats, naiveTranspose(wOutIn, rows: 3, columns: 6), m: 4, k: 6, n: 3)
    for (opType, attributes) in [("Gemm", ["transB": Attribute.int(1)]), ("Gemm", [:]), ("MatMul", [:])] {
        let inputs = opType == "Gemm" ? ["x", "W", "b"] : ["x", "W"]
        let graph = Graph(nodes: [Node(name: "fc", opType: opType, inputs: inputs, outputs: ["y"], attributes: attributes)],
                          initializers: ["b": bias], inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.dynamic("N"), .fixed(6)])],
                          outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
        let runtime = try DenseRuntime(graph: graph, linearOperators: ["W": op])
        let y = try #require(try runtime.run(["x": x])["y"])
        let withBias = opType == "Gemm" ? expected.enumerated().map { $0.element + bias.floats[$0.offset % 3] } : expected
        #expect(y.shape == [4, 3])
        #expect(close(y.floats, withBias), "\(opType) \(attributes)")
    }
}

@Test func linearOperatorWeightsAreOnlyUsableAsGemmMatMulConvWeights() {
    let op = DenseTestOperator(w: [1, 2], out: 1, in: 2)
    let graph = Graph(nodes: [Node(name: "t", opType: "Transpose", inputs: ["W"], outputs: ["y"])], initializers: [:],
                      inputs: [], outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    expectRuntimeError("node 't' (Transpose)", "linear-operator weight") {
        _ = try DenseRuntime(graph: graph, linearOperators: ["W": op])
    }
    let mismatched = Graph(nodes: [Node(name: "fc", opType: "MatMul", inputs: ["x", "W"], outputs: ["y"])], initializers: [:],
                           inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(1), .fixed(3)])],
                           outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    expectRuntimeError("node 'fc' (MatMul)", "3 features", "takes 2") {
        _ = try DenseRuntime(graph: mismatched, linearOperators: ["W": op]).run(["x": floats([1, 3], [1, 2, 3])])
    }
}

/// alpha scales the operator's product and beta its C, with or without C, in every broadcast form.
@Test(arguments: [nil, [3], [4, 1], [4, 3]] as [[Int]?])
func linearOperatorGemmAppliesAlphaBetaAndC(cShape: [Int]?) throws {
    let x = randomTensor([4, 6], seed: 43), wOutIn = randomFloats(3 * 6, seed: 44)
    let op = DenseTestOperator(w: wOutIn, out: 3, in: 6)
    let product = naiveMatMul(x.floats, naiveTranspose(wOutIn, rows: 3, columns: 6), m: 4, k: 6, n: 3)
    let c = cShape.map { randomTensor($0, seed: 45) }
    var initializers: [String: Tensor] = [:]
    if let c { initializers["c"] = c }
    let graph = Graph(nodes: [Node(name: "fc", opType: "Gemm", inputs: c == nil ? ["x", "W"] : ["x", "W", "c"], outputs: ["y"],
                                   attributes: ["transB": .int(1), "alpha": .float(0.5), "beta": .float(2)])],
                      initializers: initializers, inputs: [ValueInfo(name: "x", dataType: .float32, shape: [.fixed(4), .fixed(6)])],
                      outputs: [ValueInfo(name: "y", dataType: .float32, shape: [])], opsetVersion: 13)
    let y = try #require(try DenseRuntime(graph: graph, linearOperators: ["W": op]).run(["x": x])["y"])
    let expected = (0..<12).map { i -> Float in
        let (r, col) = (i / 3, i % 3)
        let cValue: Float = switch cShape {
        case nil: 0
        case [3]?: c!.floats[col]
        case [4, 1]?: c!.floats[r]
        default: c!.floats[i]
        }
        return 0.5 * product[i] + 2 * cValue
    }
    #expect(close(y.floats, expected), "C shape \(String(describing: cShape))")
}
