import SparrowCompression

/// Deterministic pseudo-random test data.
struct TestRandom {
    var rng: SplitMix64
    init(_ seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func unit() -> Double { rng.nextUnit() }
    /// Roughly normal (sum of uniforms), scaled.
    mutating func gaussian(_ scale: Float = 1) -> Float {
        var s = 0.0
        for _ in 0..<4 { s += rng.nextUnit() }
        return Float((s - 2) * 1.7) * scale
    }
    mutating func weights(_ n: Int, density: Double = 1) -> [Float] {
        (0..<n).map { _ in unit() < density ? gaussian(0.1) : 0 }
    }
}
