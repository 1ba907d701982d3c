import SparrowService
import Testing

@Suite struct WeightHistogramTests {
    @Test func countsEveryOriginalAndEveryKeptWeightOnOneRange() {
        let original: [Float] = [-1, -0.5, 0.01, 0.02, 0.5, 1]
        let decoded: [Float] = [-0.75, -0.75, 0, 0, 0.75, 0.75]
        let h = WeightHistogram(name: "fc.weight", original: original, decoded: decoded, centroids: [-0.75, 0.75], bins: 4)
        #expect(h.min == -1 && h.max == 1)
        #expect(h.before == [1, 1, 2, 2])  // [-1,-.5) [-.5,0) [0,.5) [.5,1]
        #expect(h.after == [2, 0, 0, 2])
        #expect(h.pruned == 2)
        #expect(h.centroids == [-0.75, 0.75])
        #expect(h.before.reduce(0, +) == original.count)
        #expect(h.after.reduce(0, +) + h.pruned == decoded.count)
    }

    @Test func constantAndNonFiniteInputStayOnAnAxis() {
        let h = WeightHistogram(name: "w", original: [2, 2, .nan, .infinity], decoded: [2, 0], centroids: [2], bins: 3)
        #expect(h.min < 2 && h.max > 2)
        #expect(h.before.reduce(0, +) == 2)
        #expect(h.after.reduce(0, +) == 1)
        let empty = WeightHistogram(name: "e", original: [], decoded: [], centroids: [], bins: 0)
        #expect(empty.before == [0] && empty.after == [0] && empty.min < empty.max)
    }
}
