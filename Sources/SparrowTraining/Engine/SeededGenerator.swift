import SparrowCompression

/// Training draws shuffles, dropout masks and initialisations from the same SplitMix64 the
/// compression core uses, so runs are reproducible across runs and platforms.
public typealias SeededGenerator = SplitMix64
