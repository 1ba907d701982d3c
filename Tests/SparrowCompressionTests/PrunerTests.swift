import Testing
import SparrowCompression

@Test func radixSelectPruningMatchesTheSortingReference() {
    var r = TestRandom(2)
    for trial in 0..<60 {
        let n = r.int(0..<3000)
        // Few distinct values to force ties at the threshold, some exact zeros and negative zeros.
        var w = (0..<n).map { _ in trial % 2 == 0 ? Float(r.int(-6..<7)) * 0.25 : r.gaussian() }
        if n > 3 { w[0] = -0.0; w[1] = 0 }
        let s = [0, 0.1, 0.5, 0.9, 0.99, 0.999][trial % 6]
        let fast = Pruner.prune(w, shape: [n], rule: .sparsity(s))
        let reference = Pruner.pruneReference(w, shape: [n], sparsity: s)
        #expect(fast == reference, "trial \(trial), n \(n), s \(s)")
        let zeros = w.filter { $0 == 0 }.count
        #expect(fast.positions.count == n - max(Int((s * Double(n)).rounded()), zeros))
    }
}

@Test func sparsityPrunesExactlyTheRequestedCount() {
    var r = TestRandom(3)
    let w = (0..<10_000).map { _ in r.gaussian() }
    let p = Pruner.prune(w, shape: [100, 100], rule: .sparsity(0.9))
    #expect(p.positions.count == 1000)
    let kept = Set(p.positions)
    let smallestKept = p.values.map(abs).min()!
    #expect(w.indices.filter { !kept.contains($0) }.allSatisfy { abs(w[$0]) <= smallestKept })
    #expect(p.dense().filter { $0 != 0 }.count == 1000)
    #expect(p.mask().filter { $0 }.count == 1000)
}

@Test func thresholdPruningUsesQualityTimesStd() {
    let w: [Float] = [-3, -1, 0, 1, 3, 0.5, -0.5, 2]
    let std = Pruner.standardDeviation(w)
    let p = Pruner.prune(w, shape: [8], rule: .thresholdStd(1.0))
    #expect(p.positions == w.indices.filter { abs(Double(w[$0])) >= Double(Float(std)) && w[$0] != 0 })
    #expect(Pruner.prune(w, shape: [8], rule: .none).positions.count == 7)
}
