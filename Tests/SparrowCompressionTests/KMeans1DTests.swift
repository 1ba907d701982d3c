import Testing
import SparrowCompression

@Test func fastKMeansMatchesTheNaiveReference() {
    var r = TestRandom(4)
    for initialization in CentroidInit.allCases {
        for trial in 0..<8 {
            let n = [1, 2, 5, 100, 3000][trial % 5]
            let values = (0..<n).map { _ in r.gaussian() }
            let k = [1, 3, 7, 31][trial % 4]
            let km = KMeans1D(clusters: k, initialization: initialization, seed: UInt64(trial))
            let fast = km.fit(values)
            let reference = km.fitReference(values)
            #expect(fast.count == k)
            for (a, b) in zip(fast, reference) {
                #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(initialization) trial \(trial): \(fast) vs \(reference)")
            }
            #expect(fast == fast.sorted())
        }
    }
}

@Test func kMeansFindsObviousClusters() {
    let values: [Float] = [1, 1.1, 0.9, 5, 5.1, 4.9, -3, -3.1, -2.9]
    for initialization in CentroidInit.allCases {
        let c = KMeans1D(clusters: 3, initialization: initialization).fit(values)
        #expect(abs(c[0] + 3) < 1e-5 && abs(c[1] - 1) < 1e-5 && abs(c[2] - 5) < 1e-5, "\(initialization): \(c)")
    }
}

@Test func kMeansIsDeterministicForASeed() {
    var r = TestRandom(5)
    let values = (0..<5000).map { _ in r.gaussian() }
    for initialization in [CentroidInit.random, .kmeansPlusPlus] {
        let a = KMeans1D(clusters: 15, initialization: initialization, seed: 42).fit(values)
        let b = KMeans1D(clusters: 15, initialization: initialization, seed: 42).fit(values)
        #expect(a == b)
    }
}

@Test func quantizerAssignsNearestCentroidAndReservesCodeZero() {
    var r = TestRandom(6)
    let w = r.weights(4000, density: 0.3)
    let pruned = Pruner.prune(w, shape: [40, 100], rule: .none)
    let q = Quantizer.quantize(pruned, name: "w", kind: .fc, bits: 4)
    #expect(q.codebook.count == 16 && q.codebook[0] == 0)
    #expect(q.codes.allSatisfy { $0 >= 1 })
    for (v, c) in zip(pruned.values, q.codes) {
        let d = abs(v - q.codebook[Int(c)])
        #expect(q.codebook[1...].allSatisfy { abs(v - $0) >= d - 1e-7 })
    }
    let dense = q.dense()
    #expect(dense.indices.allSatisfy { (w[$0] == 0) == (dense[$0] == 0) || q.codebook.contains(0) })
    #expect(q.assignments().filter { $0 != 0 }.count == pruned.positions.count)
}
