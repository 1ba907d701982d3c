import ArgumentParser
import SparrowCompression

/// `sparrow bench-layer`: times each compression stage on one random fc layer, single-threaded,
/// beside the naive references (used by benchmarks/compression_speed.sh).
struct BenchLayerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-layer",
        abstract: "Benchmark: compress and decode one random layer, stage by stage.")

    @Option var rows = 4096
    @Option var cols = 4096
    @Option var sparsity = 0.9
    @Option var bits = 5
    @Option var indexBits = 5
    @Option(help: "Also time the naive O(n k) k-means on the same survivors.") var reference = true

    func validate() throws {
        guard (1...65_536).contains(rows), (1...65_536).contains(cols), rows * cols <= 1 << 28 else {
            throw CLIError("--rows and --cols must be 1...65536 with at most 2^28 weights in all")
        }
        guard sparsity.isFinite, sparsity >= 0, sparsity < 1 else { throw CLIError("--sparsity must be in [0, 1), got \(sparsity)") }
        guard Quantizer.bitRange.contains(bits) else {
            throw CLIError("--bits must be \(Quantizer.bitRange.lowerBound)...\(Quantizer.bitRange.upperBound), got \(bits)")
        }
        guard (1...12).contains(indexBits) else { throw CLIError("--index-bits must be 1...12, got \(indexBits)") }
    }

    func run() throws {
        var rng = SparrowCompression.SplitMix64(seed: 1)
        let n = rows * cols
        // Roughly normal weights (sum of four uniforms), like a trained layer's bulk.
        let weights: [Float] = (0..<n).map { _ in
            Float((rng.nextUnit() + rng.nextUnit() + rng.nextUnit() + rng.nextUnit() - 2) * 0.05)
        }
        let clock = ContinuousClock()
        func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let start = clock.now
            let value = try body()
            let d = clock.now - start
            return (value, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        let (pruned, tPrune) = time { Pruner.prune(weights, shape: [rows, cols], rule: .sparsity(sparsity)) }
        let (quantized, tQuant) = time { Quantizer.quantize(pruned, name: "fc", kind: .fc, bits: bits) }
        let (layer, tEncode) = time { SparseEncoder.encode(quantized, indexBits: .fixed(indexBits), huffman: true) }
        let (_, tAuto) = time { SparseEncoder.encode(quantized, indexBits: .auto, huffman: true) }
        let (dense, tDecode) = try time { try layer.dense() }
        let (entries, tEntries) = try time { try layer.entries() }
        let (bytes, tWrite) = time { Artifact(metadata: ArtifactMetadata(), graphBytes: [], layers: [layer]).serialized() }
        let (_, tRead) = try time { try Artifact(bytes: bytes) }
        precondition(dense == quantized.dense() && entries.count == pruned.positions.count, "round trip failed")
        let (_, tSortPrune) = time { Pruner.pruneReference(Array(weights.prefix(1 << 20)), shape: [1 << 20], sparsity: sparsity) }
        let km = KMeans1D(clusters: (1 << bits) - 1)
        let (_, tFit) = time { km.fit(pruned.values) }
        print("layer \(rows)x\(cols) (\(n) weights), sparsity \(sparsity), \(bits)-bit codebook, \(indexBits)-bit indices")
        print("survivors \(pruned.positions.count), entries \(layer.entryCount), payload \(layer.payloadBytes) B, artifact \(bytes.count) B")
        print(String(cFormat: "prune (radix select)         %8.3f s", tPrune))
        print(String(cFormat: "quantize (k-means + assign)  %8.3f s   (fit alone %.3f s)", tQuant, tFit))
        print(String(cFormat: "encode (gaps + Huffman)      %8.3f s", tEncode))
        print(String(cFormat: "encode, index bits auto      %8.3f s", tAuto))
        print(String(cFormat: "write artifact (CRC)         %8.3f s", tWrite))
        print(String(cFormat: "compress total               %8.3f s", tPrune + tQuant + tEncode + tWrite))
        print(String(cFormat: "read artifact (CRC, checks)  %8.3f s", tRead))
        print(String(cFormat: "decode to dense              %8.3f s", tDecode))
        print(String(cFormat: "decode to (row, col, code)   %8.3f s", tEntries))
        print(String(cFormat: "reference prune (sort), 1M   %8.3f s  = %.1f s scaled to n (radix select is %.0fx faster)",
                     tSortPrune, tSortPrune * Double(n) / Double(1 << 20), tSortPrune * Double(n) / Double(1 << 20) / tPrune))
        if reference {
            let sample = Array(pruned.values.prefix(200_000))
            let (_, tFast) = time { km.fit(sample) }
            let (_, tRef) = time { km.fitReference(sample) }
            print(String(cFormat: "k-means on 200k survivors: sorted+prefix sums %.3f s, naive O(nk) %.3f s (%.0fx)",
                         tFast, tRef, tRef / tFast))
        }
    }
}
